/**
 * Refusals about what another tenant may hold — a consumer, a MAC — built in one place, because
 * what a caller learns from them is a wall between tenants:
 * - a caller confined to a tenant learns that the thing is not available to it, in the same words
 *   whatever the reason (another tenant holds it, the host itself uses it): never whose it is, nor
 *   its attachments, PFs, VF indexes, interfaces or how many there are;
 * - a caller without a tenant, who may read every tenant's attachments anyway, gets the detail;
 * - a refusal because of another tenant's row carries an audit note, which the ledger records
 *   host-wide (tenant null: the admins see it, neither tenant does), so probing shows.
 * Pool capacity is nobody's secret: placement explains refusals with counts over the whole pool
 * (VFs taken, guaranteed bandwidth given out per PF), which a tenant may see, but never by whom.
 */
import { LedgerError } from './errors.js';
import type { ConflictError } from './store.js';
import type { Attachment, Consumer } from './types.js';

/** Who is refused: `tenant` set means confined to it. */
export interface Caller {
  tenant: string | null;
}

/** What the audit log records about a refusal that concerned another tenant's row. */
export interface AuditNote {
  target: string;
  after: Record<string, unknown>;
}

/** A refusal that may concern another tenant; `audit` is set when it did. */
export class Unavailable extends LedgerError {
  override name = 'Unavailable';
  constructor(
    message: string,
    field: string,
    hint: string,
    code: 'consumer-unavailable' | 'mac-unavailable',
    /** Never sent to the caller: only the audit log holds it. */
    readonly audit: AuditNote | null,
  ) {
    super('conflict', message, field, hint, { code });
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function named(c: Consumer): string {
  return `${c.kind} ${c.name}`;
}

/** The audit log's target for a consumer: `consumer/<host>/<kind>/<name>`. */
export function consumerTarget(c: Consumer): string {
  return `consumer/${c.host}/${c.kind}/${c.name}`;
}

/**
 * Refuses `consumer` to `tenant` because it holds `theirs`, attachments of other tenants: a
 * consumer (kind, name, host) belongs to one tenant while it holds anything.
 */
export function consumerUnavailable(
  caller: Caller,
  tenant: string,
  consumer: Consumer,
  theirs: readonly Attachment[],
): Unavailable {
  const owners = [...new Set(theirs.map((a) => a.tenant))].sort();
  const audit: AuditNote = {
    target: consumerTarget(consumer),
    after: {
      refused: 'consumer',
      tenant,
      heldBy: owners,
      attachments: theirs.map((a) => a.id),
    },
  };
  if (caller.tenant !== null)
    return new Unavailable(
      `${named(consumer)} is not available to tenant ${tenant}`,
      'consumer.name',
      'name a consumer of your own: consumer names are shared by every tenant on a host (a prefix of your tenant avoids clashes)',
      'consumer-unavailable',
      audit,
    );
  const rows = theirs.map((a) => `${a.interface}: attachment ${a.id}`).join(', ');
  return new Unavailable(
    `${named(consumer)} holds ${plural(theirs.length, 'VF')} of tenant ${owners.join(', ') || '(another)'} (${rows}); a consumer belongs to one tenant while it holds VFs`,
    'consumer.name',
    `attach it for tenant ${owners[0] ?? 'that holds it'}, or detach its VFs first`,
    'consumer-unavailable',
    audit,
  );
}

/** Who holds a MAC: an attachment, the host itself (a PF's own address), or unknown (null). */
export type MacHolder = { attachment: Attachment } | { pf: string } | null;

const MAC_FIX =
  'leave mac out to get the stable MAC sriovctl derives for this interface, or choose another locally administered address';

/** Refuses `mac` to an interface of `tenant` because `holder` has it. */
export function macUnavailable(
  caller: Caller,
  tenant: string,
  mac: string,
  holder: MacHolder,
): Unavailable {
  if (holder && 'attachment' in holder && holder.attachment.tenant === tenant) {
    // The tenant's own: it may see all of it.
    const a = holder.attachment;
    return new Unavailable(
      `MAC ${mac} is already used by attachment ${a.id} (${named(a.consumer)} ${a.interface})`,
      'mac',
      MAC_FIX,
      'mac-unavailable',
      null,
    );
  }
  const audit: AuditNote | null =
    holder && 'attachment' in holder
      ? {
          target: `mac/${mac}`,
          after: {
            refused: 'mac',
            tenant,
            heldBy: holder.attachment.tenant,
            attachment: holder.attachment.id,
          },
        }
      : null;
  if (caller.tenant !== null)
    return new Unavailable(
      `MAC ${mac} is not available on this host`,
      'mac',
      MAC_FIX,
      'mac-unavailable',
      audit,
    );
  const detail =
    holder === null
      ? `MAC ${mac} is already in use on this host`
      : 'attachment' in holder
        ? `MAC ${mac} is used by attachment ${holder.attachment.id} of tenant ${holder.attachment.tenant} (${named(holder.attachment.consumer)} ${holder.attachment.interface})`
        : `MAC ${mac} is the address of PF ${holder.pf} on this host`;
  return new Unavailable(detail, 'mac', MAC_FIX, 'mac-unavailable', audit);
}

/**
 * The refusal for a constraint the store enforced itself (a check the ledger made first should
 * have caught it): worded by the same rules as the ones above.
 */
export function conflictRefusal(
  caller: Caller,
  row: Attachment,
  err: ConflictError,
  all: readonly Attachment[],
): LedgerError {
  const c = row.consumer;
  if (err.constraint === 'consumer-of-another-tenant')
    return consumerUnavailable(
      caller,
      row.tenant,
      c,
      all.filter(
        (a) =>
          a.tenant !== row.tenant &&
          a.consumer.kind === c.kind &&
          a.consumer.name === c.name &&
          a.consumer.host === c.host,
      ),
    );
  if (err.constraint === 'mac-in-use' && row.mac !== null) {
    const a = all.find((x) => x.mac === row.mac && x.id !== row.id);
    return macUnavailable(caller, row.tenant, row.mac, a ? { attachment: a } : null);
  }
  return new LedgerError('conflict', err.message);
}
