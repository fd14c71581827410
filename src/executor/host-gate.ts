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
 *
 * That wait is bounded (`drainTimeoutMs`): every kernel operation a ledger operation starts has a
 * deadline of its own, but should one still hold on (a hung write retried, many VFs), the
 * host-wide operation gives up before touching anything (HostDrainTimeoutError) and the gate opens
 * again, rather than refusing every attach for as long as the hang lasts. A re-run converges.
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

/** The ledger operations running did not finish in time: the host-wide one did not start. */
export class HostDrainTimeoutError extends SriovctlError {
  override name = 'HostDrainTimeoutError';
  constructor(
    readonly label: string,
    /** Ledger operations still running when it gave up. */
    readonly running: number,
    readonly timeoutMs: number,
  ) {
    super(
      `${label} did not start: ${running} attach, detach or reconcile operation${running === 1 ? ' was' : 's were'} still running after ${timeoutMs / 1000} s; nothing was changed`,
      'a kernel operation is probably hung (the daemon log says which "did not answer in time"); each one times out (serve --kernel-timeout), so run it again in a moment',
    );
  }
}

/** Default bound on a host-wide operation's wait for the ledger operations running. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;

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

  constructor(
    private readonly opts: {
      retryAfterS?: number;
      now?: () => Date;
      /** How long a host-wide operation waits for running ledger operations; default 60 s. */
      drainTimeoutMs?: number;
    } = {},
  ) {}

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
   * Runs a host-wide operation alone: refuses new ledger operations at once, waits (bounded) for
   * the running ones and for earlier host-wide operations, then runs `fn`. Rejects with
   * HostDrainTimeoutError, `fn` not run, when the running ones do not finish in time.
   */
  async runExclusive<T>(label: string, fn: (held: HeldGate) => Promise<T>): Promise<T> {
    const me: Holder = { label, since: (this.opts.now ?? (() => new Date()))().toISOString() };
    this.holders.push(me);
    const turn = this.chain.then(async () => {
      if (this.running > 0) await this.drain(label);
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

  /** Resolves when no ledger operation runs; rejects after the drain timeout. */
  private drain(label: string): Promise<void> {
    const ms = this.opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.drained.indexOf(done);
        if (i >= 0) this.drained.splice(i, 1);
        reject(new HostDrainTimeoutError(label, this.running, ms));
      }, ms);
      this.drained.push(done);
    });
  }
}
