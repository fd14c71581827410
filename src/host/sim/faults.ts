/**
 * Fault injection for the simulated host: fail the Nth matching write (sysfs, netlink or devlink)
 * with an errno, or make it hang until released, so tests can prove timeouts, partial failures and
 * convergence on re-run.
 */
import type { ErrnoName } from '../errors.js';

export type FaultOp = 'write' | 'netlink' | 'devlink';

export interface FaultSpec {
  op: FaultOp;
  /** Exact target (a sysfs path; `ens1f0 vf 3` for netlink; `pci/ADDR` for devlink) or a pattern. */
  target: string | RegExp;
  /** The first matching operation that fails (1-based). Default 1. */
  nth?: number;
  /** How many consecutive matching operations fail from the nth on. Default 1. */
  times?: number;
  errno?: ErrnoName;
  /** Instead of failing, never complete until `releaseHangs()`. */
  hang?: boolean;
}

interface Rule extends Required<Omit<FaultSpec, 'errno' | 'hang'>> {
  errno: ErrnoName | null;
  hang: boolean;
  seen: number;
}

export type FaultAction =
  { kind: 'none' } | { kind: 'fail'; errno: ErrnoName } | { kind: 'hang'; released: Promise<void> };

export class FaultInjector {
  private rules: Rule[] = [];
  private release: (() => void) | null = null;
  private released: Promise<void> = new Promise((r) => (this.release = r));
  /** Every fault that fired, for assertions. */
  readonly fired: { op: FaultOp; target: string; action: 'fail' | 'hang'; errno?: ErrnoName }[] =
    [];

  /** Adds a rule; returns this for chaining. */
  add(spec: FaultSpec): this {
    if (!spec.errno && !spec.hang) throw new Error('a fault needs an errno or hang: true');
    this.rules.push({
      op: spec.op,
      target: spec.target,
      nth: spec.nth ?? 1,
      times: spec.times ?? 1,
      errno: spec.errno ?? null,
      hang: spec.hang ?? false,
      seen: 0,
    });
    return this;
  }

  /** Removes every rule (hung operations stay hung until released). */
  clear(): void {
    this.rules = [];
  }

  /** Lets every hung operation proceed. */
  releaseHangs(): void {
    this.release?.();
    this.released = new Promise((r) => (this.release = r));
  }

  /** Decides what happens to one operation. */
  check(op: FaultOp, target: string): FaultAction {
    for (const r of this.rules) {
      if (r.op !== op) continue;
      const hit = typeof r.target === 'string' ? r.target === target : r.target.test(target);
      if (!hit) continue;
      r.seen++;
      if (r.seen < r.nth || r.seen >= r.nth + r.times) continue;
      if (r.hang) {
        this.fired.push({ op, target, action: 'hang' });
        return { kind: 'hang', released: this.released };
      }
      this.fired.push({ op, target, action: 'fail', errno: r.errno! });
      return { kind: 'fail', errno: r.errno! };
    }
    return { kind: 'none' };
  }
}
