/**
 * The audit log's vocabulary: every action sriovctl records is a member of one union, so a new
 * kind of change is named here once and a typo is a compile error, not a row nobody can find.
 */
import type { RequestContext } from './actor.js';
import type { LedgerWriter, NewAuditEntry } from './store.js';
import type { AuditEntry } from './types.js';

/** Every `action` the audit log holds. */
export type AuditAction =
  | 'tenant.create'
  | 'tenant.update'
  | 'tenant.delete'
  | 'pool.create'
  | 'pool.update'
  | 'pool.delete'
  | 'token.create'
  | 'token.revoke'
  | 'attachment.create'
  | 'attachment.delete'
  | 'attachment.rollback'
  | 'attachment.scrub-failed'
  | 'attachment.force-release'
  | 'attachment.reapply'
  | 'attachment.reapply-failed'
  | 'attachment.orphaned'
  | 'attachment.refused'
  | 'policy.apply';

/** What each action records; a Record, so the compiler checks that every member is here. */
const AUDIT_ACTION_MEANINGS: Record<AuditAction, string> = {
  'tenant.create': 'a tenant was created',
  'tenant.update': 'a tenant was replaced',
  'tenant.delete': 'a tenant was deleted',
  'pool.create': 'a pool was created',
  'pool.update': 'a pool was replaced',
  'pool.delete': 'a pool was deleted',
  'token.create': 'a token was created',
  'token.revoke': 'a token was revoked (by itself or with its tenant)',
  'attachment.create': 'VFs were attached (or an attach was completed by reconcile)',
  'attachment.delete': 'a VF was scrubbed and released',
  'attachment.rollback': 'an attach the kernel refused was undone',
  'attachment.scrub-failed': 'a VF could not be scrubbed and stays out of the pool (failed)',
  'attachment.force-release': 'an admin released a VF without a scrub',
  'attachment.reapply': 'reconcile set a drifted VF back to its attachment',
  'attachment.reapply-failed': 'reconcile could not set a drifted VF back',
  'attachment.orphaned': "an attachment's VF is gone",
  'attachment.refused': "a request was refused over another tenant's consumer or MAC",
  'policy.apply': 'a policy was applied to the host',
};

/** Every member of AuditAction. */
export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_MEANINGS) as readonly AuditAction[];

/** What an audit action records, in words. */
export function auditActionMeaning(action: AuditAction): string {
  return AUDIT_ACTION_MEANINGS[action];
}

/** An audit entry to append, with its action from the union. */
export type AuditRecord = Omit<NewAuditEntry, 'action'> & { action: AuditAction };

/** Appends one entry inside a transaction: the only way sriovctl writes the audit log. */
export function appendAudit(
  tx: LedgerWriter,
  entry: AuditRecord,
  now: string,
): Promise<AuditEntry> {
  return tx.appendAudit(entry, now);
}

/** An audit entry for a change made on behalf of `ctx`. */
export function auditEntry(
  ctx: RequestContext,
  action: AuditAction,
  tenant: string | null,
  target: string,
  before: unknown,
  after: unknown,
): AuditRecord {
  return {
    actor: ctx.actor.name,
    action,
    tenant,
    target,
    before,
    after,
    requestId: ctx.requestId ?? null,
  };
}
