/**
 * What PF drivers do differently with VF settings, as far as sriovctl must know before it asks
 * (linux-sriov-abi.md §4.3; the simulator models the same refusals in src/host/sim/drivers.ts).
 * Pure data and predicates: the executor works around these quirks, and the planner, policy
 * validation and placement use the same facts to refuse or warn before the kernel would.
 */
import type { VlanProto } from '../host/host.js';
import type { KernelVfSettings, VfSettings } from '../host/vf-settings.js';

/** PF drivers whose rate changes fail while the link is down, even when nothing changes. */
const RATES_NEED_LINK = new Set(['ixgbe']);

/** Intel PF drivers without a VF minimum rate (ndo_set_vf_rate refuses min_tx_rate != 0). */
const NO_MIN_RATE = new Set(['ixgbe', 'i40e']);

/** PF drivers that refuse 802.1ad VF VLANs (EPROTONOSUPPORT) whatever their configuration. */
const NO_QINQ = new Set(['ixgbe', 'i40e', 'mlx5_core', 'bnxt_en']);

/** PF drivers that accept 802.1ad VF VLANs only in a mode sriovctl cannot read (ice: DVM). */
const QINQ_IN_DVM_ONLY = new Set(['ice']);

/** Whether `driver` refuses rate changes (even unchanged ones) while its link is down. */
export function ratesNeedLink(driver: string | null): boolean {
  return driver !== null && RATES_NEED_LINK.has(driver);
}

/** Whether `driver` can guarantee its VFs a minimum rate (unknown drivers: the kernel decides). */
export function minRateSupported(driver: string | null): boolean {
  return driver === null || !NO_MIN_RATE.has(driver);
}

/**
 * Whether a PF driver takes a VLAN protocol on its VFs: `yes`, `no` (the kernel answers
 * EPROTONOSUPPORT), or `depends` (ice: only in Double VLAN Mode, which sriovctl cannot read, so
 * only the kernel's answer tells). Unknown drivers are `yes`: the kernel has the last word.
 */
export function vlanProtoSupport(
  driver: string | null,
  proto: VlanProto,
): 'yes' | 'no' | 'depends' {
  if (proto === '802.1Q' || driver === null) return 'yes';
  if (NO_QINQ.has(driver)) return 'no';
  if (QINQ_IN_DVM_ONLY.has(driver)) return 'depends';
  return 'yes';
}

/**
 * Drops the rates when the VF already has them. A rate in a change reaches the driver even when it
 * changes nothing, and ixgbe refuses every rate, 0/0 included, while its link is down or not at
 * 10 Gbit/s: sending unchanged rates would make its VFs impossible to attach or scrub then.
 */
export function withoutUnchangedRates(
  s: VfSettings,
  now: Pick<KernelVfSettings, 'minTxRate' | 'maxTxRate'> | undefined,
): VfSettings {
  if (!now || now.minTxRate !== s.minTxRate || now.maxTxRate !== s.maxTxRate) return s;
  const { minTxRate: _min, maxTxRate: _max, ...rest } = s;
  return rest;
}
