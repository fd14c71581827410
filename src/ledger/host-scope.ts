/**
 * One host's view of a store that may hold many hosts' attachments (a fleet's PostgreSQL ledger).
 * A host's daemon runs on this view, so it can see and change only the attachments of its own VFs:
 * on a shared database identical servers have the same PCI addresses, and a reconcile that
 * matched another host's rows by PCI address would detach that host's consumers. Tenants, pools,
 * tokens, idempotency records, the audit log and the MAC key are the fleet's and pass through.
 */
import type {
  AttachmentFilter,
  LedgerReader,
  LedgerStore,
  LedgerWriter,
  MutateOptions,
} from './store.js';
import type { Attachment } from './types.js';

/** A write of another host's attachment through a host's view: a bug in the caller, not input. */
export class HostScopeError extends Error {
  override name = 'HostScopeError';
  constructor(
    /** The host the view belongs to. */
    readonly host: string,
    /** The host of the attachment the write was about. */
    readonly rowHost: string,
    readonly attachment: string,
  ) {
    super(
      `attachment ${attachment} is on host ${rowHost}; this ledger view belongs to host ${host} and changes only that host's attachments`,
    );
  }
}

/** The attachment reads of `r`, limited to `host`; everything else passes through. */
function scopedReader(r: LedgerReader, host: string): LedgerReader {
  return {
    getTenant: (name) => r.getTenant(name),
    listTenants: () => r.listTenants(),
    getPool: (name) => r.getPool(name),
    listPools: () => r.listPools(),
    getAttachment: async (id) => {
      const a = await r.getAttachment(id);
      return a !== null && a.host === host ? a : null;
    },
    listAttachments: async (f: AttachmentFilter = {}) =>
      // Another host's rows are not in this view, so a filter naming that host matches nothing.
      f.host !== undefined && f.host !== host ? [] : r.listAttachments({ ...f, host }),
    listAudit: (f) => r.listAudit(f),
    getIdempotency: (actor, key) => r.getIdempotency(actor, key),
    findToken: (hash) => r.findToken(hash),
    listTokens: () => r.listTokens(),
    macKey: () => r.macKey(),
  };
}

function scopedWriter(tx: LedgerWriter, host: string): LedgerWriter {
  /** Refuses a change of an existing row of another host; a missing row is the store's answer. */
  const own = async (id: string): Promise<void> => {
    const a = await tx.getAttachment(id);
    if (a !== null && a.host !== host) throw new HostScopeError(host, a.host, id);
  };
  return {
    ...scopedReader(tx, host),
    putTenant: (name, spec, now) => tx.putTenant(name, spec, now),
    deleteTenant: (name) => tx.deleteTenant(name),
    putPool: (name, spec, now) => tx.putPool(name, spec, now),
    deletePool: (name) => tx.deletePool(name),
    insertAttachment: async (a: Attachment) => {
      if (a.host !== host) throw new HostScopeError(host, a.host, a.id);
      return tx.insertAttachment(a);
    },
    updateAttachment: async (id, patch, now) => {
      await own(id);
      return tx.updateAttachment(id, patch, now);
    },
    deleteAttachment: async (id) => {
      await own(id);
      return tx.deleteAttachment(id);
    },
    appendAudit: (entry, now) => tx.appendAudit(entry, now),
    putIdempotency: (rec, now) => tx.putIdempotency(rec, now),
    deleteIdempotency: (actor, key) => tx.deleteIdempotency(actor, key),
    insertToken: (t) => tx.insertToken(t),
    deleteToken: (id) => tx.deleteToken(id),
  };
}

/**
 * `store` as host `host` sees it: attachment reads answer only that host's rows, and a write of
 * another host's attachment throws HostScopeError. Closing the view closes the store.
 */
export function scopeToHost(store: LedgerStore, host: string): LedgerStore {
  if (host.trim() === '') throw new Error('a host-scoped ledger view needs a host name');
  return {
    ...scopedReader(store, host),
    mutate: <T>(fn: (tx: LedgerWriter) => Promise<T>, opts?: MutateOptions) =>
      store.mutate((tx) => fn(scopedWriter(tx, host)), opts),
    close: () => store.close(),
  };
}
