/**
 * The attachments a request is working on right now (attaching, detaching, reconciling), and the
 * host gate they run under. A second request for a claimed attachment is refused, and reconcile
 * leaves claimed rows to the request that holds them: otherwise a detach could scrub a VF twice,
 * or a reconcile roll back an attach under its feet. Claims live in process memory, so they are
 * taken before a transaction and released after it, never inside one (a store may run it again).
 */
import { HostGate, type HeldGate } from '../executor/host-gate.js';

/** What an operation claims with: each id it takes is released when the operation ends. */
export interface Claim {
  take(id: string): void;
}

export class Claims {
  private readonly inFlight = new Set<string>();

  /** Attach, detach and reconcile run shared; a policy apply or repair holds it alone. */
  constructor(readonly gate: HostGate = new HostGate()) {}

  /** Whether a request is working on the attachment. */
  has(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** How many attachments are claimed (none once every operation has ended). */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs an operation on the host gate with a claim of its own, released when it ends however it
   * ends.
   */
  run<T>(fn: (claim: Claim) => Promise<T>, held?: HeldGate): Promise<T> {
    return this.gate.runShared(async () => {
      const mine = new Set<string>();
      const claim: Claim = {
        take: (id) => {
          this.inFlight.add(id);
          mine.add(id);
        },
      };
      try {
        return await fn(claim);
      } finally {
        for (const id of mine) this.inFlight.delete(id);
      }
    }, held);
  }
}
