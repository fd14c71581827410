/**
 * Who may change the host right now. Attaches, detaches and reconcile passes change single VFs and
 * coordinate among themselves (the ledger's claims); a policy apply or a drift repair reshapes PFs
 * (destroys and recreates VFs, rebinds drivers, rewrites settings) and must run alone: an attach
 * configuring a VF while numVfs goes through 0 would answer "attached" for a VF that no longer
 * exists, and a repair could rewrite the VLAN an attach has just set.
 *
 * So ledger operations run `shared` and host-wide operations `exclusive`. From the moment an
 * exclusive operation asks, new ledger operations are refused (HostBusyError, which the API answers
 * with 503 and Retry-After) instead of queueing behind something that can take minutes; the
 * exclusive one waits for those already running to finish, then runs. Exclusive operations queue
 * behind each other.
 */
import { SriovctlError } from '../host/errors.js';

/** A host-wide operation holds the host; the request can be retried once it is done. */
export class HostBusyError extends SriovctlError {
  override name = 'HostBusyError';
  constructor(
    /** What holds the host ("policy apply 3f2c…", "drift repair"). */
    readonly holder: string,
    /** When it started (ISO 8601). */
    readonly since: string,
    /** A suggested wait before retrying, in seconds. */
    readonly retryAfterS: number,
  ) {
    super(
      `the host is busy: ${holder} has been changing it since ${since}; VFs are not handed out or scrubbed meanwhile`,
      `retry in a few seconds (after the apply.done event for a policy apply)`,
    );
  }
}

interface Holder {
  label: string;
  since: string;
}

/**
 * Proof of holding the host, handed to a host-wide operation: ledger operations it runs itself
 * (the reconcile after a policy apply) pass it to go ahead instead of being refused.
 */
export interface HeldGate {
  readonly label: string;
}

export class HostGate {
  private running = 0;
  private drained: (() => void)[] = [];
  private holders: Holder[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  /** The host-wide operation running now (not merely waiting). */
  private active: Holder | null = null;

  constructor(private readonly opts: { retryAfterS?: number; now?: () => Date } = {}) {}

  /** The host-wide operation holding or waiting for the host, oldest first; null when none. */
  get holder(): Holder | null {
    return this.holders[0] ?? null;
  }

  /** Ledger operations running now. */
  get shared(): number {
    return this.running;
  }

  /**
   * Runs a ledger operation; refuses with HostBusyError while a host-wide operation holds the host
   * or waits for it, unless `held` says the caller is that operation.
   */
  async runShared<T>(fn: () => Promise<T>, held?: HeldGate): Promise<T> {
    if (held !== undefined && this.active === held) return fn();
    const h = this.holders[0];
    if (h) throw new HostBusyError(h.label, h.since, this.opts.retryAfterS ?? 5);
    this.running++;
    try {
      return await fn();
    } finally {
      if (--this.running === 0) for (const f of this.drained.splice(0)) f();
    }
  }

  /**
   * Runs a host-wide operation alone: refuses new ledger operations at once, waits for the running
   * ones and for earlier host-wide operations, then runs `fn`.
   */
  async runExclusive<T>(label: string, fn: (held: HeldGate) => Promise<T>): Promise<T> {
    const me: Holder = { label, since: (this.opts.now ?? (() => new Date()))().toISOString() };
    this.holders.push(me);
    const turn = this.chain.then(async () => {
      if (this.running > 0) await new Promise<void>((r) => this.drained.push(r));
      this.active = me;
      try {
        return await fn(me);
      } finally {
        this.active = null;
      }
    });
    this.chain = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.holders.splice(this.holders.indexOf(me), 1);
    }
  }
}
