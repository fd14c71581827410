/**
 * The daemon's own metrics: reconcile passes, drift passes and repairs, API requests, and health.
 * Counters and histograms are updated as things happen (prom-client); health gauges are written
 * from the evaluator's current report on each scrape.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReconcileReport } from '../../ledger/ledger.js';
import type { DriftEvent } from '../../policy/drift.js';
import type { HealthReport, HealthTransition } from '../health.js';
import { statusRank } from '../health.js';
import { labelPairs } from '../text.js';
import { gaugeFamily } from './host.js';

const RECONCILE_ACTIONS: readonly (readonly [keyof ReconcileReport, string])[] = [
  ['completed', 'completed'],
  ['rolledBack', 'rolled_back'],
  ['scrubbed', 'scrubbed'],
  ['reapplied', 'reapplied'],
  ['orphaned', 'orphaned'],
  ['failed', 'failed'],
];

export class DaemonMetrics {
  private readonly reconcileRuns: Counter;
  private readonly reconcileActions: Counter<'action'>;
  private readonly reconcileDuration: Histogram;
  private readonly reconcileLast: Gauge;
  private readonly driftPasses: Counter<'result'>;
  private readonly driftRepairs: Counter<'result'>;
  private readonly driftSteps: Gauge;
  private readonly driftLast: Gauge;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestDuration: Histogram<'method' | 'route'>;
  private readonly healthTransitions: Counter<'rule' | 'status'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reconcileRuns = new Counter({
      name: 'sriovctl_reconcile_runs_total',
      help: 'Reconcile passes of the ledger against the kernel (at start and on POST /reconcile)',
      registers,
    });
    this.reconcileActions = new Counter({
      name: 'sriovctl_reconcile_attachments_total',
      help: 'Attachments reconcile acted on, by action (completed, rolled_back, scrubbed, reapplied, orphaned, failed)',
      labelNames: ['action'],
      registers,
    });
    for (const [, action] of RECONCILE_ACTIONS) this.reconcileActions.inc({ action }, 0);
    this.reconcileDuration = new Histogram({
      name: 'sriovctl_reconcile_duration_seconds',
      help: 'How long reconcile passes took',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    });
    this.reconcileLast = new Gauge({
      name: 'sriovctl_reconcile_last_run_timestamp_seconds',
      help: 'When the last reconcile pass finished (Unix time; 0 before the first)',
      registers,
    });
    this.driftPasses = new Counter({
      name: 'sriovctl_drift_passes_total',
      help: 'Drift watcher passes by result (in_sync, drift, error)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['in_sync', 'drift', 'error']) this.driftPasses.inc({ result }, 0);
    this.driftRepairs = new Counter({
      name: 'sriovctl_drift_repairs_total',
      help: 'Drift repairs by result (repaired, skipped, failed)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['repaired', 'skipped', 'failed']) this.driftRepairs.inc({ result }, 0);
    this.driftSteps = new Gauge({
      name: 'sriovctl_drift_steps',
      help: 'Steps the last drift pass found between the host and the policy (0 when in sync)',
      registers,
    });
    this.driftLast = new Gauge({
      name: 'sriovctl_drift_last_pass_timestamp_seconds',
      help: 'When the drift watcher last compared the host with the policy (Unix time; 0 before)',
      registers,
    });
    this.requests = new Counter({
      name: 'sriovctl_api_requests_total',
      help: 'API requests by method, route (the route pattern; "unmatched" for unknown paths) and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'sriovctl_api_request_duration_seconds',
      help: 'API request durations by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.healthTransitions = new Counter({
      name: 'sriovctl_health_transitions_total',
      help: 'Health status changes of subjects, by rule and new status',
      labelNames: ['rule', 'status'],
      registers,
    });
  }

  recordReconcile(report: ReconcileReport, durationMs: number | undefined, at: Date): void {
    this.reconcileRuns.inc();
    for (const [field, action] of RECONCILE_ACTIONS) {
      const n = report[field].length;
      if (n) this.reconcileActions.inc({ action }, n);
    }
    if (durationMs !== undefined) this.reconcileDuration.observe(durationMs / 1000);
    this.reconcileLast.set(at.getTime() / 1000);
  }

  recordDrift(e: DriftEvent): void {
    const at = Date.parse(e.at) / 1000;
    switch (e.type) {
      case 'in-sync':
        this.driftPasses.inc({ result: 'in_sync' });
        this.driftSteps.set(0);
        this.driftLast.set(at);
        return;
      case 'drift':
        this.driftPasses.inc({ result: 'drift' });
        this.driftSteps.set(e.steps.length);
        this.driftLast.set(at);
        return;
      case 'error':
        this.driftPasses.inc({ result: 'error' });
        this.driftLast.set(at);
        return;
      case 'repaired':
        this.driftRepairs.inc({ result: 'repaired' });
        return;
      case 'repair-skipped':
        this.driftRepairs.inc({ result: 'skipped' });
        return;
      case 'repair-failed':
        this.driftRepairs.inc({ result: 'failed' });
        return;
    }
  }

  recordRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.requestDuration.observe({ method, route }, seconds);
  }

  recordHealthTransition(t: HealthTransition): void {
    this.healthTransitions.inc({ rule: t.rule, status: t.status });
  }
}

/** Health gauges from the evaluator's current report. */
export function writeHealth(report: HealthReport): string {
  const enabled = report.rules.filter((r) => r.enabled);
  const rule = (r: string) => labelPairs([['rule', r]]);
  let t = gaugeFamily(
    'sriovctl_health_status',
    'Worst status of each health rule: 0 ok, 1 warn, 2 fail',
    enabled.map((r) => [rule(r.rule), statusRank(r.status)]),
  );
  t += gaugeFamily(
    'sriovctl_health_findings',
    'Subjects that are not ok, by rule and status',
    enabled.flatMap((r) =>
      (['warn', 'fail'] as const).map(
        (status) =>
          [
            labelPairs([
              ['rule', r.rule],
              ['status', status],
            ]),
            report.findings.filter((f) => f.rule === r.rule && f.status === status).length,
          ] as const,
      ),
    ),
  );
  t += gaugeFamily(
    'sriovctl_health_finding',
    'One series per subject that is not ok (value 1), with its rule, status and tenant',
    report.findings.map((f) => [
      labelPairs([
        ['rule', f.rule],
        ['subject', f.subject],
        ['status', f.status],
        ['tenant', f.tenant ?? ''],
      ]),
      1,
    ]),
  );
  return t;
}
