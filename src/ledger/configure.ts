/**
 * What attaching and detaching do to a VF, through the executor: the attachment's settings on
 * the PF side, then the pool's driver; and the scrub that makes a VF safe to hand to someone else
 * (no MAC, no VLAN, no rates, no trust, spoof checking on, link auto).
 */
import { bindDriver, OperationError, readDriver } from '../executor/index.js';
import { applyVfSettings, type VfReadBack, type VfSettings } from '../executor/vf-settings.js';
import type { Host, VfInfo } from '../host/host.js';
import type { DriverName, IfName, MacAddress, PciAddress } from '../host/names.js';
import type { AttachmentSettings, PoolSpec } from './types.js';

export const SCRUBBED: AttachmentSettings = {
  mac: '00:00:00:00:00:00',
  vlan: 0,
  qos: 0,
  minTxRate: 0,
  maxTxRate: 0,
  trust: false,
  spoofchk: true,
  linkState: 'auto',
};

/** One VF to configure: where it is and what it must look like. */
export interface VfTarget {
  /** null for a PF without a netdev (NVMe, accelerators): its VFs get their driver only. */
  pfNetdev: string | null;
  vfIndex: number;
  vfPciAddress: string | null;
  settings: AttachmentSettings;
}

export interface VfOutcome {
  vfIndex: number;
  ok: boolean;
  readBack: VfReadBack | null;
  error: OperationError | null;
  /**
   * Where it failed: `settings` (the PF's netlink change or its read-back), or `driver` (the
   * settings are in place, verified, but the pool's driver refused the VF; bindDriver returned it
   * to the driver it had).
   */
  failedAt: 'settings' | 'driver' | null;
}

function toVfSettings(s: AttachmentSettings): VfSettings {
  return {
    // A network VF always has a MAC (the ledger gives one); a scrub sets the zero one.
    mac: (s.mac ?? SCRUBBED.mac) as MacAddress,
    vlan: { vlan: s.vlan, qos: s.qos, proto: '802.1Q' },
    minTxRate: s.minTxRate,
    maxTxRate: s.maxTxRate,
    spoofchk: s.spoofchk,
    trust: s.trust,
    linkState: s.linkState,
  };
}

/** PF drivers whose rate changes fail while the link is down, even when nothing changes. */
const RATES_NEED_LINK = new Set(['ixgbe']);

/** The PF's VF list from the link dump, or null when it cannot be read (then every field is sent). */
async function currentVfs(
  host: Host,
  pf: IfName,
  vfs: readonly number[],
): Promise<VfInfo[] | null> {
  try {
    const dump = await host.linkDump({ ifname: pf, vfs });
    return dump.links.find((l) => l.ifname === pf)?.vfs ?? null;
  } catch {
    return null;
  }
}

/**
 * Drops the rates when the VF already has them. A rate in a change reaches the driver even when it
 * changes nothing, and ixgbe refuses every rate, 0/0 included, while its link is down or not at
 * 10 Gbit/s: sending unchanged rates would make its VFs impossible to attach or scrub then.
 */
function withoutUnchangedRates(s: VfSettings, now: VfInfo | undefined): VfSettings {
  if (!now || now.minTxRate !== s.minTxRate || now.maxTxRate !== s.maxTxRate) return s;
  const { minTxRate: _min, maxTxRate: _max, ...rest } = s;
  return rest;
}

/** Human text for a read-back: what the attachment's `detail` says after configuring. */
export function describeReadBack(r: VfReadBack | null): string {
  if (r === null) return 'not read back';
  if (r.state === 'verified') return 'verified by read-back';
  if (r.state === 'unreadable')
    return "applied; not verifiable: the kernel's netlink VF list of this PF is truncated before this VF";
  return `read-back differs: ${r.fields.map((f) => `${f.field} wanted ${String(f.wanted)}, found ${String(f.found)}`).join('; ')}`;
}

/** The `detail` of an attachment whose PF has no netdev: there is nothing to read back. */
export const NO_NETWORK_DETAIL = 'driver bound; no network settings (the PF has no netdev)';

/**
 * Applies settings to VFs of one PF in one batch, then puts each VF on the pool's driver. Returns
 * one outcome per target; never throws for a per-VF refusal. VFs of a PF without a netdev get
 * their driver only: they have no network settings to make.
 */
export async function configureVfs(
  host: Host,
  pfDriver: string | null,
  targets: readonly VfTarget[],
  vfDriver: PoolSpec['vfDriver'],
  timeoutMs?: number,
): Promise<VfOutcome[]> {
  if (targets.length === 0) return [];
  const netdev = targets[0]!.pfNetdev;
  const settled =
    netdev === null
      ? null
      : await applySettings(host, netdev as IfName, pfDriver, targets, timeoutMs);
  const out: VfOutcome[] = [];
  for (const [i, t] of targets.entries()) {
    const r = settled?.[i] ?? { error: null, readBack: null };
    let error = r.error;
    let failedAt: VfOutcome['failedAt'] = error ? 'settings' : null;
    if (!error && t.vfPciAddress !== null) {
      error = await ensureDriver(host, t, vfDriver, timeoutMs);
      if (error) failedAt = 'driver';
    }
    out.push({ vfIndex: t.vfIndex, ok: error === null, readBack: r.readBack, error, failedAt });
  }
  return out;
}

/** The netlink half of configureVfs: one batch through the PF, read back. */
async function applySettings(
  host: Host,
  pf: IfName,
  pfDriver: string | null,
  targets: readonly VfTarget[],
  timeoutMs?: number,
): Promise<{ error: OperationError | null; readBack: VfReadBack | null }[]> {
  // Only drivers that refuse unchanged rates need the current values first (a dump per call).
  const current =
    pfDriver !== null && RATES_NEED_LINK.has(pfDriver)
      ? await currentVfs(
          host,
          pf,
          targets.map((t) => t.vfIndex),
        )
      : null;
  const results = await applyVfSettings(
    host,
    pf,
    targets.map((t) => ({
      vf: t.vfIndex,
      settings: withoutUnchangedRates(
        toVfSettings(t.settings),
        current?.find((v) => v.vf === t.vfIndex),
      ),
    })),
    { driver: pfDriver, ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
  );
  return targets.map((t, i) => {
    const r = results[i]!;
    let error =
      r.ok || r.error
        ? (r.error ?? null)
        : new OperationError(
            { kind: 'vfSetting', pf, vf: t.vfIndex, setting: 'settings' },
            `configure VF ${t.vfIndex} of ${pf}`,
            r.errno ?? null,
            r.message ?? 'the kernel refused the change',
          );
    const readBack = r.readBack ?? null;
    if (r.ok && readBack?.state === 'mismatch')
      error = new OperationError(
        { kind: 'vfSetting', pf, vf: t.vfIndex, setting: 'settings' },
        `configure VF ${t.vfIndex} of ${pf}`,
        null,
        describeReadBack(readBack),
        'the driver did not keep the settings; check `sriovctl doctor` for this PF',
      );
    return { error, readBack };
  });
}

/** Puts the VF on vfio-pci, or back on the driver its ID matches for `host`. */
async function ensureDriver(
  host: Host,
  t: VfTarget,
  vfDriver: PoolSpec['vfDriver'],
  timeoutMs?: number,
): Promise<OperationError | null> {
  const addr = t.vfPciAddress as PciAddress;
  const current = await readDriver(host, addr);
  if (vfDriver === 'vfio-pci' ? current === 'vfio-pci' : current !== null && current !== 'vfio-pci')
    return null;
  try {
    await bindDriver(
      host,
      addr,
      vfDriver === 'vfio-pci' ? ('vfio-pci' as DriverName) : null,
      timeoutMs !== undefined ? { timeoutMs } : {},
    );
    return null;
  } catch (err) {
    if (err instanceof OperationError) return err;
    throw err;
  }
}
