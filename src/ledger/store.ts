/**
 * The ledger's storage interface. SQLite fills it for one host; a PostgreSQL implementation can
 * fill it for a fleet. Every method is async so a networked database fits; uniqueness that keeps
 * tenants apart (one owner per VF, one VF per consumer interface, one interface per MAC) is the
 * store's job, enforced by constraints, so that no caller can get it wrong — and so is the rule
 * that a consumer belongs to one tenant while it holds anything.
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
  tenant?: string;
  pool?: string;
  consumerName?: string;
  state?: AttachmentState;
  pf?: string;
  host?: string;
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

/** A constraint the store refused: which one, and the row that holds it. */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    readonly constraint:
      'vf-owned' | 'interface-attached' | 'mac-in-use' | 'consumer-of-another-tenant' | 'exists',
    message: string,
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
  /** Wait for the commit to reach the disk (default true). */
  durable?: boolean;
}

export interface LedgerStore extends LedgerReader {
  /**
   * Runs `fn` as one atomic unit and resolves once it is durable. A throw undoes everything `fn`
   * wrote. `fn` must not wait on anything but the writer (no I/O): units run one at a time.
   *
   * With `durable: false` it resolves once committed, before the commit is synced to disk: the
   * unit survives the process dying, not the machine losing power. That is enough for records that
   * only guard kernel state (a reservation made before configuring a VF): a power loss resets the
   * VFs too. A later durable unit makes every earlier one durable.
   */
  mutate<T>(fn: (tx: LedgerWriter) => Promise<T>, opts?: MutateOptions): Promise<T>;
  close(): Promise<void>;
}
