/**
 * Reconcile: brings kernel and ledger together after a restart, reboot or crash. It finishes
 * attaches that were answered or can still be claimed (an idempotency key), rolls back the
 * others, finishes detaches, re-applies attached VFs whose kernel settings differ, and marks
 * attachments whose VF is gone as `orphaned` (kept: the consumer still thinks it has it). Rows
 * are this host's, matched to the kernel by (host, PF, VF index). Its transaction computes what
 * it recorded and returns it; the report is put together after the commit.
 */
import { diffVfSettings } from '../host/vf-settings.js';
import type { PfSnapshot } from '../inventory/types.js';
import { SYSTEM_ACTOR, type RequestContext } from '../ledger/actor.js';
import { appendAudit, type AuditAction } from '../ledger/audit.js';
import type { ReconcileReport } from '../ledger/events.js';
import { attachmentVfSettings, type Attachment, type PoolSpec } from '../ledger/types.js';
import type { Claim } from './claims.js';
import { failedWayOut, groupBy, hostRows, vfName, type AllocationDeps } from './deps.js';
import { configure, scrub, vfExists } from './vf-work.js';

/** Whether a VF of a vfio-pci pool left vfio-pci (a host-driver pool's VF may be on any). */
function driverDiffers(
  a: Attachment,
  driver: string | null,
  vfDriver: PoolSpec['vfDriver'],
): boolean {
  return vfDriver === 'vfio-pci' && a.vfPciAddress !== null && driver !== 'vfio-pci';
}

/**
 * Whether the kernel's view of a VF differs from the attachment (settings or driver), by the one
 * comparison of VF settings: a field the driver does not report is unknown, not a difference.
 */
function differs(
  a: Attachment,
  k: NonNullable<PfSnapshot['vfs'][number]['config']>,
  driver: string | null,
  vfDriver: PoolSpec['vfDriver'],
): boolean {
  if (driverDiffers(a, driver, vfDriver)) return true;
  return diffVfSettings(attachmentVfSettings(a), k).verdict === 'differs';
}

/** A report of nothing done. */
function emptyReport(): ReconcileReport {
  return { completed: [], rolledBack: [], scrubbed: [], reapplied: [], orphaned: [], failed: [] };
}

/** Runs one reconcile pass under `claim`; sends its event after the commit. */
export async function reconcile(d: AllocationDeps, claim: Claim): Promise<ReconcileReport> {
  const started = performance.now();
  const ctx: RequestContext = { actor: SYSTEM_ACTOR };
  const report = emptyReport();
  const inv = await d.inventory.refresh();
  // Rows a request is working on are that request's to finish (a running daemon reconciles on
  // demand, not only at start); the rest are claimed until this pass is done. Rows whose kernel
  // operation timed out wait for it to return: what the kernel shows now may still change.
  const listed = (await hostRows(d.store, d.hostname)).filter((a) => !d.claims.has(a.id));
  const all = listed.filter((a) => !d.abandoned.has(a.id));
  for (const a of listed) {
    const t = d.abandoned.get(a.id);
    if (t)
      report.failed.push({
        id: a.id,
        reason: `waiting for a kernel operation that timed out at ${t.since} to return (${t.what})`,
      });
  }
  for (const a of all) claim.take(a.id);
  const pools = new Map((await d.store.listPools()).map((p) => [p.name, p]));
  const driverOf = (a: Attachment) => pools.get(a.pool)?.vfDriver ?? 'vfio-pci';
  // This host's inventory, so the PF address names one PF: (host, PF, VF index).
  const pfOf = (a: Attachment) => inv.pfs.find((p) => p.pciAddress === a.pf);

  const present = all.filter((a) => vfExists(pfOf(a), a.vfIndex));
  // A release is finished even when its VF vanished (there is nothing left to scrub): orphaning
  // it would hand the VF back, when it returns, to a consumer that gave it up or never got it.
  const toFinishDetach = all.filter((a) => a.state === 'detaching' || a.state === 'failed');
  const toRollBack = all.filter((a) => a.state === 'attaching' && a.requestKey === null);
  const toComplete = present.filter((a) => a.state === 'attaching' && a.requestKey !== null);
  const gone = all.filter(
    (a) =>
      !vfExists(pfOf(a), a.vfIndex) &&
      (a.state === 'attached' || (a.state === 'attaching' && a.requestKey !== null)),
  );
  const toCheck = present.filter((a) => a.state === 'attached' || a.state === 'orphaned');

  const now = d.stamp();
  // Finish detaches and roll back unclaimable attaches: scrub, then delete.
  const release = [...toFinishDetach, ...toRollBack];
  const scrubFailed = await scrub(d, release, driverOf);
  // Attaches that a retry can still claim, and attached VFs that drifted: re-apply.
  const reapply = [
    ...toComplete,
    ...toCheck.filter((a) => {
      const vf = pfOf(a)?.vfs.find((v) => v.vfIndex === a.vfIndex);
      if (a.state === 'orphaned' || !vf) return true;
      // A VF without a network has only its driver to compare.
      if (a.pfNetdev === null) return driverDiffers(a, vf.driver, driverOf(a));
      // A VF the kernel's list leaves out cannot be compared: it is set again without comparing.
      return !vf.config || differs(a, vf.config, vf.driver, driverOf(a));
    }),
  ];
  const reapplyFailed = new Map<string, string>();
  for (const [, group] of groupBy(reapply, (a) => driverOf(a))) {
    const failures = await configure(d, group, driverOf(group[0]!), inv);
    for (const f of failures) reapplyFailed.set(f.id, f.reason);
  }
  // Read before the transaction: it reads no process memory that may change under a retry.
  const timedOutDetails = new Map(
    release.filter((a) => d.abandoned.has(a.id)).map((a) => [a.id, d.abandoned.timedOutDetail(a)]),
  );

  const recorded = await d.store.mutate(async (tx) => {
    const out = emptyReport();
    const audit = (a: Attachment, action: AuditAction, after: unknown) =>
      appendAudit(
        tx,
        {
          actor: ctx.actor.name,
          action,
          tenant: a.tenant,
          target: `attachment/${a.id}`,
          before: a,
          after,
          requestId: null,
        },
        now,
      );
    for (const a of release) {
      const err = scrubFailed.get(a.id);
      if (err) {
        const detail = timedOutDetails.get(a.id) ?? `scrub failed: ${err}; ${failedWayOut(a.id)}`;
        await tx.updateAttachment(a.id, { state: 'failed', detail }, now);
        await audit(a, 'attachment.scrub-failed', { state: 'failed', detail: err });
        out.failed.push({ id: a.id, reason: err });
        continue;
      }
      await tx.deleteAttachment(a.id);
      await audit(a, a.state === 'attaching' ? 'attachment.rollback' : 'attachment.delete', null);
      (a.state === 'attaching' ? out.rolledBack : out.scrubbed).push(a.id);
    }
    /** Rows of requests a retry can claim, one per request. */
    const claimable = new Map<string, Attachment>();
    for (const a of reapply) {
      const err = reapplyFailed.get(a.id);
      if (err) {
        const after = await tx.updateAttachment(a.id, { detail: `re-apply failed: ${err}` }, now);
        await audit(a, 'attachment.reapply-failed', after);
        out.failed.push({ id: a.id, reason: err });
        continue;
      }
      const after = await tx.updateAttachment(a.id, { state: 'attached', detail: a.detail }, now);
      if (a.state === 'attaching') {
        out.completed.push(a.id);
        await audit(a, 'attachment.create', after);
        if (a.requestKey) claimable.set(`${a.requestedBy}\0${a.requestKey}`, a);
      } else {
        out.reapplied.push(a.id);
        await audit(a, 'attachment.reapply', after);
      }
    }
    // The answer a retry gets, written once all rows of the request are attached: written per
    // row, a request for two VFs would be answered with the first one only.
    for (const a of claimable.values()) {
      const idem = await tx.getIdempotency(a.requestedBy, a.requestKey!);
      if (idem?.status !== 'pending') continue;
      const mine = (await hostRows(tx, d.hostname)).filter(
        (r) =>
          r.requestKey === a.requestKey &&
          r.requestedBy === a.requestedBy &&
          r.state === 'attached',
      );
      await tx.putIdempotency(
        {
          ...idem,
          status: 'done',
          response: {
            status: 201,
            body: {
              attachments: mine,
              placement: null,
              reasons: mine.map(() => 'completed by reconcile after a restart'),
            },
          },
        },
        now,
      );
    }
    for (const a of gone) {
      const after = await tx.updateAttachment(
        a.id,
        {
          state: 'orphaned',
          detail: `${vfName(a)} no longer exists (numVfs lowered or device gone)`,
        },
        now,
      );
      out.orphaned.push(a.id);
      await audit(a, 'attachment.orphaned', after);
    }
    return out;
  });
  report.completed.push(...recorded.completed);
  report.rolledBack.push(...recorded.rolledBack);
  report.scrubbed.push(...recorded.scrubbed);
  report.reapplied.push(...recorded.reapplied);
  report.orphaned.push(...recorded.orphaned);
  report.failed.push(...recorded.failed);
  d.events.emit({ kind: 'reconcile', report, durationMs: performance.now() - started });
  return report;
}
