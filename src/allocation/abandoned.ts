/**
 * Kernel operations that missed their deadline and have not returned. They are not cancelled (a
 * netlink batch or a sysfs write blocked in the kernel may still land), so their VFs are held —
 * not scrubbed, not handed out — until the operation returns; then a background reconcile compares
 * them with the kernel and scrubs and releases the failed ones.
 */
import { HostBusyError } from '../executor/host-gate.js';
import type { HostTimeoutError } from '../host/errors.js';
import type { Attachment } from '../ledger/types.js';

/** A kernel operation that missed its deadline and has not returned yet. */
export interface AbandonedOp {
  /** What it was: `ip -batch`, `write /sys/...`. */
  what: string;
  since: string;
}

/** How often a background reconcile retries while a host-wide operation holds the host. */
const LATE_RECONCILE_ATTEMPTS = 120;

export interface AbandonedOptions {
  stamp: () => string;
  /** The reconcile run once an abandoned operation returns. */
  reconcile: () => Promise<unknown>;
  /** Called with what a background reconcile could not do. */
  onBackgroundError: (err: unknown) => void;
}

export class Abandoned {
  private readonly ops = new Map<string, AbandonedOp>();
  /** The background reconcile queued or running (after a late kernel answer). */
  private lateReconcile: Promise<void> | null = null;
  /** One is queued and has not started: later answers are covered by it. */
  private lateQueued = false;

  constructor(private readonly opts: AbandonedOptions) {}

  /** The operation an attachment waits for, if any. */
  get(id: string): AbandonedOp | undefined {
    return this.ops.get(id);
  }

  has(id: string): boolean {
    return this.ops.has(id);
  }

  /** Holds `rows` until the timed-out operation returns, then reconciles. */
  abandon(rows: readonly Attachment[], t: HostTimeoutError): void {
    // Without a handle on the work (a wait that gave up), nothing of it is left running.
    if (t.settled === undefined) return;
    const entry: AbandonedOp = { what: t.message, since: this.opts.stamp() };
    for (const a of rows) this.ops.set(a.id, entry);
    void t.settled.then(() => {
      for (const a of rows) if (this.ops.get(a.id) === entry) this.ops.delete(a.id);
      this.reconcileLater();
    });
  }

  /** Reconciles in the background, once at a time; waits and retries while the host is busy. */
  private reconcileLater(): void {
    if (this.lateQueued) return;
    this.lateQueued = true;
    const run = async () => {
      this.lateQueued = false;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.opts.reconcile();
          return;
        } catch (err) {
          if (!(err instanceof HostBusyError) || attempt >= LATE_RECONCILE_ATTEMPTS) {
            this.opts.onBackgroundError(err);
            return;
          }
          await new Promise((r) => setTimeout(r, err.retryAfterS * 1000).unref());
        }
      }
    };
    const next = (this.lateReconcile ?? Promise.resolve()).then(run);
    this.lateReconcile = next;
    void next.finally(() => {
      if (this.lateReconcile === next) this.lateReconcile = null;
    });
  }

  /** Resolves once no background reconcile (after a late kernel answer) is queued or running. */
  async idle(): Promise<void> {
    while (this.lateReconcile) await this.lateReconcile;
  }

  /** The `detail` of a row held because its kernel operation timed out. */
  timedOutDetail(a: Attachment): string {
    const t = this.ops.get(a.id);
    return `the kernel did not answer in time (${t?.what ?? 'a kernel operation timed out'}) and may still apply the change: a reconcile scrubs and releases the VF once it answers; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${a.id})`;
  }
}
