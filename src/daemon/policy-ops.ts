/**
 * Policies from the console: policy text in, a plan against a fresh discovery out — with the
 * attachments each step would touch, so nobody destroys a tenant's VF without seeing it — and
 * apply as a background operation whose progress goes out on the event bus step by step. One apply
 * at a time; like `sriovctl apply`, it records the applied state and reads back afterwards. When
 * the apply touched VFs the ledger hands out, reconcile runs right after: recreated VFs get their
 * consumers' settings back and VFs that are gone are marked orphaned.
 */
import { randomUUID } from 'node:crypto';
import { SriovctlError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import type { Inventory } from '../inventory/types.js';
import { LedgerError } from '../ledger/errors.js';
import type { AllocationService } from '../allocation/service.js';
import { SYSTEM_ACTOR } from '../ledger/actor.js';
import type { Actor, ReconcileReport } from '../ledger/ledger.js';
import { poolMembers } from '../ledger/placement.js';
import type { Attachment, Pool } from '../ledger/types.js';
import type { EventBus } from '../metrics/events.js';
import { recordAppliedState } from '../persist/state.js';
import { applyPlan, type ApplyResult } from '../policy/apply.js';
import type { DesiredPf } from '../policy/desired.js';
import { parsePolicyDocuments, resolvePolicies, type PolicyIssue } from '../policy/index.js';
import { planChanges, type LedgerVf, type PlanOptions, type PlanTarget } from '../policy/plan.js';
import type { Plan, Step } from '../policy/steps.js';
import { unverifiedText, verify, type Unverified, type Verdict } from '../policy/verify.js';

/** The name policy text goes by in messages (`text:3:7: spec.numVfs: ...`). */
export const POLICY_TEXT_NAME = 'text';

export interface PolicyRequest {
  /** YAML or JSON policy documents. */
  text: string;
  allowDefaultRoute?: boolean | undefined;
  force?: boolean | undefined;
}

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

/** The policy text has problems; each is located (`text:LINE:COL`). */
export class PolicyTextError extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.map((i) => i.text).join('\n'));
    this.name = 'PolicyTextError';
  }
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

/** What an apply's read-back found: steps still differing, and settings nothing can read back. */
export interface ReadBack {
  verdict: Verdict;
  /** Steps still needed because the host differs. */
  remaining: number;
  /** Settings on VFs the kernel's netlink VF list leaves out: neither verified nor differing. */
  unverified: Unverified[];
  unverifiedSettings: number;
}

/** The read-back after an apply: a fresh plan against the same desired state, judged by verify(). */
function readBack(p: Prepared, inv: Inventory): ReadBack {
  const v = verify(planChanges(p.desired, inv, p.opts));
  return {
    verdict: v.verdict,
    remaining: v.differs.length,
    unverified: v.unverified,
    unverifiedSettings: v.unverifiedSettings,
  };
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
  /** Deadline of each kernel operation an apply starts (default: applyPlan's, 30 s). */
  kernelTimeoutMs?: number;
}

/** What a target asks of its PF, without where it came from (sources, merge notes, netdev). */
function shapeOf(t: PlanTarget): string {
  return JSON.stringify({
    numVfs: t.numVfs,
    mtu: t.mtu ?? null,
    eswitchMode: t.eswitchMode ?? null,
    adminState: t.adminState ?? 'unchanged',
    vfs: [...t.vfs]
      .sort((a, b) => a.vfIndex - b.vfIndex)
      .map((v) => ({ i: v.vfIndex, d: v.driver, s: v.settings, m: v.mtu ?? null })),
  });
}

/**
 * PFs the policy text would set differently from the policies this daemon keeps them at, and
 * whether its drift watcher would repair them back (pure).
 */
export function keptConflicts(
  desired: readonly DesiredPf[],
  kept: { targets: readonly PlanTarget[]; repair: boolean },
): { pf: string; repaired: boolean }[] {
  const out: { pf: string; repaired: boolean }[] = [];
  for (const d of desired) {
    const k = kept.targets.find((t) => t.pciAddress === d.pciAddress);
    if (!k || shapeOf(k) === shapeOf(d)) continue;
    out.push({ pf: d.netdev ?? d.pciAddress, repaired: kept.repair || k.drift === 'repair' });
  }
  return out;
}

interface Prepared extends PlanAnswer {
  desired: DesiredPf[];
  conflicts: { pf: string; repaired: boolean }[];
  opts: PlanOptions;
}

export class PolicyOps {
  private current: { operation: string; done: Promise<void> } | null = null;

  constructor(private readonly deps: PolicyOpsDeps) {}

  /** The apply running now, if any. */
  get running(): string | null {
    return this.current?.operation ?? null;
  }

  /** Resolves once no apply runs. */
  async idle(): Promise<void> {
    while (this.current) await this.current.done;
  }

  private async prepare(req: PolicyRequest): Promise<Prepared> {
    const parsed = parsePolicyDocuments(req.text, POLICY_TEXT_NAME);
    if (parsed.errors.length) throw new PolicyTextError(parsed.errors);
    // A plan is made from a fresh discovery, never from a cached snapshot.
    const inv: Inventory = await discover(this.deps.host);
    const r = resolvePolicies(parsed.policies, inv);
    if (r.errors.length) throw new PolicyTextError(r.errors);
    const { ledger, hostname } = this.deps.allocation;
    const attachments = await this.deps.allocation.attachments();
    const opts: PlanOptions = {
      allowDefaultRoute: req.allowDefaultRoute === true,
      force: req.force === true,
      // Who holds which VF is the ledger's to say, not a guess from the VF's driver.
      ledger: ledgerKnowledge(
        inv,
        await ledger.scoped(SYSTEM_ACTOR).pools(),
        attachments,
        hostname,
      ),
    };
    const plan = planChanges(r.desired, inv, opts);
    const conflicts = this.deps.kept ? keptConflicts(r.desired, this.deps.kept) : [];
    return {
      plan,
      affected: affectedAttachments(plan, attachments),
      warnings: [
        ...r.warnings.map((w) => w.text),
        ...conflicts.map((c) =>
          c.repaired
            ? `${c.pf}: this daemon keeps it at its installed policies and repairs drift; applying this text would be undone by the next repair, so apply refuses it`
            : `${c.pf}: this daemon keeps it at its installed policies; after this apply it reports drift until the installed policies say the same`,
        ),
      ],
      desired: r.desired,
      conflicts,
      opts,
    };
  }

  /** The plan for policy text, and what it would touch. Throws PolicyTextError. */
  async plan(req: PolicyRequest): Promise<PlanAnswer> {
    const { plan, affected, warnings } = await this.prepare(req);
    return { plan, affected, warnings };
  }

  /**
   * Plans and starts applying; resolves once the operation started (its progress is on the bus).
   * Refuses (LedgerError) while another apply runs, when the plan needs an override, and when it
   * has disruptive steps that were not confirmed.
   */
  async apply(
    req: PolicyRequest & { confirmDisruptive: boolean },
    actor: Actor,
    requestId?: string,
  ): Promise<ApplyStarted> {
    this.refuseWhileRunning();
    const p = await this.prepare(req);
    this.refuseWhileRunning();
    const { plan } = p;
    const fought = p.conflicts.filter((c) => c.repaired).map((c) => c.pf);
    if (fought.length)
      throw new LedgerError(
        'refused',
        `refusing to apply: this daemon keeps ${fought.join(', ')} at its installed policies and repairs drift, so it would undo this apply (and flap the VFs)`,
        'text',
        'change the installed policies (sriovctl install -f ...) and restart the daemon (systemctl restart sriovctl.service), or run it without --repair',
      );
    if (plan.refusals.length) {
      const overrides = [...new Set(plan.refusals.map((r) => r.override))];
      throw new LedgerError(
        'refused',
        `refusing to apply: ${plan.refusals.map((r) => r.reason).join('; ')}`,
        overrides[0],
        `once you are sure, apply again with ${overrides.map((o) => `${o}: true`).join(' and ')}`,
      );
    }
    const disruptive = plan.steps.filter((s) => s.disruptive);
    if (disruptive.length && !req.confirmDisruptive)
      throw new LedgerError(
        'refused',
        `the plan has ${disruptive.length} disruptive step(s): ${disruptive.map((s) => `${s.what} (${s.disruptive})`).join('; ')}`,
        'confirmDisruptive',
        'review the plan and the attachments it affects, then apply with confirmDisruptive: true',
      );

    const operation = randomUUID();
    const total = plan.steps.length;
    const start = this.deps.bus.publish({
      kind: 'apply.start',
      level: 'info',
      message: `applying a policy: ${total} step(s), ${disruptive.length} disruptive (${actor.name})`,
      data: { operation, total, steps: plan.steps.map((s) => s.what), actor: actor.name },
    });
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    this.current = { operation, done };
    void this.run(operation, p, req.confirmDisruptive, actor, requestId).finally(() => {
      this.current = null;
      finish();
    });
    return { operation, since: start.id - 1, total };
  }

  private refuseWhileRunning(): void {
    if (this.current)
      throw new LedgerError(
        'conflict',
        `a policy apply is running (operation ${this.current.operation})`,
        undefined,
        'wait for its apply.done event, then plan again',
      );
  }

  private async run(
    operation: string,
    p: Prepared,
    confirmed: boolean,
    actor: Actor,
    requestId: string | undefined,
  ): Promise<void> {
    const { bus, host, allocation } = this.deps;
    const step = (
      index: number,
      total: number,
      what: string,
      status: 'start' | 'done' | 'failed' | 'skipped',
      extra: Record<string, unknown> = {},
    ) =>
      bus.publish({
        kind: 'apply.step',
        level: status === 'failed' ? 'error' : 'info',
        message: `[${index + 1}/${total}] ${what}: ${status}`,
        data: { operation, index, total, what, status, ...extra },
      });

    // Cast, not annotated: assigned inside the gate's callback, which TypeScript's narrowing of a
    // `= null` initializer does not see.
    let result = null as ApplyResult | null;
    let error = null as string | null;
    let hint: string | undefined;
    let reconciled = null as ReconcileReport | null;
    let checked = null as ReadBack | null;
    try {
      // Alone on the host: attaches and detaches are refused from here on, those already running
      // finish first, and the attachments the plan touches are read after them.
      await allocation.gate.runExclusive(`policy apply ${operation}`, async (held) => {
        const affected = affectedAttachments(p.plan, await allocation.attachments());
        const r = await applyPlan(host, p.plan, {
          confirmedDisruptive: confirmed,
          ...(this.deps.kernelTimeoutMs !== undefined
            ? { timeoutMs: this.deps.kernelTimeoutMs }
            : {}),
          progress: (e) => {
            if (e.type === 'start') step(e.index, e.total, e.step.what, 'start');
            else if (e.type === 'done') step(e.index, e.total, e.step.what, 'done', { ms: e.ms });
            else
              step(e.index, e.total, e.step.what, 'failed', {
                error: e.error.message,
                ...(e.error.hint ? { hint: e.error.hint } : {}),
              });
          },
        });
        result = r;
        r.outcomes.forEach((o, i) => {
          if (o.status === 'skipped') step(i, r.outcomes.length, o.step.what, 'skipped');
        });
        const failed = r.outcomes.find((o) => o.status === 'failed');
        if (failed) {
          error = failed.error?.message ?? `${failed.step.what} failed`;
          hint = failed.error?.hint;
        }
        if (r.ok && this.deps.recordApplied !== false)
          await recordAppliedState(host, p.desired).catch((e: unknown) => {
            hint = `applied, but the applied state was not recorded: ${e instanceof Error ? e.message : String(e)}`;
          });
        allocation.inventory.invalidate();
        if (r.ok) checked = readBack(p, await discover(host));
        const ran = r.outcomes.some((o) => o.status !== 'skipped');
        // Still holding the host: VFs recreated under their consumers get their settings back
        // before anyone else can attach them.
        if (ran && affected.length) reconciled = await allocation.reconcile({ held });
      });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (e instanceof SriovctlError && e.hint) hint = e.hint;
    }
    const ok = result?.ok === true && error === null;
    const outcomes = (result?.outcomes ?? []).map((o) => ({
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
    const remaining = checked?.remaining ?? null;
    const unverified = checked?.unverified.length ? unverifiedText(checked.unverified) : null;
    bus.publish({
      kind: 'apply.done',
      level: ok ? (remaining || unverified ? 'warn' : 'info') : 'error',
      message: ok
        ? remaining
          ? `policy applied, but read-back still differs in ${remaining} step(s)${unverified ? `; ${unverified} could not be verified` : ''}`
          : unverified
            ? `policy applied; ${unverified} could not be verified: the kernel's netlink VF list does not include those VFs`
            : 'policy applied and verified: the host matches the policy'
        : `policy apply failed: ${error}`,
      data: {
        operation,
        ok,
        ...(error !== null ? { error } : {}),
        ...(hint !== undefined ? { hint } : {}),
        remaining,
        verdict: checked?.verdict ?? null,
        unverified: checked?.unverified ?? [],
        unverifiedSettings: checked?.unverifiedSettings ?? 0,
        outcomes,
        ...(reconciled ? { reconciled } : {}),
      },
    });
  }
}
