/** Undoing an attach the kernel refused: scrub and release its rows, or hold the ones it cannot. */
import type { RequestContext } from '../ledger/actor.js';
import { appendAudit, auditEntry } from '../ledger/audit.js';
import type { Attachment, Pool } from '../ledger/types.js';
import { failedWayOut, type AllocationDeps } from './deps.js';
import { scrub } from './vf-work.js';

/**
 * Scrubs and releases rows whose attach failed. Rows that cannot be scrubbed, and rows whose
 * kernel operation timed out (it may still land, so a scrub now could be undone), stay `failed`;
 * returns those.
 */
export async function rollBack(
  d: AllocationDeps,
  ctx: RequestContext,
  rows: Attachment[],
): Promise<Attachment[]> {
  const pools = new Map<string, Pool | null>();
  for (const a of rows) if (!pools.has(a.pool)) pools.set(a.pool, await d.store.getPool(a.pool));
  const scrubbed = await scrub(
    d,
    rows.filter((a) => !d.abandoned.has(a.id)),
    (a) => pools.get(a.pool)?.vfDriver ?? 'vfio-pci',
  );
  const now = d.stamp();
  const details = new Map(
    rows.map((a) => {
      const err = scrubbed.get(a.id);
      const detail = d.abandoned.has(a.id)
        ? d.abandoned.timedOutDetail(a)
        : err !== undefined
          ? `scrub failed: ${err}; ${failedWayOut(a.id)}`
          : null;
      return [a.id, detail];
    }),
  );
  return d.store.mutate(async (tx) => {
    const stuck: Attachment[] = [];
    for (const a of rows) {
      const detail = details.get(a.id) ?? null;
      if (detail !== null) {
        await tx.updateAttachment(a.id, { state: 'failed', detail }, now);
        stuck.push(a);
      } else await tx.deleteAttachment(a.id);
      await appendAudit(
        tx,
        auditEntry(
          ctx,
          'attachment.rollback',
          a.tenant,
          `attachment/${a.id}`,
          a,
          detail !== null ? { state: 'failed', detail } : null,
        ),
        now,
      );
    }
    return stuck;
  });
}

/** What a rollback left: the VFs it could not release, and the way out for each. */
export function rolledBackText(d: AllocationDeps, stuck: readonly Attachment[]): string {
  if (stuck.length === 0)
    return 'nothing was attached; the VFs were scrubbed and returned to the pool';
  const n = stuck.length === 1 ? '1 VF' : `${stuck.length} VFs`;
  const ids = stuck.map((a) => a.id).join(', ');
  if (stuck.some((a) => d.abandoned.has(a.id)))
    return `nothing was attached; ${n} stay out of the pool (state failed, attachment ${ids}) until the kernel answers and a reconcile scrubs and releases them; or as an admin release them without a scrub (sriovctl detach --force <id>)`;
  return `nothing was attached; ${n} could not be scrubbed and stay out of the pool (state failed, attachment ${ids}): detach each again to retry the scrub (sriovctl detach <id>), or as an admin release it without one (sriovctl detach --force <id>)`;
}
