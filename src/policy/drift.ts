/**
 * Drift: out-of-band changes (another tool, a VM's VF driver, an operator with `ip link`) that move
 * the host away from the applied desired state. A watcher re-plans on kernel link events where the
 * host can deliver them, and on a periodic pass regardless, then reports what drifted and, when
 * asked, repairs it. Repairs never include disruptive steps unless explicitly allowed: a daemon must
 * not destroy VFs in use because someone changed a VLAN. Settings the kernel does not report (VFs
 * past a truncated netlink VF list) are unknown: said as unverified, neither drift nor repaired.
 */
import { SriovctlError } from '../host/errors.js';
import type { HostGate } from '../executor/host-gate.js';
import type { Host } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import { applyPlan } from './apply.js';
import { planChanges, type PlanOptions, type PlanTarget } from './plan.js';
import type { Plan } from './steps.js';
import { verify } from './verify.js';

/** Settings of one PF's VFs that the kernel does not report: neither in sync nor drift. */
export interface UnverifiedVfs {
  pf: string;
  vfs: number[];
  settings: number;
}

export type DriftEvent =
  | { type: 'in-sync'; at: string; trigger: Trigger; unverified?: UnverifiedVfs[] }
  | {
      type: 'drift';
      at: string;
      trigger: Trigger;
      steps: { pf: string; what: string; why: string; disruptive?: string }[];
      unverified?: UnverifiedVfs[];
    }
  | { type: 'repaired'; at: string; steps: number }
  | { type: 'repair-skipped'; at: string; reason: string }
  | { type: 'repair-failed'; at: string; error: string; hint?: string }
  | { type: 'error'; at: string; error: string };

export type Trigger = 'start' | 'link-event' | 'interval' | 'manual';

export interface DriftOptions {
  /** Periodic pass interval (default 30 s). */
  intervalMs?: number;
  /** Repair non-disruptive drift on every PF; otherwise only on PFs whose policy says `drift: repair`. */
  repair?: boolean;
  /** Also repair with disruptive steps (destroying or rebinding VFs). */
  repairDisruptive?: boolean;
  plan?: PlanOptions;
  /** Quiet period after a link event before re-planning (events come in bursts). */
  debounceMs?: number;
  onEvent: (e: DriftEvent) => void;
  now?: () => Date;
  /** Repairs hold the host alone on this gate (the daemon's, shared with its ledger). */
  gate?: HostGate;
  /** Deadline of each kernel operation a repair starts (default: applyPlan's, 30 s). */
  kernelTimeoutMs?: number;
}

/** Watches one host against a desired state; see the module comment. */
export class DriftWatcher {
  private timer: ReturnType<typeof setInterval> | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private unwatch: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again: Trigger | null = null;

  constructor(
    private readonly host: Host,
    private readonly desired: () => readonly PlanTarget[],
    private readonly opts: DriftOptions,
  ) {}

  private stamp(): string {
    return (this.opts.now ?? (() => new Date()))().toISOString();
  }

  /** Starts the periodic pass and link-event watching, and runs a first pass. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.trigger('interval'), this.opts.intervalMs ?? 30_000);
    this.timer.unref?.();
    if (this.host.watchLinks) {
      this.unwatch = this.host.watchLinks(() => {
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(
          () => void this.trigger('link-event'),
          this.opts.debounceMs ?? 200,
        );
        this.debounce.unref?.();
      });
    }
    return this.trigger('start');
  }

  /** Stops watching; a pass in progress finishes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.unwatch?.();
    this.timer = this.debounce = null;
    this.unwatch = null;
    await this.running;
  }

  /** Runs a pass now, or right after the one in progress (passes never overlap). */
  trigger(trigger: Trigger): Promise<void> {
    if (this.running) {
      this.again = trigger;
      return this.running;
    }
    this.running = this.pass(trigger).finally(() => {
      this.running = null;
      const next = this.again;
      this.again = null;
      if (next) void this.trigger(next);
    });
    return this.running;
  }

  private async pass(trigger: Trigger): Promise<void> {
    const emit = this.opts.onEvent;
    let plan: Plan;
    try {
      plan = planChanges(this.desired(), await discover(this.host), this.opts.plan);
    } catch (e) {
      emit({ type: 'error', at: this.stamp(), error: e instanceof Error ? e.message : String(e) });
      return;
    }
    // Settings the kernel does not report are unknown: not drift, and never repaired blindly.
    const v = verify(plan);
    const unverified = v.unverified.map((u) => ({ pf: u.name, vfs: u.vfs, settings: u.settings }));
    const known = unverified.length ? { unverified } : {};
    if (v.differs.length === 0) {
      emit({ type: 'in-sync', at: this.stamp(), trigger, ...known });
      return;
    }
    emit({
      type: 'drift',
      at: this.stamp(),
      trigger,
      ...known,
      steps: v.differs.map((s) => ({
        pf: s.netdev ?? s.pf,
        what: s.what,
        why: s.why,
        ...(s.disruptive ? { disruptive: s.disruptive } : {}),
      })),
    });
    const repairable = new Set<string>(
      this.desired()
        .filter((t) => this.opts.repair || t.drift === 'repair')
        .map((t) => t.pciAddress),
    );
    const ownSteps = v.differs.filter((s) => repairable.has(s.pf));
    if (ownSteps.length === 0) return;
    plan = {
      steps: ownSteps,
      refusals: plan.refusals.filter((r) => repairable.has(r.pf)),
      notes: plan.notes,
    };
    const disruptive = plan.steps.filter((s) => s.disruptive);
    if ((disruptive.length && !this.opts.repairDisruptive) || plan.refusals.length) {
      emit({
        type: 'repair-skipped',
        at: this.stamp(),
        reason: plan.refusals.length
          ? plan.refusals.map((r) => r.reason).join('; ')
          : `the repair would need disruptive steps (${disruptive.map((s) => s.what).join('; ')}); run \`sriovctl apply\` to confirm them`,
      });
      return;
    }
    // A const for the closure: `plan` is a `let` assigned in a try, which closures cannot narrow.
    const repair = plan;
    const run = () =>
      applyPlan(this.host, repair, {
        confirmedDisruptive: this.opts.repairDisruptive === true,
        ...(this.opts.kernelTimeoutMs !== undefined
          ? { timeoutMs: this.opts.kernelTimeoutMs }
          : {}),
      });
    let r;
    try {
      r = this.opts.gate ? await this.opts.gate.runExclusive('drift repair', run) : await run();
    } catch (e) {
      // The gate gave up waiting for attaches (a hung kernel operation): nothing was changed,
      // and the next pass tries again.
      emit({
        type: 'repair-failed',
        at: this.stamp(),
        error: e instanceof Error ? e.message : String(e),
        ...(e instanceof SriovctlError && e.hint ? { hint: e.hint } : {}),
      });
      return;
    }
    if (r.ok) emit({ type: 'repaired', at: this.stamp(), steps: plan.steps.length });
    else {
      const err = r.outcomes.find((o) => o.status === 'failed')?.error;
      emit({
        type: 'repair-failed',
        at: this.stamp(),
        error: err?.message ?? 'unknown failure',
        ...(err instanceof SriovctlError && err.hint ? { hint: err.hint } : {}),
      });
    }
  }
}
