/**
 * The apply-policy use case: prepare (resolve the policies against a fresh discovery and plan, with
 * what the ledger knows of who holds which VF), refuse (one rule set: src/policy/refusal.ts), apply
 * (the executor's runSteps), record (the applied state) and read back (typed per PF and VF:
 * readBack in verify.ts). The CLI's direct apply, the daemon's API and console apply and the drift
 * watcher's repair all go through it; each surface only parses, renders and maps errors.
 *
 * Where it lives: DESIGN.md puts the apply-policy use case in src/policy/, which the lint ranks
 * below src/ledger and src/boot. Instead of a new use-case folder that would import them, it
 * takes what it needs of them as ports (PolicyPorts): who holds which VF, recording the applied
 * state, holding the host alone. The composition implements them — the daemon with its ledger and
 * host gate, the CLI with applied.json only — so the rules stay next to the plan they judge, and
 * the ledger's reshaping into the allocation service changes an adapter, not this.
 */
import { runSteps, type ProgressEvent, type RunResult } from '../executor/run-plan.js';
import type { Host } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import type { Inventory } from '../inventory/types.js';
import { resolvePolicies, type DesiredPf } from './desired.js';
import { planChanges, type LedgerVf, type PlanOptions, type PlanTarget } from './plan.js';
import { applyRunning, refusalOf, type KeptConflict } from './refusal.js';
import type { LoadedPolicy, PolicyIssue } from './schema.js';
import type { Plan } from './steps.js';
import { readBack, type ReadBack } from './verify.js';

/** The policies have problems (or do not fit this host); each is located (`file:LINE:COL`). */
export class InvalidPolicyError extends Error {
  override name = 'InvalidPolicyError';
  constructor(
    readonly issues: PolicyIssue[],
    /** Warnings found along with them. */
    readonly warnings: PolicyIssue[] = [],
  ) {
    super(issues.map((i) => i.text).join('\n'));
  }
}

/** What the use case needs of the layers above it, implemented by the composition. */
export interface PolicyPorts {
  host: Host;
  /** Who holds which VF (the ledger's pools and attachments); absent without a ledger. */
  heldVfs?: (inv: Inventory) => Promise<readonly LedgerVf[]>;
  /** Records the desired state an apply brought the host to (applied.json); absent: not recorded. */
  recordApplied?: (desired: readonly DesiredPf[]) => Promise<void>;
  /**
   * Runs an apply alone on the host (the daemon's host gate, and what it does around it, like the
   * reconcile afterwards for the VFs `plan` touches); absent: it runs at once.
   */
  hold?: (label: string, plan: Plan, run: () => Promise<Applied>) => Promise<Applied>;
  /** The targets a drift watcher keeps this host at, and whether it repairs them. */
  kept?: { targets: readonly PlanTarget[]; repair: boolean } | null;
  /** Deadline of each kernel operation (default: the executor's, 30 s). */
  kernelTimeoutMs?: number;
}

/** A plan ready to be refused or applied, with what it was made from. */
export interface Prepared<T extends PlanTarget = PlanTarget> {
  desired: readonly T[];
  /** The fresh discovery the plan was made against. */
  inventory: Inventory;
  plan: Plan;
  opts: PlanOptions;
  /** What the operator should know before applying (resolution warnings, kept PFs). */
  warnings: string[];
  /** PFs the policies set differently from what the daemon keeps them at. */
  conflicts: KeptConflict[];
}

/** The options of one plan. */
export interface PrepareOptions {
  allowDefaultRoute?: boolean | undefined;
  force?: boolean | undefined;
}

/** What an apply did. */
export interface Applied {
  result: RunResult;
  /** Some step ran (not all skipped). */
  ran: boolean;
  /** Recording the applied state failed (the host is configured either way); null otherwise. */
  recordError: string | null;
  /** The read-back after a successful apply; null when it failed or none was asked. */
  readBack: ReadBack | null;
}

export interface ApplyOptions {
  confirmedDisruptive: boolean;
  /**
   * Names the apply while it holds the host and in the refusal of another (`policy apply <id>`,
   * `drift repair`).
   */
  label?: string;
  progress?: (e: ProgressEvent) => void;
  /** Record the applied state (default true); a partial repair does not. */
  record?: boolean;
  /** Read back afterwards (default true). */
  readBack?: boolean;
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
 * PFs the policies would set differently from the targets a daemon keeps them at, and whether its
 * drift watcher would repair them back (pure).
 */
export function keptConflicts(
  desired: readonly (PlanTarget & { netdev?: string | null })[],
  kept: { targets: readonly PlanTarget[]; repair: boolean },
): KeptConflict[] {
  const out: KeptConflict[] = [];
  for (const d of desired) {
    const k = kept.targets.find((t) => t.pciAddress === d.pciAddress);
    if (!k || shapeOf(k) === shapeOf(d)) continue;
    out.push({ pf: d.netdev ?? d.pciAddress, repaired: kept.repair || k.drift === 'repair' });
  }
  return out;
}

/** The warning for a PF the daemon keeps at other policies. */
function conflictWarning(c: KeptConflict): string {
  return c.repaired
    ? `${c.pf}: this daemon keeps it at its installed policies and repairs drift; applying this text would be undone by the next repair, so apply refuses it`
    : `${c.pf}: this daemon keeps it at its installed policies; after this apply it reports drift until the installed policies say the same`;
}

/** See the module comment. */
export class ApplyPolicy {
  private running: string | null = null;

  constructor(readonly ports: PolicyPorts) {}

  /** The host it applies to. */
  get host(): Host {
    return this.ports.host;
  }

  /**
   * Resolves loaded policies against a fresh discovery (never a cached snapshot) and plans.
   * Throws InvalidPolicyError when they do not fit the host.
   */
  async prepare(docs: LoadedPolicy[], o: PrepareOptions = {}): Promise<Prepared<DesiredPf>> {
    const inv = await discover(this.ports.host);
    const r = resolvePolicies(docs, inv);
    if (r.errors.length) throw new InvalidPolicyError(r.errors, r.warnings);
    const p = await this.planFor(r.desired, inv, o);
    return {
      ...p,
      warnings: [...r.warnings.map((w) => w.text), ...p.conflicts.map(conflictWarning)],
    };
  }

  /** Plans already resolved targets (the drift watcher's) against a fresh discovery. */
  async prepareTargets<T extends PlanTarget>(
    targets: readonly T[],
    o: PrepareOptions = {},
  ): Promise<Prepared<T>> {
    return this.planFor(targets, await discover(this.ports.host), o);
  }

  private async planFor<T extends PlanTarget>(
    desired: readonly T[],
    inv: Inventory,
    o: PrepareOptions,
  ): Promise<Prepared<T>> {
    const opts: PlanOptions = {
      allowDefaultRoute: o.allowDefaultRoute === true,
      force: o.force === true,
      // Who holds which VF is the ledger's to say, not a guess from the VF's driver.
      ...(this.ports.heldVfs ? { ledger: await this.ports.heldVfs(inv) } : {}),
    };
    const plan = planChanges(desired, inv, opts);
    const conflicts = this.ports.kept ? keptConflicts(desired, this.ports.kept) : [];
    return { desired, inventory: inv, plan, opts, warnings: [], conflicts };
  }

  /** Throws PolicyRefusedError (`apply-running`) while an apply of this use case runs. */
  refuseWhileRunning(): void {
    if (this.running !== null) throw applyRunning(this.running);
  }

  /**
   * Throws the refusal for applying `p` (PolicyRefusedError), if any: an apply already running,
   * PFs the daemon keeps, steps that need an override, disruptive steps not confirmed.
   */
  refuse(p: Prepared, o: { confirmedDisruptive: boolean }): void {
    this.refuseWhileRunning();
    const r = refusalOf(p.plan, { ...o, conflicts: p.conflicts });
    if (r) throw r;
  }

  /**
   * Refuses or applies `p`: runs its steps (alone on the host when the composition holds it), records
   * the applied state after a success and reads back. Resolves with what happened; a step that
   * fails is in the result, not thrown. Throws PolicyRefusedError before anything runs.
   */
  async apply<T extends PlanTarget>(p: Prepared<T>, o: ApplyOptions): Promise<Applied> {
    this.refuse(p, o);
    const label = o.label ?? 'policy apply';
    this.running = label;
    try {
      const run = () => this.run(p, o);
      return await (this.ports.hold ? this.ports.hold(label, p.plan, run) : run());
    } finally {
      this.running = null;
    }
  }

  private async run<T extends PlanTarget>(p: Prepared<T>, o: ApplyOptions): Promise<Applied> {
    const { host } = this.ports;
    const result = await runSteps(host, p.plan.steps, {
      ...(this.ports.kernelTimeoutMs !== undefined
        ? { timeoutMs: this.ports.kernelTimeoutMs }
        : {}),
      ...(o.progress ? { progress: o.progress } : {}),
    });
    const ran = result.outcomes.some((x) => x.status !== 'skipped');
    if (!result.ok) return { result, ran, recordError: null, readBack: null };
    const recordError = o.record === false ? null : await this.record(p);
    const back = o.readBack === false ? null : await this.readBack(p);
    return { result, ran, recordError, readBack: back };
  }

  /**
   * Records `p`'s desired state as applied (the host is at it). Resolves with why it could not be
   * recorded, or null; nothing to record without a recorder or for targets that are not resolved
   * policies.
   */
  async record(p: Prepared): Promise<string | null> {
    if (!this.ports.recordApplied || !p.desired.every(isResolved)) return null;
    try {
      await this.ports.recordApplied(p.desired);
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** The read-back: a fresh discovery and plan against the same desired state, per PF and VF. */
  async readBack(p: Prepared): Promise<ReadBack> {
    const inv = await discover(this.ports.host);
    return readBack(p.desired, inv, planChanges(p.desired, inv, p.opts));
  }
}

function isResolved(t: PlanTarget): t is DesiredPf {
  return 'sources' in t && 'notes' in t;
}
