/**
 * The inventory the ledger places from. Discovery of a big host takes tens of milliseconds, far too
 * long to repeat per request, and what placement needs (which VFs exist, their PF, NUMA node, link
 * speed) changes rarely: so one snapshot is shared, refreshed when it gets old, when the kernel
 * announces a link change, and after sriovctl itself changed drivers or VF counts.
 */
import type { Host } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import type { Inventory } from '../inventory/types.js';

export interface InventoryCacheOptions {
  /** A snapshot older than this is refreshed before use; default 30 s. */
  maxAgeMs?: number;
  now?: () => number;
}

export class InventoryCache {
  private snapshot: Inventory | null = null;
  private takenAt = 0;
  private stale = true;
  private inflight: Promise<Inventory> | null = null;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly host: Host,
    opts: InventoryCacheOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** The current snapshot, rediscovered first when stale or old. */
  async get(): Promise<Inventory> {
    if (this.snapshot && !this.stale && this.now() - this.takenAt < this.maxAgeMs)
      return this.snapshot;
    return this.refresh();
  }

  /** Rediscovers now; concurrent callers share one discovery. */
  refresh(): Promise<Inventory> {
    if (this.inflight) return this.inflight;
    this.stale = false;
    const started = this.now();
    const p = discover(this.host)
      .then((inv) => {
        this.snapshot = inv;
        this.takenAt = started;
        return inv;
      })
      .finally(() => {
        this.inflight = null;
      });
    this.inflight = p;
    return p;
  }

  /** Marks the snapshot out of date (a link event, a driver change). */
  invalidate(): void {
    this.stale = true;
  }
}
