/**
 * What the ledger says, as scrapes and health passes need it: attachments indexed by VF, pools and
 * tenants. Reading every attachment from the store per scrape would cost more than the scrape, and
 * the ledger announces every change it makes: so one view is kept and reloaded after a change (or
 * when it is older than `maxAgeMs`, in case a change was made behind the daemon's back).
 * Concurrent readers share one reload.
 */
import type { LedgerEvent } from '../ledger/events.js';
import type { LedgerReader } from '../ledger/store.js';
import type { Attachment, Pool, Tenant } from '../ledger/types.js';

export interface LedgerSnapshot {
  /** Increases with every reload: collectors cache what they derive per version. */
  version: number;
  attachments: readonly Attachment[];
  /** `${pf PCI address}#${vfIndex}` → the attachment holding that VF. */
  byVf: ReadonlyMap<string, Attachment>;
  pools: readonly Pool[];
  poolsByName: ReadonlyMap<string, Pool>;
  tenants: readonly Tenant[];
}

/** The key of a VF in `byVf`. */
export const vfKey = (pf: string, vfIndex: number): string => `${pf}#${vfIndex}`;

export interface LedgerViewOptions {
  /** Reload at least this often even without a ledger event; default 30 s. */
  maxAgeMs?: number;
  now?: () => number;
}

/** The part of the Ledger the view reads: its store and its change events. */
export interface LedgerSource {
  onEvent(fn: (e: LedgerEvent) => void): () => void;
  store: LedgerReader;
}

export class LedgerView {
  private snap: LedgerSnapshot | null = null;
  private loadedAt = 0;
  private dirty = true;
  private inflight: Promise<LedgerSnapshot> | null = null;
  private version = 0;
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<(e: LedgerEvent) => void>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ledger: LedgerSource,
    opts: LedgerViewOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.unsubscribe = ledger.onEvent((e) => {
      this.dirty = true;
      for (const fn of this.listeners) fn(e);
    });
  }

  /** The ledger's events, after the view has marked itself out of date. */
  onEvent(fn: (e: LedgerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The current view; reloads first when the ledger changed since the last load. */
  get(): Promise<LedgerSnapshot> {
    if (this.snap && !this.dirty && this.now() - this.loadedAt < this.maxAgeMs)
      return Promise.resolve(this.snap);
    if (this.inflight) return this.inflight;
    // Cleared before reading: a change that lands during the reload marks the view dirty again.
    this.dirty = false;
    const p = this.load()
      .catch((err: unknown) => {
        this.dirty = true;
        throw err;
      })
      .finally(() => {
        this.inflight = null;
      });
    this.inflight = p;
    return p;
  }

  private async load(): Promise<LedgerSnapshot> {
    const started = this.now();
    const store = this.ledger.store;
    const [attachments, pools, tenants] = await Promise.all([
      store.listAttachments(),
      store.listPools(),
      store.listTenants(),
    ]);
    const byVf = new Map<string, Attachment>();
    for (const a of attachments) byVf.set(vfKey(a.pf, a.vfIndex), a);
    this.snap = {
      version: ++this.version,
      attachments,
      byVf,
      pools,
      poolsByName: new Map(pools.map((p) => [p.name, p])),
      tenants,
    };
    this.loadedAt = started;
    return this.snap;
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }
}
