/**
 * What the daemon notices, as events on its bus: ledger changes (tenants, pools, attachments,
 * reconcile passes) and drift passes, each with a dotted kind, a level and one line a person can
 * read. Drift passes repeat every interval; only changes are published (a new set of drift steps,
 * the host back in sync, a new reason a repair is skipped), or the history would be all repeats.
 */
import type { LedgerEvent, ReconcileReport } from '../ledger/ledger.js';
import type { Attachment } from '../ledger/types.js';
import type { DaemonEvent, EventBus, EventLevel, NewEvent } from '../metrics/events.js';
import type { DriftEvent } from '../policy/drift.js';
import { UNREADABLE_WHY_TEXT, unverifiedText } from '../policy/verify.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function vfOf(a: Attachment): string {
  return `VF ${a.vfIndex} of ${a.pfNetdev ?? a.pf}`;
}

function consumerOf(a: Attachment): string {
  return `${a.consumer.kind} ${a.consumer.name}`;
}

function reconcileEvent(r: ReconcileReport): NewEvent {
  const parts: string[] = [];
  if (r.completed.length) parts.push(`${r.completed.length} attach(es) completed`);
  if (r.rolledBack.length) parts.push(`${r.rolledBack.length} rolled back`);
  if (r.scrubbed.length) parts.push(`${r.scrubbed.length} detach(es) finished`);
  if (r.reapplied.length) parts.push(`${r.reapplied.length} re-applied`);
  if (r.orphaned.length) parts.push(`${r.orphaned.length} orphaned (VF gone)`);
  if (r.failed.length) parts.push(`${r.failed.length} failed`);
  const level: EventLevel = r.failed.length ? 'error' : r.orphaned.length ? 'warn' : 'info';
  return {
    kind: 'ledger.reconciled',
    level,
    message: parts.length
      ? `ledger reconciled with the kernel: ${parts.join(', ')}`
      : 'ledger reconciled with the kernel: nothing to do',
    data: { report: r },
  };
}

/** The bus event for a ledger change. */
export function ledgerEventToBus(e: LedgerEvent): NewEvent {
  switch (e.kind) {
    case 'tenant':
      return {
        kind: e.action === 'put' ? 'tenant.updated' : 'tenant.deleted',
        level: 'info',
        message: e.action === 'put' ? `tenant ${e.name} saved` : `tenant ${e.name} deleted`,
        tenant: e.name,
        data: { name: e.name },
      };
    case 'pool':
      return {
        kind: e.action === 'put' ? 'pool.updated' : 'pool.deleted',
        level: 'info',
        message: e.action === 'put' ? `pool ${e.name} saved` : `pool ${e.name} deleted`,
        data: { name: e.name },
      };
    case 'token':
      return {
        kind: 'token.revoked',
        level: 'info',
        message: `token ${e.token.name} revoked`,
        tenant: e.token.tenant,
        data: { id: e.token.id, name: e.token.name },
      };
    case 'attachment': {
      const a = e.attachment;
      const base = { tenant: e.tenant, data: { id: e.id, attachment: a } };
      if (e.action === 'attached')
        return {
          ...base,
          kind: 'attachment.attached',
          level: 'info',
          message: `${vfOf(a)} attached to ${consumerOf(a)} as ${a.interface} (tenant ${a.tenant}, pool ${a.pool})`,
        };
      if (e.action === 'detached')
        return {
          ...base,
          kind: 'attachment.detached',
          level: 'info',
          message: `${vfOf(a)} detached from ${consumerOf(a)}, scrubbed and back in pool ${a.pool}`,
        };
      return {
        ...base,
        kind: 'attachment.failed',
        level: 'error',
        message: `${vfOf(a)} could not be scrubbed after ${consumerOf(a)} released it; it stays out of the pool (state failed)`,
      };
    }
    case 'reconcile':
      return reconcileEvent(e.report);
  }
}

/**
 * The fields of a bus event's log line. An attachment is logged by what identifies it (the events
 * stream carries it whole): serializing every field of it on every attach and detach cost more
 * than the rest of the line, and the audit log keeps the before and after.
 */
export function logFieldsOf(e: DaemonEvent): Record<string, unknown> {
  const { attachment, ...rest } = e.data as { attachment?: Attachment };
  const fields: Record<string, unknown> = { event: e.kind, id: e.id, tenant: e.tenant, ...rest };
  if (attachment)
    fields.attachment = {
      pool: attachment.pool,
      consumer: `${attachment.consumer.kind}/${attachment.consumer.name}@${attachment.consumer.host}`,
      interface: attachment.interface,
      pf: attachment.pfNetdev ?? attachment.pf,
      vf: attachment.vfIndex,
      mac: attachment.mac,
      vlan: attachment.vlan,
      state: attachment.state,
    };
  return fields;
}

/** Publishes every ledger change on the bus; returns the unsubscribe. */
export function bridgeLedger(
  ledger: { onEvent(fn: (e: LedgerEvent) => void): () => void },
  bus: EventBus,
): () => void {
  return ledger.onEvent((e) => bus.publish(ledgerEventToBus(e)));
}

/**
 * A drift watcher's onEvent that publishes changes of the drift state on the bus. One per watcher:
 * it remembers what it published. Drift with the same steps, the same skip reason, the same repair
 * failure or the same error is said once until something else happens.
 */
export function driftToBus(bus: EventBus): (e: DriftEvent) => void {
  /** 'in-sync', the signature of the drift last published, or null (unknown / just repaired). */
  let state: string | null = null;
  /** The last skip reason, repair failure or error published for the current state. */
  let said: string | null = null;
  const sayOnce = (what: string, ev: NewEvent) => {
    if (said === what) return;
    said = what;
    bus.publish(ev);
  };
  const enter = (next: string, ev: NewEvent) => {
    if (state === next) return;
    state = next;
    said = null;
    bus.publish(ev);
  };
  return (e) => {
    switch (e.type) {
      case 'in-sync':
        return enter(`in-sync ${JSON.stringify(e.unverified ?? [])}`, {
          kind: 'drift.in-sync',
          level: 'info',
          message: e.unverified?.length
            ? `the host matches the policy in everything the kernel reports; ${e.unverified.map((u) => `${unverifiedText([u])} cannot be verified (${UNREADABLE_WHY_TEXT[u.why]})`).join('; ')}`
            : 'the host matches the policy',
          data: { trigger: e.trigger, ...(e.unverified ? { unverified: e.unverified } : {}) },
        });
      case 'drift':
        return enter(`drift ${JSON.stringify(e.steps)}`, {
          kind: 'drift.detected',
          level: 'warn',
          message: `drift: ${plural(e.steps.length, 'step')} from the policy (${e.steps
            .slice(0, 3)
            .map((s) => s.what)
            .join('; ')}${e.steps.length > 3 ? '; …' : ''})`,
          data: { trigger: e.trigger, steps: e.steps },
        });
      case 'repaired':
        state = said = null;
        bus.publish({
          kind: 'drift.repaired',
          level: 'info',
          message: `drift repaired (${plural(e.steps, 'step')})`,
          data: { steps: e.steps },
        });
        return;
      case 'repair-skipped':
        return sayOnce(`skipped ${e.reason}`, {
          kind: 'drift.repair-skipped',
          level: 'warn',
          message: `drift not repaired: ${e.reason}`,
          data: { reason: e.reason },
        });
      case 'repair-failed':
        return sayOnce(`failed ${e.error}`, {
          kind: 'drift.repair-failed',
          level: 'error',
          message: `drift repair failed: ${e.error}`,
          data: { error: e.error, ...(e.hint ? { hint: e.hint } : {}) },
        });
      case 'error':
        state = null;
        return sayOnce(`error ${e.error}`, {
          kind: 'drift.error',
          level: 'error',
          message: `drift check failed: ${e.error}`,
          data: { error: e.error },
        });
    }
  };
}
