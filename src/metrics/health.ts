/**
 * Host health: the rules of health-rules.ts evaluated on a schedule (and right after the drift
 * watcher reports), each subject's status remembered with the time it last changed, and every
 * change published on the event bus as a `health.changed` event — tenant-scoped when the subject
 * is a tenant's VF. The API, the console and the metrics all read the same current report.
 */
import type { Inventory } from '../inventory/types.js';
import type { PlacementConfig } from '../ledger/placement.js';
import type { DriftEvent } from '../policy/drift.js';
import type { EventBus, EventLevel } from './events.js';
import { healthConfig, type HealthConfig, type HealthConfigInput } from './health-config.js';
import {
  applyDriftEvent,
  emptyDriftState,
  evaluateRules,
  RULES,
  RULE_TITLES,
  ruleEnabled,
  type Finding,
  type HealthStatus,
  type RuleId,
} from './health-rules.js';
import type { LedgerView } from './ledger-view.js';
import type { TrafficSampler } from './traffic.js';

export { RULES, RULE_TITLES, type HealthStatus, type RuleId } from './health-rules.js';
export { healthConfig, DEFAULT_HEALTH_CONFIG } from './health-config.js';
export type { HealthConfig, HealthConfigInput } from './health-config.js';

/** A subject that is not ok, and since when. */
export interface HealthFinding extends Finding {
  /** When the subject entered this status (ISO 8601). */
  since: string;
}

export interface RuleHealth {
  rule: RuleId;
  title: string;
  enabled: boolean;
  /** The worst status among the rule's findings (ok when it has none). */
  status: HealthStatus;
  /** When the rule entered that status. */
  since: string;
  findings: number;
}

export interface HealthReport {
  /** When the report was evaluated; null before the first pass. */
  at: string | null;
  status: HealthStatus;
  rules: RuleHealth[];
  /** Subjects that are not ok; a subject absent here is ok. */
  findings: HealthFinding[];
}

/** A subject's status changed (what `health.changed` events carry in `data`). */
export interface HealthTransition {
  rule: RuleId;
  subject: string;
  status: HealthStatus;
  previous: HealthStatus;
  since: string;
  message: string;
  evidence: string[];
  tenant: string | null;
}

const RANK: Record<HealthStatus, number> = { ok: 0, warn: 1, fail: 2 };
export const worst = (a: HealthStatus, b: HealthStatus): HealthStatus =>
  RANK[a] >= RANK[b] ? a : b;
export const statusRank = (s: HealthStatus): number => RANK[s];

const LEVEL: Record<HealthStatus, EventLevel> = { ok: 'info', warn: 'warn', fail: 'error' };

export interface HealthDeps {
  inventory: { get(): Promise<Inventory> };
  sampler: TrafficSampler;
  ledgerView: LedgerView;
  /** Where transitions are published; none in tools that only want the report. */
  bus?: EventBus;
  placement: PlacementConfig;
  config?: HealthConfigInput;
  now?: () => Date;
}

/** The report as a principal may see it: tenant tokens get their own VFs' findings only. */
export function healthFor(report: HealthReport, tenant: string | null): HealthReport {
  if (tenant === null) return report;
  const findings = report.findings.filter((f) => f.tenant === tenant);
  const rules = report.rules.map((r) => {
    const mine = findings.filter((f) => f.rule === r.rule);
    const status = mine.reduce<HealthStatus>((w, f) => worst(w, f.status), 'ok');
    // The rule's own since covers other tenants' subjects too; a tenant sees its subjects' oldest.
    const since =
      status === 'ok'
        ? (report.at ?? r.since)
        : mine.reduce((s, f) => (f.since < s ? f.since : s), mine[0]!.since);
    return { ...r, status, since, findings: mine.length };
  });
  return {
    at: report.at,
    status: rules.reduce<HealthStatus>((w, r) => worst(w, r.status), 'ok'),
    rules,
    findings,
  };
}

export class HealthEvaluator {
  readonly config: HealthConfig;
  private readonly now: () => Date;
  private readonly drift = emptyDriftState();
  private readonly subjects = new Map<string, HealthFinding>();
  private readonly ruleState = new Map<RuleId, { status: HealthStatus; since: string }>();
  private readonly listeners = new Set<(t: HealthTransition) => void>();
  private report: HealthReport;
  private running: Promise<HealthReport> | null = null;
  private queued: Promise<HealthReport> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly deps: HealthDeps) {
    this.config = healthConfig.parse(deps.config ?? {});
    this.now = deps.now ?? (() => new Date());
    const at = this.now().toISOString();
    for (const r of RULES) this.ruleState.set(r, { status: 'ok', since: at });
    this.report = this.build(null);
  }

  /** The last evaluated report (every rule ok before the first pass). */
  current(): HealthReport {
    return this.report;
  }

  /** Subscribes to status changes; returns the unsubscribe. */
  onTransition(fn: (t: HealthTransition) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Feed for the drift watcher's events (chain it into the watcher's onEvent). */
  onDrift(e: DriftEvent): void {
    applyDriftEvent(this.drift, e);
    void this.evaluate().catch(() => undefined);
  }

  /**
   * Evaluates every rule now and publishes what changed. Passes never overlap: a call during a
   * pass gets a pass started after it (so it sees whatever prompted the call).
   */
  evaluate(): Promise<HealthReport> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // Callers during a pass share one pass queued behind it.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.evaluate();
      });
    return this.queued;
  }

  private async pass(): Promise<HealthReport> {
    const [inv, sample, ledger] = await Promise.all([
      this.deps.inventory.get(),
      this.deps.sampler.sample(),
      this.deps.ledgerView.get(),
    ]);
    const found = new Map<string, Finding>();
    for (const f of evaluateRules({
      inv,
      dump: sample.dump,
      rates: this.deps.sampler.rates(),
      ledger,
      drift: this.drift,
      placement: this.deps.placement,
      config: this.config,
    })) {
      // Two findings of one rule about one subject: the worse one stands.
      const key = `${f.rule}\0${f.subject}`;
      const other = found.get(key);
      if (!other || RANK[f.status] > RANK[other.status]) found.set(key, f);
    }
    const at = this.now().toISOString();
    const transitions: HealthTransition[] = [];
    for (const [key, f] of found) {
      const prev = this.subjects.get(key);
      if (prev && prev.status === f.status) {
        this.subjects.set(key, { ...f, since: prev.since });
        continue;
      }
      this.subjects.set(key, { ...f, since: at });
      transitions.push(this.transition(f, f.status, prev?.status ?? 'ok', at, f.message));
    }
    for (const [key, prev] of this.subjects) {
      if (found.has(key)) continue;
      this.subjects.delete(key);
      transitions.push(
        this.transition(
          prev,
          'ok',
          prev.status,
          at,
          `${prev.subject} is ok again (${prev.status} since ${prev.since}: ${prev.message})`,
        ),
      );
    }
    this.report = this.build(at);
    for (const t of transitions) this.publish(t);
    return this.report;
  }

  private transition(
    f: Finding,
    status: HealthStatus,
    previous: HealthStatus,
    since: string,
    message: string,
  ): HealthTransition {
    return {
      rule: f.rule,
      subject: f.subject,
      status,
      previous,
      since,
      message,
      evidence: status === 'ok' ? [] : f.evidence,
      tenant: f.tenant,
    };
  }

  private publish(t: HealthTransition): void {
    this.deps.bus?.publish({
      kind: 'health.changed',
      level: LEVEL[t.status],
      message: `health ${t.rule}: ${t.message}`,
      tenant: t.tenant,
      data: { ...t },
    });
    for (const fn of this.listeners) fn(t);
  }

  private build(at: string | null): HealthReport {
    const findings = [...this.subjects.values()].sort(
      (a, b) =>
        RANK[b.status] - RANK[a.status] ||
        RULES.indexOf(a.rule) - RULES.indexOf(b.rule) ||
        a.subject.localeCompare(b.subject, 'en', { numeric: true }),
    );
    const rules: RuleHealth[] = RULES.map((rule) => {
      const mine = findings.filter((f) => f.rule === rule);
      const status = mine.reduce<HealthStatus>((w, f) => worst(w, f.status), 'ok');
      const st = this.ruleState.get(rule)!;
      if (st.status !== status) this.ruleState.set(rule, { status, since: at ?? st.since });
      return {
        rule,
        title: RULE_TITLES[rule],
        enabled: ruleEnabled(this.config, rule),
        status,
        since: this.ruleState.get(rule)!.since,
        findings: mine.length,
      };
    });
    return {
      at,
      status: rules.reduce<HealthStatus>((w, r) => worst(w, r.status), 'ok'),
      rules,
      findings,
    };
  }

  /** Evaluates every `config.intervalSeconds` (or `intervalMs`) until stopped. */
  start(intervalMs = this.config.intervalSeconds * 1000): void {
    this.stop();
    void this.evaluate().catch(() => undefined);
    this.timer = setInterval(() => void this.evaluate().catch(() => undefined), intervalMs);
    this.timer.unref?.();
  }

  /** Stops the schedule; a pass in progress finishes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
