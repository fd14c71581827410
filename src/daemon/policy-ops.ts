/**
 * Policies from the console and the API, as the daemon runs them: the apply-policy use case
 * (src/policy/apply-policy.ts) wired to this daemon's ledger (who holds which VF, the host gate, the
 * reconcile after an apply), applied.json, and its event bus. A plan comes with the attachments each
 * step would touch, so nobody destroys a tenant's VF without seeing it; an apply runs in the
 * background, one at a time, its progress going out on the bus step by step. When the apply
 * touched VFs the ledger hands out, reconcile runs right after, still holding the host: recreated
 * VFs get their consumers' settings back and VFs that are gone are marked orphaned.
 */
import { randomUUID } from 'node:crypto';
import type { ApplyBody, PolicyBody } from '../contract/index.js';
import { SriovctlError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { Inventory } from '../inventory/types.js';
import type { AllocationService } from '../allocation/service.js';
import { SYSTEM_ACTOR } from '../ledger/actor.js';
import type { Actor, ReconcileReport } from '../ledger/ledger.js';
import { poolMembers } from '../ledger/placement.js';
import type { Attachment, Pool } from '../ledger/types.js';
import type { EventBus } from '../metrics/events.js';
import { recordAppliedState } from '../boot/state.js';
import { ApplyPolicy, InvalidPolicyError, type Applied } from '../policy/apply-policy.js';
import { parsePolicyDocuments } from '../policy/index.js';
import { applyRunning } from '../policy/refusal.js';
import type { LedgerVf, PlanTarget } from '../policy/plan.js';
import type { Plan, Step } from '../policy/steps.js';
import { unreadableSentence, type ReadBack } from '../policy/verify.js';

/** The name policy text goes by in messages (`text:3:7: spec.numVfs: ...`). */
export const POLICY_TEXT_NAME = 'text';

export interface AffectedStep {
  /** Index into plan.steps. */
  step: number;
  attachments: Attachment[];
}

export interface PlanAnswer {
  plan: Plan;
  affected: AffectedStep[];
  warnings: string[];
}

export interface ApplyStarted {
  operation: string;
  /** The last event id before the operation's events: resume the events stream from it. */
  since: number;
  total: number;
}

/** Steps that destroy every VF of their PF or change the PF under all of them. */
function touchesWholePf(s: Step): boolean {
  switch (s.kind) {
    case 'numVfs':
      return s.from > 0;
    case 'eswitchMode':
      return true;
    case 'pfMtu':
      return s.disruptive !== undefined;
    default:
      return false;
  }
}

/** For each step, the ledger's attachments it would touch (steps touching none are left out). */
export function affectedAttachments(
  plan: Plan,
  attachments: readonly Attachment[],
): AffectedStep[] {
  const out: AffectedStep[] = [];
  plan.steps.forEach((s, step) => {
    const vfs = new Set(s.vfs);
    const hit = attachments.filter(
      (a) => a.pf === s.pf && (touchesWholePf(s) || vfs.has(a.vfIndex)),
    );
    if (hit.length) out.push({ step, attachments: hit });
  });
  return out;
}

/** The attachments that hold a VF: every state but orphaned (whose VF is gone). */
function holding(a: Attachment): boolean {
  return a.state !== 'orphaned';
}

/**
 * What the ledger knows about this host's VFs, for the planner: each VF of a pool is free or held,
 * and a VF an attachment holds is held even outside every pool. Pure.
 */
export function ledgerKnowledge(
  inv: Inventory,
  pools: readonly Pool[],
  attachments: readonly Attachment[],
  hostname: string,
): LedgerVf[] {
  const key = (pf: string, vf: number) => `${pf}#${vf}`;
  const out = new Map<string, LedgerVf>();
  for (const pool of pools)
    for (const { pf, vf } of poolMembers(pool, inv))
      out.set(key(pf.pciAddress, vf.vfIndex), {
        pf: pf.pciAddress,
        vfIndex: vf.vfIndex,
        heldBy: null,
      });
  for (const a of attachments) {
    if (a.host !== hostname || !holding(a)) continue;
    out.set(key(a.pf, a.vfIndex), {
      pf: a.pf,
      vfIndex: a.vfIndex,
      heldBy: `attachment ${a.id} (${a.tenant}/${a.consumer.kind}:${a.consumer.name}, ${a.state})`,
    });
  }
  return [...out.values()];
}

export interface PolicyOpsDeps {
  host: Host;
  allocation: AllocationService;
  bus: EventBus;
  /** Record the applied state for reboots, as `sriovctl apply` does (default true). */
  recordApplied?: boolean;
  now?: () => Date;
  /**
   * The policies this daemon keeps the host at (`serve -f`, the installed ones) and whether its
   * drift watcher repairs them; absent when it watches none.
   */
  kept?: { targets: readonly PlanTarget[]; repair: boolean } | null;
  /** Deadline of each kernel operation an apply starts (default: the executor's, 30 s). */
  kernelTimeoutMs?: number;
}

/**
 * The use case's ports on this daemon: the ledger's knowledge of held VFs, applied.json, and the
 * host gate — held for the apply and the reconcile after it (`reconciled` receives its report).
 */
export function daemonPolicyPorts(
  d: Pick<PolicyOpsDeps, 'host' | 'allocation' | 'recordApplied' | 'kept' | 'kernelTimeoutMs'>,
  reconciled: (r: ReconcileReport) => void = () => {},
): ConstructorParameters<typeof ApplyPolicy>[0] {
  const { host, allocation } = d;
  return {
    host,
    heldVfs: async (inv) =>
      ledgerKnowledge(
        inv,
        await allocation.ledger.scoped(SYSTEM_ACTOR).pools(),
        await allocation.attachments(),
        allocation.hostname,
      ),
    ...(d.recordApplied !== false
      ? { recordApplied: async (desired) => void (await recordAppliedState(host, desired)) }
      : {}),
    // Alone on the host: attaches and detaches are refused from here on, those already running
    // finish first, and the attachments the plan touches are read after them.
    hold: (label, plan, run) =>
      allocation.gate.runExclusive(label, async (held) => {
        const affected = affectedAttachments(plan, await allocation.attachments());
        const applied = await run();
        allocation.inventory.invalidate();
        // Still holding the host: VFs recreated under their consumers get their settings back
        // before anyone else can attach them.
        if (applied.ran && affected.length) reconciled(await allocation.reconcile({ held }));
        return applied;
      }),
    kept: d.kept ?? null,
    ...(d.kernelTimeoutMs !== undefined ? { kernelTimeoutMs: d.kernelTimeoutMs } : {}),
  };
}

/** The read-back as apply.done says it. */
function doneMessage(back: ReadBack | null): string {
  const remaining = back?.differs.length ?? 0;
  const unread = back ? unreadableSentence(back.vfs) : null;
  if (remaining)
    return `policy applied, but read-back still differs in ${remaining} step(s)${unread ? `; ${unread}` : ''}`;
  if (unread) return `policy applied; ${unread}`;
  return 'policy applied and verified: the host matches the policy';
}

/** The policy use case behind POST /policies/plan and /policies/apply, and the console. */
export class PolicyOps {
  private current: { operation: string; done: Promise<void> } | null = null;
  private readonly policy: ApplyPolicy;
  private lastReconcile: ReconcileReport | null = null;

  constructor(private readonly deps: PolicyOpsDeps) {
    this.policy = new ApplyPolicy(daemonPolicyPorts(deps, (r) => (this.lastReconcile = r)));
  }

  /** The apply running now, if any. */
  get running(): string | null {
    return this.current?.operation ?? null;
  }

  /** Resolves once no apply runs. */
  async idle(): Promise<void> {
    while (this.current) await this.current.done;
  }

  private async prepare(req: PolicyBody) {
    const parsed = parsePolicyDocuments(req.text, POLICY_TEXT_NAME);
    if (parsed.errors.length) throw new InvalidPolicyError(parsed.errors);
    return this.policy.prepare(parsed.policies, req);
  }

  /** The plan for policy text, and what it would touch. Throws InvalidPolicyError. */
  async plan(req: PolicyBody): Promise<PlanAnswer> {
    const p = await this.prepare(req);
    const attachments = await this.deps.allocation.attachments();
    return {
      plan: p.plan,
      affected: affectedAttachments(p.plan, attachments),
      warnings: p.warnings,
    };
  }

  /**
   * Plans and starts applying; resolves once the operation started (its progress is on the bus).
   * Throws PolicyRefusedError (src/policy/refusal.ts) before anything runs.
   */
  async apply(req: ApplyBody, actor: Actor, requestId?: string): Promise<ApplyStarted> {
    // Refused before planning too: the host is changing under the running apply.
    this.refuseWhileRunning();
    const p = await this.prepare(req);
    const confirmed = { confirmedDisruptive: req.confirmDisruptive };
    this.refuseWhileRunning();
    this.policy.refuse(p, confirmed);
    const { plan } = p;
    const operation = randomUUID();
    const total = plan.steps.length;
    const disruptive = plan.steps.filter((s) => s.disruptive).length;
    const start = this.deps.bus.publish({
      kind: 'apply.start',
      level: 'info',
      message: `applying a policy: ${total} step(s), ${disruptive} disruptive (${actor.name})`,
      data: { operation, total, steps: plan.steps.map((s) => s.what), actor: actor.name },
    });
    // Started synchronously up to its first await, so a second apply is refused from here on.
    const applying = this.policy.apply(p, {
      ...confirmed,
      label: `policy apply ${operation}`,
      progress: (e) => {
        const status = e.type === 'start' ? 'start' : e.type === 'done' ? 'done' : 'failed';
        this.step(operation, e.index, e.total, e.step.what, status, {
          ...(e.type === 'done' ? { ms: e.ms } : {}),
          ...(e.type === 'failed'
            ? { error: e.error.message, ...(e.error.hint ? { hint: e.error.hint } : {}) }
            : {}),
        });
      },
    });
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    this.current = { operation, done };
    void this.finish(operation, applying, actor, requestId).finally(() => {
      this.current = null;
      finish();
    });
    return { operation, since: start.id - 1, total };
  }

  /** Until its apply.done is out, an apply holds the host for the API. */
  private refuseWhileRunning(): void {
    if (this.current) throw applyRunning(`policy apply ${this.current.operation}`);
    this.policy.refuseWhileRunning();
  }

  private step(
    operation: string,
    index: number,
    total: number,
    what: string,
    status: 'start' | 'done' | 'failed' | 'skipped',
    extra: Record<string, unknown> = {},
  ) {
    this.deps.bus.publish({
      kind: 'apply.step',
      level: status === 'failed' ? 'error' : 'info',
      message: `[${index + 1}/${total}] ${what}: ${status}`,
      data: { operation, index, total, what, status, ...extra },
    });
  }

  private async finish(
    operation: string,
    applying: Promise<Applied>,
    actor: Actor,
    requestId: string | undefined,
  ): Promise<void> {
    const { bus, allocation } = this.deps;
    this.lastReconcile = null;
    let applied = null as Applied | null;
    let error = null as string | null;
    let hint: string | undefined;
    try {
      applied = await applying;
      const r = applied.result;
      r.outcomes.forEach((o, i) => {
        if (o.status === 'skipped')
          this.step(operation, i, r.outcomes.length, o.step.what, 'skipped');
      });
      const failed = r.outcomes.find((o) => o.status === 'failed');
      if (failed) {
        error = failed.error?.message ?? `${failed.step.what} failed`;
        hint = failed.error?.hint;
      }
      if (applied.recordError !== null)
        hint = `applied, but the applied state was not recorded: ${applied.recordError}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (e instanceof SriovctlError && e.hint) hint = e.hint;
    }
    const reconciled = this.lastReconcile;
    const ok = applied?.result.ok === true && error === null;
    const outcomes = (applied?.result.outcomes ?? []).map((o) => ({
      what: o.step.what,
      status: o.status,
      ...(o.error ? { error: o.error.message } : {}),
    }));
    await allocation.ledger
      .record(
        { actor, ...(requestId !== undefined ? { requestId } : {}) },
        'policy.apply',
        null,
        `host/${allocation.hostname}`,
        null,
        { operation, ok, steps: outcomes, ...(error ? { error } : {}) },
        (this.deps.now?.() ?? new Date()).toISOString(),
      )
      .catch(() => undefined);
    const back = applied?.readBack ?? null;
    const remaining = back ? back.differs.length : null;
    bus.publish({
      kind: 'apply.done',
      level: ok ? (back && back.verdict !== 'verified' ? 'warn' : 'info') : 'error',
      message: ok ? doneMessage(back) : `policy apply failed: ${error}`,
      data: {
        operation,
        ok,
        ...(error !== null ? { error } : {}),
        ...(hint !== undefined ? { hint } : {}),
        remaining,
        verdict: back?.verdict ?? null,
        unverified: back?.unverified ?? [],
        unverifiedSettings: back?.unverifiedSettings ?? 0,
        ...(back ? { readBack: { pfs: back.pfs, vfs: back.vfs } } : {}),
        outcomes,
        ...(reconciled ? { reconciled } : {}),
      },
    });
  }
}
