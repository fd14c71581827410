/**
 * The ledger's rows kept in memory and written through, so reads (every request authenticates,
 * every attach lists the attachments for placement) run no SQL and parse no JSON. The tables it
 * holds are small (a host has at most a few thousand VFs); the audit log and idempotency records,
 * which grow without bound, stay on disk only.
 *
 * Each change records how to undo itself, because SQLite can still take it back: a unit that throws
 * is rolled back to its savepoint, and a failed group COMMIT rolls back every unit in it.
 */
import type { TokenWithHash } from '../store.js';
import type { Attachment, Pool, Tenant } from '../types.js';

type Undo = () => void;

/** A copy a caller may change without changing the cache. */
export function copyAttachment(a: Attachment): Attachment {
  return { ...a, consumer: { ...a.consumer } };
}

const before = (a: Attachment, b: Attachment) =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

export class RowCache {
  readonly tenants = new Map<string, Tenant>();
  readonly pools = new Map<string, Pool>();
  /** By token hash, the way requests look them up. */
  readonly tokens = new Map<string, TokenWithHash>();
  /** In (createdAt, id) order, the order listAttachments answers in. */
  private attachments = new Map<string, Attachment>();
  /** The greatest (createdAt, id) inserted; an insert below it breaks the order. */
  private last: Attachment | null = null;
  private unordered = false;
  /** Undo steps of the unit running now, then of the released units of the open group. */
  private unit: Undo[] = [];
  private group: Undo[] = [];

  constructor(rows: {
    tenants: Tenant[];
    pools: Pool[];
    tokens: TokenWithHash[];
    /** Already in (createdAt, id) order. */
    attachments: Attachment[];
  }) {
    for (const t of rows.tenants) this.tenants.set(t.name, t);
    for (const p of rows.pools) this.pools.set(p.name, p);
    for (const t of rows.tokens) this.tokens.set(t.hash, t);
    for (const a of rows.attachments) this.attachments.set(a.id, a);
    this.last = rows.attachments.at(-1) ?? null;
  }

  attachment(id: string): Attachment | undefined {
    return this.attachments.get(id);
  }

  /** Every attachment, in (createdAt, id) order. */
  allAttachments(): IterableIterator<Attachment> {
    if (this.unordered) {
      const sorted = [...this.attachments.values()].sort((a, b) =>
        before(a, b) ? -1 : before(b, a) ? 1 : 0,
      );
      this.attachments = new Map(sorted.map((a) => [a.id, a]));
      this.unordered = false;
    }
    return this.attachments.values();
  }

  /** Sets (or, with null, deletes) a keyed row and records the undo. */
  private change<K, V>(map: Map<K, V>, key: K, value: V | null): void {
    const prev = map.get(key);
    if (value === null) map.delete(key);
    else map.set(key, value);
    this.unit.push(() => {
      if (prev === undefined) map.delete(key);
      else map.set(key, prev);
    });
  }

  setTenant(t: Tenant | null, name: string): void {
    this.change(this.tenants, name, t);
  }

  setPool(p: Pool | null, name: string): void {
    this.change(this.pools, name, p);
  }

  setToken(t: TokenWithHash | null, hash: string): void {
    this.change(this.tokens, hash, t);
  }

  setAttachment(a: Attachment | null, id: string): void {
    if (a !== null && !this.attachments.has(id)) {
      if (this.last && before(a, this.last)) this.unordered = true;
      else this.last = a;
    }
    const prev = this.attachments.get(id);
    this.change(this.attachments, id, a);
    // An undone delete puts the row back at the end of the map, maybe out of order.
    if (a === null && prev) this.unit.push(() => (this.unordered = true));
  }

  /** The unit's changes are released into the group. */
  release(): void {
    this.group.push(...this.unit);
    this.unit = [];
  }

  /** The unit was rolled back to its savepoint. */
  rollbackUnit(): void {
    for (const u of this.unit.reverse()) u();
    this.unit = [];
  }

  /** The group was committed: nothing left to undo. */
  commit(): void {
    this.group = [];
  }

  /** The group's COMMIT failed and SQLite rolled it all back. */
  rollbackGroup(): void {
    this.rollbackUnit();
    for (const u of this.group.reverse()) u();
    this.group = [];
  }
}
