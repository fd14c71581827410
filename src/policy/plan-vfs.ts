/**
 * The planner's VF-level comparison: per VF, what differs from the policy (admin MAC, driver, the
 * other settings, the netdev MTU) and what cannot be compared, after the PF-level steps. Pure; the
 * steps are made from it in plan-vf-steps.ts.
 */
import type { MacAddress, PciAddress } from '../host/names.js';
import { diffVfSettings, settingsFor, type VfSettings } from '../host/vf-settings.js';
import type { PfSnapshot, VfConfig, VfSnapshot } from '../inventory/types.js';
import type { PfChanges } from './plan-pf.js';
import type { PlanOptions, PlanTarget } from './plan-input.js';
import type { PlanRefusal, Step } from './steps.js';
import { vfLooksInUse } from './vf-in-use.js';

type WantedVf = PlanTarget['vfs'][number];
export type VfMac = { vf: number; mac: MacAddress };
export type VfSettingsOf = { vf: number; settings: VfSettings };

/** What differs on a PF's VFs, and (for VFs whose settings cannot be read) what is set blind. */
export interface VfDifferences {
  macs: VfMac[];
  /** MACs of VFs missing from the kernel's list: set without comparing. */
  blindMacs: VfMac[];
  drivers: Extract<Step, { kind: 'vfDrivers' }>['changes'];
  settings: VfSettingsOf[];
  /** Settings of VFs missing from the kernel's list: set without comparing. */
  blindSettings: VfSettingsOf[];
  /** Settings of listed VFs that the driver does not report (spoofchk or trust left at -1). */
  unreported: VfSettingsOf[];
  mtus: { vf: number; mtu: number }[];
  /** VFs bound now that a driver change takes from a driver or from the ledger's consumer. */
  taken: number[];
  /** Rebinding VFs that look in use, unless forced. */
  refusals: PlanRefusal[];
}

/** A VF's state after the PF-level steps. */
interface VfNow {
  driver: string | null;
  config: VfConfig | null;
  device: PciAddress | null;
  snap?: VfSnapshot;
}

/** A VF's state after the PF-level steps: fresh VFs start on their host driver with unknown settings. */
function vfAfterPfSteps(cur: PfSnapshot, c: PfChanges, vfIndex: number): VfNow {
  // New VFs bind to their host driver only when the PF's autoprobe is on.
  if (c.recreate)
    return {
      driver: cur.driversAutoprobe ? (c.hostDriver ?? null) : null,
      config: null,
      device: null,
    };
  const v = cur.vfs.find((x) => x.vfIndex === vfIndex);
  return v
    ? { driver: v.driver, config: v.config, device: v.pciAddress, snap: v }
    : { driver: null, config: null, device: null };
}

/**
 * A VF's wanted settings split by the one comparison of VF settings: what differs from its current
 * config, and what cannot be compared (`unreadable`: the VF is not in the kernel's list; or a field
 * the driver does not report). Fresh VFs (`config` null, readable) get everything set.
 */
function splitSettings(
  want: VfSettings,
  config: VfConfig | null,
  unreadable: boolean,
): { differs: VfSettings; unknown: VfSettings } {
  const d = diffVfSettings(want, config);
  // Without a config every field is unknown to the comparison; for a fresh VF that means "set".
  if (config === null && !unreadable) return { differs: settingsFor(want, d.fields), unknown: {} };
  return { differs: settingsFor(want, d.differs), unknown: settingsFor(want, d.unknown) };
}

/** The settings without the MAC (set in a step of its own, before any driver change). */
function withoutMac(s: VfSettings): VfSettings {
  const { mac: _mac, ...rest } = s;
  return rest;
}

/** Whether the VF is already on the driver the policy wants. */
function isOnTargetDriver(cur: PfSnapshot, want: WantedVf, now: VfNow): boolean {
  // netdevsim VFs have no PCI function: there is no driver to change (validation refuses vfio-pci
  // for them).
  if (cur.bus === 'netdevsim') return true;
  if (want.driver === 'vfio-pci') return now.driver === 'vfio-pci';
  if (want.driver === 'none') return now.driver === null;
  return now.driver !== null && now.driver !== 'vfio-pci';
}

/** Adds one VF's driver change, and whether it takes the VF from someone (or is refused). */
function compareDriver(
  cur: PfSnapshot,
  c: PfChanges,
  opts: PlanOptions,
  want: WantedVf,
  now: VfNow,
  out: VfDifferences,
): void {
  out.drivers.push({ vf: want.vfIndex, device: now.device, from: now.driver, to: want.driver });
  const ledgerVf = c.known.get(want.vfIndex);
  if (!c.recreate && (now.driver !== null || (ledgerVf !== undefined && ledgerVf.heldBy !== null)))
    out.taken.push(want.vfIndex);
  const busy = now.snap ? vfLooksInUse(now.snap, c.hostDriver, ledgerVf) : null;
  if (busy && !opts.force)
    out.refusals.push({ pf: cur.pciAddress, override: 'force', reason: `rebinding ${busy}` });
}

/** Adds what differs (or cannot be compared) on one VF. */
function compareVf(
  cur: PfSnapshot,
  c: PfChanges,
  opts: PlanOptions,
  want: WantedVf,
  out: VfDifferences,
): void {
  const now = vfAfterPfSteps(cur, c, want.vfIndex);
  // Existing VFs without a netlink view: their settings are unknown, not unset.
  const unknown = !c.recreate && now.config === null && cur.netdev !== null;
  const split = splitSettings(want.settings, c.recreate ? null : now.config, unknown);
  if (split.differs.mac !== undefined) out.macs.push({ vf: want.vfIndex, mac: split.differs.mac });
  else if (split.unknown.mac !== undefined)
    out.blindMacs.push({ vf: want.vfIndex, mac: split.unknown.mac });
  const onTarget = isOnTargetDriver(cur, want, now);
  if (!onTarget) compareDriver(cur, c, opts, want, now, out);
  // A VF netdev MTU only exists on the host driver; after a rebind or recreation it is unknown.
  const curMtu = c.recreate || !onTarget ? null : (now.snap?.netdevMtu ?? null);
  if (want.mtu !== undefined && want.driver === 'host' && curMtu !== want.mtu) {
    out.mtus.push({ vf: want.vfIndex, mtu: want.mtu });
  }
  const change = withoutMac(split.differs);
  if (Object.keys(change).length) out.settings.push({ vf: want.vfIndex, settings: change });
  const blind = withoutMac(split.unknown);
  for (const k of Object.keys(change) as (keyof VfSettings)[]) delete blind[k];
  if (Object.keys(blind).length)
    (unknown ? out.blindSettings : out.unreported).push({ vf: want.vfIndex, settings: blind });
}

/** Compares every VF the target names with its state after the PF-level steps. */
export function compareVfs(
  t: PlanTarget,
  cur: PfSnapshot,
  c: PfChanges,
  opts: PlanOptions,
): VfDifferences {
  const out: VfDifferences = {
    macs: [],
    blindMacs: [],
    drivers: [],
    settings: [],
    blindSettings: [],
    unreported: [],
    mtus: [],
    taken: [],
    refusals: [],
  };
  for (const want of t.vfs) compareVf(cur, c, opts, want, out);
  return out;
}
