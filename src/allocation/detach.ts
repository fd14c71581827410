/**
 * Detach: mark `detaching` (with the answer recorded up front), scrub, then delete. A crash
 * between the steps leaves a `detaching` row that reconcile finishes. The attachment is claimed
 * before the marking transaction, which only reads the claims: a store may run it again.
 */
import type { RequestContext } from '../ledger/actor.js';
import { appendAudit, auditEntry } from '../ledger/audit.js';
import { LedgerError } from '../ledger/errors.js';
import { hashBody, keyRecord, replay } from '../ledger/idempotency.js';
import type { Attachment } from '../ledger/types.js';
import type { Claim } from './claims.js';
import { failedWayOut, vfName, type AllocationDeps } from './deps.js';
import { scrub } from './vf-work.js';

/**
 * Scrubs the attachment's VF and releases it, under `claim`. With `force` (for admins: the surface
 * checks the role), a VF the kernel will not scrub — or whose timed-out kernel operation has not
 * returned — is released anyway, unscrubbed; the next attach sets every setting it needs.
 */
export async function detach(
  d: AllocationDeps,
  ctx: RequestContext,
  id: string,
  claim: Claim,
  force: boolean,
): Promise<Attachment> {
  const now = d.stamp();
  const key = ctx.idempotencyKey;
  const requestHash = key ? hashBody(force ? { detach: id, force } : { detach: id }) : '';
  // Another request holds it already; otherwise it is this one's from here on.
  const theirs = d.claims.has(id);
  if (!theirs) claim.take(id);
  // Not waited to disk, like the attach reservation; the answer waits for the durable delete.
  const a = await d.store.mutate(
    async (tx) => {
      if (key) {
        const seen = await tx.getIdempotency(ctx.actor.name, key);
        // A detach cut off by a crash was finished by reconcile, which cannot know its key: the
        // row being gone is what says it is done, and the answer was recorded up front.
        if (seen?.status === 'pending' && seen.response && !(await tx.getAttachment(id))) {
          const done = { ...seen, status: 'done' as const };
          if (seen.requestHash === requestHash) await tx.putIdempotency(done, now);
          return { replay: done } as const;
        }
        if (seen) return { replay: seen } as const;
      }
      const a = await tx.getAttachment(id);
      if (!a || (ctx.actor.tenant !== null && a.tenant !== ctx.actor.tenant))
        throw new LedgerError('not-found', `attachment ${id} does not exist`);
      if (a.host !== d.hostname)
        throw new LedgerError(
          'conflict',
          `attachment ${id} is on host ${a.host}, not ${d.hostname}`,
          undefined,
          `detach it through the sriovctl daemon of ${a.host}`,
        );
      if (a.state === 'attaching')
        throw new LedgerError(
          'conflict',
          `attachment ${id} is still being attached`,
          undefined,
          'retry in a moment',
        );
      if (theirs)
        throw new LedgerError(
          'conflict',
          `attachment ${id} is already being detached or reconciled`,
          undefined,
          'retry in a moment',
        );
      const pending = d.abandoned.get(id);
      if (pending && !force)
        throw new LedgerError(
          'conflict',
          `a kernel operation on ${vfName(a)} timed out (${pending.what}) at ${pending.since} and has not returned; it may still change the VF, so it cannot be scrubbed yet`,
          undefined,
          `a reconcile scrubs and releases it once the kernel answers; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${id})`,
        );
      if (a.state !== 'detaching') await tx.updateAttachment(id, { state: 'detaching' }, now);
      if (key)
        await tx.putIdempotency(
          keyRecord(ctx, key, requestHash, { status: 200, body: a }, 'pending'),
          now,
        );
      return a;
    },
    { durable: false },
  );
  if ('replay' in a) return replay<Attachment>(a.replay, requestHash);
  const pool = await d.store.getPool(a.pool);
  // Forced over a kernel operation that has not returned: scrubbing now could be undone by it.
  const err = d.abandoned.has(id)
    ? `not scrubbed: ${d.abandoned.get(id)!.what}, and it has not returned`
    : (await scrub(d, [a], () => pool?.vfDriver ?? 'vfio-pci')).get(a.id);
  const done = d.stamp();
  if (err !== undefined && !force) {
    const timedOut = d.abandoned.has(id);
    const detail = timedOut
      ? d.abandoned.timedOutDetail(a)
      : `scrub failed: ${err}; ${failedWayOut(id)}`;
    const after = await d.store.mutate(async (tx) => {
      if (key) await tx.deleteIdempotency(ctx.actor.name, key);
      const row = await tx.updateAttachment(id, { state: 'failed', detail }, done);
      await appendAudit(
        tx,
        auditEntry(ctx, 'attachment.scrub-failed', a.tenant, `attachment/${id}`, a, {
          state: 'failed',
          detail,
        }),
        done,
      );
      return row;
    });
    d.events.emit({
      kind: 'attachment',
      id,
      tenant: a.tenant,
      action: 'failed',
      attachment: after ?? a,
    });
    throw new LedgerError(
      'host-failed',
      timedOut
        ? `the kernel did not answer in time scrubbing ${vfName(a)}: ${err}`
        : `the kernel refused to scrub ${vfName(a)}: ${err}`,
      undefined,
      timedOut
        ? `the VF stays out of the pool (state failed) until the kernel answers and a reconcile scrubs and releases it; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${id})`
        : `the VF stays out of the pool (state failed): ${failedWayOut(id)}`,
      timedOut ? { errno: 'ETIMEDOUT' } : undefined,
    );
  }
  // The answer is the row as it was; released unscrubbed, its detail says so.
  const answer: Attachment =
    err === undefined ? a : { ...a, detail: `released without a scrub (forced): ${err}` };
  await d.store.mutate(async (tx) => {
    await tx.deleteAttachment(id);
    if (key)
      await tx.putIdempotency(
        keyRecord(ctx, key, requestHash, { status: 200, body: answer }),
        done,
      );
    await appendAudit(
      tx,
      err === undefined
        ? auditEntry(ctx, 'attachment.delete', a.tenant, `attachment/${id}`, a, null)
        : // Released unscrubbed: the entry keeps why, for whoever gets the VF next.
          auditEntry(ctx, 'attachment.force-release', a.tenant, `attachment/${id}`, a, {
            released: true,
            scrubbed: false,
            detail: err,
          }),
      done,
    );
  });
  d.events.emit({
    kind: 'attachment',
    id,
    tenant: a.tenant,
    action: 'detached',
    attachment: answer,
  });
  return answer;
}
