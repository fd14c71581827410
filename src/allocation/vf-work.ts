/**
 * The kernel side of allocation, through the executor: configure reserved VFs, scrub released
 * ones. A kernel operation that misses its deadline abandons its rows (see abandoned.ts).
 */
import {
  configureVfs,
  describeReadBack,
  NO_NETWORK_DETAIL,
  SCRUBBED,
  type VfTarget,
} from '../executor/attachment-vf.js';
import { HostTimeoutError } from '../host/errors.js';
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { attachmentVfSettings, type Attachment, type PoolSpec } from '../ledger/types.js';
import { groupBy, vfName, type AllocationDeps } from './deps.js';

/** A VF the kernel did not configure: where, why, and what may fix it. */
export interface ConfigureFailure {
  id: string;
  where: string;
  reason: string;
  fix?: string;
  /** The kernel operation missed its deadline (the row was abandoned). */
  timedOut: boolean;
  errno: string | null;
}

/** The error text of a kernel operation that failed, and whether it timed out. */
function failureOf(err: unknown): { reason: string; timeout: HostTimeoutError | null } {
  const reason = err instanceof Error ? err.message : String(err);
  return { reason, timeout: err instanceof HostTimeoutError ? err : null };
}

/** Whether the PF (as discovered) has the VF. */
export function vfExists(pf: PfSnapshot | undefined, vfIndex: number): boolean {
  return pf !== undefined && pf.vfs.some((v) => v.vfIndex === vfIndex);
}

/**
 * Configures reserved rows PF by PF; sets each row's `detail` to its read-back. Returns the
 * failures (with the VF and the kernel's reason). Rows whose kernel operation timed out are
 * also abandoned.
 */
export async function configure(
  d: AllocationDeps,
  rows: Attachment[],
  vfDriver: PoolSpec['vfDriver'],
  inv: Inventory,
): Promise<ConfigureFailure[]> {
  const failures: ConfigureFailure[] = [];
  for (const [, group] of groupBy(rows, (a) => a.pf)) {
    const pf = inv.pfs.find((p) => p.pciAddress === group[0]!.pf);
    const targets: VfTarget[] = group.map((a) => ({
      pfNetdev: a.pfNetdev,
      vfIndex: a.vfIndex,
      vfPciAddress: a.vfPciAddress,
      settings: attachmentVfSettings(a),
    }));
    let outcomes;
    try {
      outcomes = await configureVfs(d.host, pf?.driver ?? null, targets, vfDriver, d.timeoutMs);
    } catch (err) {
      const f = failureOf(err);
      if (f.timeout) d.abandoned.abandon(group, f.timeout);
      for (const a of group)
        failures.push({
          id: a.id,
          where: vfName(a),
          reason: f.reason,
          timedOut: f.timeout !== null,
          errno: f.timeout ? 'ETIMEDOUT' : null,
        });
      continue;
    }
    // The snapshot's VF drivers are now out of date, but placement does not read them; reconcile
    // rediscovers before comparing.
    outcomes.forEach((o, i) => {
      const a = group[i]!;
      if (o.ok) a.detail = a.pfNetdev === null ? NO_NETWORK_DETAIL : describeReadBack(o.readBack);
      else
        failures.push({
          id: a.id,
          where: vfName(a),
          reason: o.error?.message ?? 'refused',
          ...(o.error?.hint ? { fix: o.error.hint } : {}),
          timedOut: false,
          errno: o.error?.errno ?? null,
        });
    });
  }
  return failures;
}

/**
 * Scrubs VFs of attachments; returns the error text per attachment id that failed. A VF whose
 * settings were scrubbed (verified by read-back) but that the pool's driver then refused counts
 * as scrubbed: no consumer setting is left on it and the bind returned it to the driver it had,
 * so it is released instead of stranded (placement keeps such VFs out of later attaches).
 */
export async function scrub(
  d: AllocationDeps,
  rows: readonly Attachment[],
  driverOf: (a: Attachment) => PoolSpec['vfDriver'],
): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const inv = await d.inventory.get();
  for (const [, group] of groupBy(rows, (a) => `${a.pf}\0${driverOf(a)}`)) {
    const pf = inv.pfs.find((p) => p.pciAddress === group[0]!.pf);
    const present = group.filter((a) => vfExists(pf, a.vfIndex));
    try {
      const outcomes = await configureVfs(
        d.host,
        pf?.driver ?? null,
        present.map((a) => ({
          pfNetdev: a.pfNetdev,
          vfIndex: a.vfIndex,
          vfPciAddress: a.vfPciAddress,
          settings: SCRUBBED,
        })),
        driverOf(group[0]!),
        d.timeoutMs,
      );
      outcomes.forEach((o, i) => {
        if (!o.ok && o.failedAt !== 'driver')
          failed.set(present[i]!.id, o.error?.message ?? 'refused');
      });
    } catch (err) {
      const f = failureOf(err);
      if (f.timeout) d.abandoned.abandon(present, f.timeout);
      for (const a of present) failed.set(a.id, f.reason);
    }
  }
  return failed;
}
