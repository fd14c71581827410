/**
 * The ledger's storage interface. SQLite fills it for one host; a PostgreSQL implementation can
 * fill it for a fleet (issue 17), and both must pass the same contract suite
 * (test/unit/ledger/store-contract/). Every method is async so a networked database fits;
 * uniqueness that keeps tenants apart is the store's job, enforced by constraints, so that no
 * caller can get it wrong — and so is the rule that a consumer belongs to one tenant while it
 * holds anything.
 *
 * One store may hold the attachments of many hosts. Every attachment row carries its `host`, and
 * the constraints are scoped as what they protect is:
 *  - a VF is (host, PF, VF index): per host — identical servers have the same PCI addresses;
 *  - a consumer interface is (consumer host, kind, name, interface), and a consumer holds rows of
 *    one tenant: the consumer's host is part of its name, so the rule spans the fleet;
 *  - a MAC is unique across the whole store (fleet-wide): a MAC must be unique per L2 domain,
 *    and VLANs span hosts, so two hosts of one fleet may share any segment; with a store per
 *    host this is the same rule as before.
 * Tenants, pools, tokens, idempotency records, the audit log and the MAC key are fleet-wide.
 * A host's daemon sees its own rows through `scopeToHost` (host-scope.ts).
 */
import type {
  Attachment,
  AttachmentState,
  AuditEntry,
  Pool,
  PoolSpec,
  Tenant,
  TenantSpec,
  TokenRecord,
} from './types.js';

export interface AttachmentFilter {
  /** The host the VF is on (Attachment.host). */
  host?: string;
  tenant?: string;
  pool?: string;
  consumerName?: string;
  state?: AttachmentState;
  pf?: string;
}

export interface AuditFilter {
  tenant?: string;
  action?: string;
  target?: string;
  /** Entries with seq below this (for paging backwards from the newest). */
  before?: number;
  limit: number;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq' | 'at'>;

export interface IdempotencyRecord {
  actor: string;
  key: string;
  /** Hash of the request body: the same key with another body is a client bug. */
  requestHash: string;
  status: 'pending' | 'done';
  /** The HTTP status and body sent the first time. */
  response: { status: number; body: unknown } | null;
}

export interface TokenWithHash extends TokenRecord {
  hash: string;
}

/**
 * A constraint the store refused: which one, and the row that holds it. The holder may belong to
 * another tenant or another host: it is for the caller's decisions and the admins' audit, never
 * for a tenant's eyes.
 */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    readonly constraint:
      'vf-owned' | 'interface-attached' | 'mac-in-use' | 'consumer-of-another-tenant' | 'exists',
    message: string,
    /** The id of the attachment (or token, for `exists`) holding the constraint, when known. */
    readonly holder: string | null = null,
  ) {
    super(message);
  }
}

/** Reads. Inside `mutate` they see the transaction's own changes. */
export interface LedgerReader {
  getTenant(name: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  getPool(name: string): Promise<Pool | null>;
  listPools(): Promise<Pool[]>;
  getAttachment(id: string): Promise<Attachment | null>;
  listAttachments(filter?: AttachmentFilter): Promise<Attachment[]>;
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  getIdempotency(actor: string, key: string): Promise<IdempotencyRecord | null>;
  findToken(hash: string): Promise<TokenWithHash | null>;
  listTokens(): Promise<TokenRecord[]>;
  /**
   * This ledger's secret for deriving consumer MACs: random, made once with the ledger and kept
   * in it, so a MAC stays the same across restarts but nobody without the database can compute it.
   */
  macKey(): Promise<string>;
}

/** Writes; only available inside `mutate`, so every change is part of one transaction. */
export interface LedgerWriter extends LedgerReader {
  putTenant(name: string, spec: TenantSpec, now: string): Promise<Tenant>;
  deleteTenant(name: string): Promise<boolean>;
  putPool(name: string, spec: PoolSpec, now: string): Promise<Pool>;
  deletePool(name: string): Promise<boolean>;
  /**
   * Throws ConflictError when the VF, the consumer interface or the MAC is taken, or the consumer
   * holds attachments of another tenant.
   */
  insertAttachment(a: Attachment): Promise<void>;
  updateAttachment(
    id: string,
    patch: { state?: AttachmentState; detail?: string | null },
    now: string,
  ): Promise<Attachment | null>;
  deleteAttachment(id: string): Promise<boolean>;
  appendAudit(entry: NewAuditEntry, now: string): Promise<AuditEntry>;
  putIdempotency(rec: IdempotencyRecord, now: string): Promise<void>;
  deleteIdempotency(actor: string, key: string): Promise<void>;
  insertToken(t: TokenWithHash): Promise<void>;
  deleteToken(id: string): Promise<boolean>;
}

export interface MutateOptions {
  /**
   * A hint, default true. `false` says the caller can lose this unit if the machine the ledger
   * lives on loses power, because the unit only guards state that machine loses with it (a
   * reservation made before configuring a VF: a power loss resets the VFs too). A store may then
   * answer once the unit is committed, before it is synced to disk: SQLite does, and a later
   * durable unit makes every earlier one durable. A store whose database lives on another machine
   * than the VFs (PostgreSQL for a fleet) must ignore it and commit durably: the database's
   * machine losing power resets no host's VFs. Kept as a hint rather than removed because on one
   * host it saves an attach a wait for the disk; no caller may depend on it being honoured.
   */
  durable?: boolean;
}

export interface LedgerStore extends LedgerReader {
  /**
   * Runs `fn` as one atomic unit and resolves once it is committed (and durable, see
   * MutateOptions). A throw undoes everything `fn` wrote and rejects with what it threw.
   *
   * `fn` may run more than once: a networked store retries a unit the database aborted (a
   * serialization failure, a deadlock) from the start, and only the last run's writes and return
   * value count. So `fn` must have no effect outside `tx` — no changes to process memory, no
   * events, no I/O — and must decide only on what it reads through `tx`; effects belong after
   * `mutate` resolves. Reads through `tx` see the unit's own writes; reads on the store itself see
   * every unit whose `mutate` resolved, and what they show of a unit still running is the store's
   * business (SQLite's cached rows show none of it). `fn` should not wait on anything but `tx`: a
   * store may run units one at a time, and a slow one holds the others up.
   */
  mutate<T>(fn: (tx: LedgerWriter) => Promise<T>, opts?: MutateOptions): Promise<T>;
  close(): Promise<void>;
}
