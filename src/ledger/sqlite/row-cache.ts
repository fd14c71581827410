/**
 * The ledger's rows kept in memory, so reads (every request authenticates, every attach lists the
 * attachments for placement) run no SQL and parse no JSON. The tables it holds are small (a host
 * has at most a few thousand VFs); the audit log and idempotency records, which grow without
 * bound, stay on disk only.
 *
 * The committed rows change only when SQLite has committed: a unit's writes go to a layer of
 * their own, the open group's layer takes them when the unit is released, and the committed rows
 * take the group's layer after its COMMIT. A unit that throws, a group whose COMMIT fails, a unit
 * run again from the start: each only drops a layer, so nothing a unit did can leak into what
 * other readers see or survive its own undoing. The unit reads through all three layers, so it
 * sees its own writes and those of the units before it in the group.
 */
import type { TokenWithHash } from '../store.js';
import type { Attachment, Pool, Tenant } from '../types.js';

/** A copy a caller may change without changing the cache. */
export function copyAttachment(a: Attachment): Attachment {
  return { ...a, consumer: { ...a.consumer } };
}

const before = (a: Attachment, b: Attachment) =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

const byOrder = (a: Attachment, b: Attachment) => (before(a, b) ? -1 : before(b, a) ? 1 : 0);

/** Changes not yet committed, by key; null is a deleted row. */
interface Layer {
  tenants: Map<string, Tenant | null>;
  pools: Map<string, Pool | null>;
  /** By token hash. */
  tokens: Map<string, TokenWithHash | null>;
  attachments: Map<string, Attachment | null>;
}

const emptyLayer = (): Layer => ({
  tenants: new Map(),
  pools: new Map(),
  tokens: new Map(),
  attachments: new Map(),
});

const isEmpty = (l: Layer) =>
  l.tenants.size + l.pools.size + l.tokens.size + l.attachments.size === 0;

/** One way of looking at the rows: committed only, or as the running unit sees them. */
export interface RowView {
  tenant(name: string): Tenant | undefined;
  /** Every tenant, in no particular order. */
  tenants(): Tenant[];
  pool(name: string): Pool | undefined;
  pools(): Pool[];
  token(hash: string): TokenWithHash | undefined;
  tokens(): TokenWithHash[];
  attachment(id: string): Attachment | undefined;
  /** Every attachment, in (createdAt, id) order. */
  allAttachments(): Iterable<Attachment>;
}

export class RowCache {
  private readonly tenantRows = new Map<string, Tenant>();
  private readonly poolRows = new Map<string, Pool>();
  private readonly tokenRows = new Map<string, TokenWithHash>();
  /** In (createdAt, id) order, the order listAttachments answers in. */
  private attachmentRows = new Map<string, Attachment>();
  /** The greatest (createdAt, id) inserted; an insert below it breaks the order. */
  private last: Attachment | null = null;
  private unordered = false;
  /** The running unit's changes, then those of the released units of the open group. */
  private unit = emptyLayer();
  private group = emptyLayer();

  /** The rows as committed: what reads outside a unit answer. */
  readonly committed: RowView;
  /** The rows as the running unit sees them: its writes, the open group's, the committed rows. */
  readonly pending: RowView;

  constructor(rows: {
    tenants: Tenant[];
    pools: Pool[];
    tokens: TokenWithHash[];
    /** Already in (createdAt, id) order. */
    attachments: Attachment[];
  }) {
    for (const t of rows.tenants) this.tenantRows.set(t.name, t);
    for (const p of rows.pools) this.poolRows.set(p.name, p);
    for (const t of rows.tokens) this.tokenRows.set(t.hash, t);
    for (const a of rows.attachments) this.attachmentRows.set(a.id, a);
    this.last = rows.attachments.at(-1) ?? null;
    this.committed = {
      tenant: (n) => this.tenantRows.get(n),
      tenants: () => [...this.tenantRows.values()],
      pool: (n) => this.poolRows.get(n),
      pools: () => [...this.poolRows.values()],
      token: (h) => this.tokenRows.get(h),
      tokens: () => [...this.tokenRows.values()],
      attachment: (id) => this.attachmentRows.get(id),
      allAttachments: () => this.orderedAttachments(),
    };
    this.pending = {
      tenant: (n) => this.lookup('tenants', this.tenantRows, n),
      tenants: () => this.layered('tenants', this.tenantRows),
      pool: (n) => this.lookup('pools', this.poolRows, n),
      pools: () => this.layered('pools', this.poolRows),
      token: (h) => this.lookup('tokens', this.tokenRows, h),
      tokens: () => this.layered('tokens', this.tokenRows),
      attachment: (id) => this.lookup('attachments', this.attachmentRows, id),
      allAttachments: () => this.pendingAttachments(),
    };
  }

  /** A row as the unit sees it: the newest layer that changed it, else the committed row. */
  private lookup<K extends keyof Layer, V>(
    table: K,
    rows: Map<string, V>,
    key: string,
  ): V | undefined {
    for (const layer of [this.unit, this.group]) {
      const m = layer[table] as Map<string, V | null>;
      if (m.has(key)) return m.get(key) ?? undefined;
    }
    return rows.get(key);
  }

  /** Every row of a table as the unit sees it, in no particular order. */
  private layered<K extends keyof Layer, V>(table: K, rows: Map<string, V>): V[] {
    const over = new Map([
      ...(this.group[table] as Map<string, V | null>),
      ...(this.unit[table] as Map<string, V | null>),
    ]);
    if (over.size === 0) return [...rows.values()];
    const out: V[] = [];
    for (const [k, v] of rows) if (!over.has(k)) out.push(v);
    for (const v of over.values()) if (v !== null) out.push(v);
    return out;
  }

  private orderedAttachments(): IterableIterator<Attachment> {
    if (this.unordered) {
      const sorted = [...this.attachmentRows.values()].sort(byOrder);
      this.attachmentRows = new Map(sorted.map((a) => [a.id, a]));
      this.unordered = false;
    }
    return this.attachmentRows.values();
  }

  /** The committed attachments with the open layers laid over them, in (createdAt, id) order. */
  private pendingAttachments(): Iterable<Attachment> {
    const over = new Map([...this.group.attachments, ...this.unit.attachments]);
    if (over.size === 0) return this.orderedAttachments();
    const out: Attachment[] = [];
    for (const a of this.orderedAttachments()) {
      if (!over.has(a.id)) out.push(a);
      else {
        const changed = over.get(a.id);
        if (changed) out.push(changed);
      }
    }
    const added = [...over.values()]
      .filter((a): a is Attachment => a !== null && !this.attachmentRows.has(a.id))
      .sort(byOrder);
    const tail = out.at(-1);
    out.push(...added);
    // New rows usually come last; one created earlier than a committed row needs a sort.
    if (added.length > 0 && tail && before(added[0]!, tail)) out.sort(byOrder);
    return out;
  }

  setTenant(t: Tenant | null, name: string): void {
    this.unit.tenants.set(name, t);
  }

  setPool(p: Pool | null, name: string): void {
    this.unit.pools.set(name, p);
  }

  setToken(t: TokenWithHash | null, hash: string): void {
    this.unit.tokens.set(hash, t);
  }

  setAttachment(a: Attachment | null, id: string): void {
    this.unit.attachments.set(id, a);
  }

  /** The unit's changes are released into the group. */
  release(): void {
    for (const k of Object.keys(this.unit) as (keyof Layer)[]) {
      const into = this.group[k] as Map<string, unknown>;
      for (const [key, v] of this.unit[k] as Map<string, unknown>) into.set(key, v);
    }
    this.unit = emptyLayer();
  }

  /** The unit was rolled back to its savepoint (or undone with its transaction). */
  rollbackUnit(): void {
    this.unit = emptyLayer();
  }

  /** The group was committed: its changes become the committed rows. */
  commit(): void {
    // The store commits between units: every unit of the group was released into it.
    const g = this.group;
    this.group = emptyLayer();
    if (isEmpty(g)) return;
    apply(this.tenantRows, g.tenants);
    apply(this.poolRows, g.pools);
    apply(this.tokenRows, g.tokens);
    for (const [id, a] of g.attachments) {
      const prev = this.attachmentRows.get(id);
      if (a === null) this.attachmentRows.delete(id);
      else if (prev) {
        // Kept in place; a row deleted and inserted again may have moved in the order.
        this.attachmentRows.set(id, a);
        if (prev.createdAt !== a.createdAt) this.unordered = true;
      } else {
        this.attachmentRows.set(id, a);
        if (this.last && before(a, this.last)) this.unordered = true;
        else this.last = a;
      }
    }
  }

  /** The group's COMMIT failed and SQLite rolled it all back. */
  rollbackGroup(): void {
    this.unit = emptyLayer();
    this.group = emptyLayer();
  }
}

function apply<V>(rows: Map<string, V>, changes: Map<string, V | null>): void {
  for (const [k, v] of changes)
    if (v === null) rows.delete(k);
    else rows.set(k, v);
}
