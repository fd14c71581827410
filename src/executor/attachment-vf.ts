/**
 * What attaching and detaching do to a VF: the attachment's settings on the PF side, then the
 * pool's driver; and the scrub that makes a VF safe to hand to someone else (no MAC, no VLAN, no
 * rates, no trust, spoof checking on, link auto). The ledger decides which VF and which settings;
 * this does it, with the drivers' quirks (quirks.ts) worked around.
 */
import type { Host } from '../host/host.js';
import { ZERO_MAC, type DriverName, type IfName, type PciAddress } from '../host/names.js';
import { kernelVfSettings, mbps, vlanId, type VfSettings } from '../host/vf-settings.js';
import { bindDriver } from './bind.js';
import { OperationError } from './errors.js';
import { ratesNeedLink, withoutUnchangedRates } from './quirks.js';
import { readDriver } from './sysfs-read.js';
import { applyVfSettings, type VfReadBack } from './vf-settings.js';

/** The settings of a scrubbed VF: nothing of its last consumer left on it. */
export const SCRUBBED: Required<VfSettings> = {
  mac: ZERO_MAC,
  vlan: { vlan: vlanId(0), qos: 0, proto: '802.1Q' },
  minTxRate: mbps(0),
  maxTxRate: mbps(0),
  trust: false,
  spoofchk: true,
  linkState: 'auto',
};

/** The driver an attached (and a scrubbed) VF is on: vfio-pci, or the one its ID matches. */
export type AttachmentDriver = 'vfio-pci' | 'host';

/** One VF to configure: where it is and what it must look like. */
export interface VfTarget {
  /** null for a PF without a netdev (NVMe, accelerators): its VFs get their driver only. */
  pfNetdev: string | null;
  vfIndex: number;
  vfPciAddress: string | null;
  /** Every setting (an attachment's, or SCRUBBED); unused when the PF has no netdev. */
  settings: VfSettings;
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

/** The PF's VF list from the link dump, or null when it cannot be read (then every field is sent). */
async function currentVfs(host: Host, pf: IfName, vfs: readonly number[]) {
  try {
    const dump = await host.linkDump({ ifname: pf, vfs });
    return dump.links.find((l) => l.ifname === pf)?.vfs ?? null;
  } catch {
    return null;
  }
}

/** Human text for a read-back: what the attachment's `detail` says after configuring. */
export function describeReadBack(r: VfReadBack | null): string {
  if (r === null) return 'not read back';
  if (r.state === 'verified') return 'verified by read-back';
  if (r.state === 'unreadable')
    return r.fields
      ? `applied; not verifiable: the driver does not report ${r.fields.join(', ')}`
      : "applied; not verifiable: the kernel's netlink VF list of this PF is truncated before this VF";
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
  vfDriver: AttachmentDriver,
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
  const current = ratesNeedLink(pfDriver)
    ? await currentVfs(
        host,
        pf,
        targets.map((t) => t.vfIndex),
      )
    : null;
  const results = await applyVfSettings(
    host,
    pf,
    targets.map((t) => {
      const now = current?.find((v) => v.vf === t.vfIndex);
      return {
        vf: t.vfIndex,
        settings: withoutUnchangedRates(t.settings, now && kernelVfSettings(now)),
      };
    }),
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
  vfDriver: AttachmentDriver,
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
