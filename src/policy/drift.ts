/**
 * Drift: out-of-band changes (another tool, a VM's VF driver, an operator with `ip link`) that move
 * the host away from the applied desired state. A watcher re-plans on kernel link events where the
 * host can deliver them, and on a periodic pass regardless, then reports what drifted and, when
 * asked, repairs it. Repairs never include disruptive steps unless explicitly allowed: a daemon must
 * not destroy VFs in use because someone changed a VLAN. Settings the kernel does not report (VFs
 * past a truncated netlink VF list) are unknown: said as unverified, neither drift nor repaired.
 */
import { SriovctlError } from '../host/errors.js';
import type { ApplyPolicy, Prepared, PrepareOptions } from './apply-policy.js';
import type { PlanTarget } from './plan.js';
import { PolicyRefusedError } from './refusal.js';
import { readBack, unreadableGroups, type UnreadableWhy } from './verify.js';

/** Settings of one PF's VFs that the kernel does not report, for one reason: neither in sync nor drift. */
export interface UnverifiedVfs {
  /** The PF's netdev, or its address without one. */
  pf: string;
  vfs: number[];
  settings: number;
  why: UnreadableWhy;
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
  plan?: PrepareOptions;
  /** Quiet period after a link event before re-planning (events come in bursts). */
  debounceMs?: number;
  onEvent: (e: DriftEvent) => void;
  now?: () => Date;
}

/** Watches one host against a desired state; see the module comment. */
export class DriftWatcher {
  private timer: ReturnType<typeof setInterval> | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private unwatch: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again: Trigger | null = null;

  /**
   * `policy` plans and repairs: the apply-policy use case, whose ports hold the host alone (the
   * daemon's gate) and say which VFs the ledger holds.
   */
  constructor(
    private readonly policy: ApplyPolicy,
    private readonly desired: () => readonly PlanTarget[],
    private readonly opts: DriftOptions,
  ) {}

  private get host() {
    return this.policy.host;
  }

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
    let p: Prepared;
    const targets = this.desired();
    try {
      p = await this.policy.prepareTargets(targets, this.opts.plan);
    } catch (e) {
      emit({ type: 'error', at: this.stamp(), error: e instanceof Error ? e.message : String(e) });
      return;
    }
    // Settings the kernel does not report are unknown: not drift, and never repaired blindly.
    const v = readBack(targets, p.inventory, p.plan);
    const unverified = unreadableGroups(v.vfs).map((g) => ({
      pf: g.name,
      vfs: g.vfs,
      settings: g.settings,
      why: g.why,
    }));
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
      targets.filter((t) => this.opts.repair || t.drift === 'repair').map((t) => t.pciAddress),
    );
    const ownSteps = v.differs.filter((s) => repairable.has(s.pf));
    if (ownSteps.length === 0) return;
    const repair = {
      ...p,
      plan: {
        steps: ownSteps,
        refusals: p.plan.refusals.filter((r) => repairable.has(r.pf)),
        notes: p.plan.notes,
      },
    };
    let r;
    try {
      // A repair is partial (its own PFs, what differs): not recorded as the applied state, and
      // the next pass is its read-back.
      r = await this.policy.apply(repair, {
        confirmedDisruptive: this.opts.repairDisruptive === true,
        label: 'drift repair',
        record: false,
        readBack: false,
      });
    } catch (e) {
      if (e instanceof PolicyRefusedError) {
        emit({
          type: 'repair-skipped',
          at: this.stamp(),
          reason: `${e.message}; ${e.fixFor('repair')}`,
        });
        return;
      }
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
    if (r.result.ok) emit({ type: 'repaired', at: this.stamp(), steps: ownSteps.length });
    else {
      const err = r.result.outcomes.find((o) => o.status === 'failed')?.error;
      emit({
        type: 'repair-failed',
        at: this.stamp(),
        error: err?.message ?? 'unknown failure',
        ...(err instanceof SriovctlError && err.hint ? { hint: err.hint } : {}),
      });
    }
  }
}
