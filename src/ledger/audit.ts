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

/** Every member of AuditAction, for checks and documentation. */
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'tenant.create',
  'tenant.update',
  'tenant.delete',
  'pool.create',
  'pool.update',
  'pool.delete',
  'token.create',
  'token.revoke',
  'attachment.create',
  'attachment.delete',
  'attachment.rollback',
  'attachment.scrub-failed',
  'attachment.force-release',
  'attachment.reapply',
  'attachment.reapply-failed',
  'attachment.orphaned',
  'attachment.refused',
  'policy.apply',
];

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
