/**
 * GET /metrics: the whole exposition in the Prometheus text format. A scrape takes one link dump
 * through the traffic sampler (shared with every other reader, and by concurrent scrapes, which
 * also share the rendering), the cached inventory snapshot and the ledger view; then the per-VF
 * families are written by the VF collector's fast path and everything else by prom-client's
 * registry (custom collectors that read the same prepared scrape).
 *
 * Metric families:
 * - sriov_vf_{rx,tx}_{bytes,packets,dropped}, sriov_vf_rx_{broadcast,multicast} {pf, vf, pciAddr,
 *   numa_node}: as the Kubernetes sriov-network-metrics-exporter names them; sriov_vf_info.
 * - sriovctl_pf_*: identity, admin/link state, speed, truncated VF lists, capacity and guaranteed
 *   bandwidth; sriovctl_pool_*, sriovctl_tenant_*, sriovctl_attachments.
 * - sriovctl_reconcile_*, sriovctl_drift_*, sriovctl_api_*, sriovctl_health_*; process_* and
 *   nodejs_* (collectors/process.ts); sriovctl_scrape_duration_seconds.
 */
import { Registry } from 'prom-client';
import type { Inventory } from '../inventory/types.js';
import type { PlacementConfig } from '../ledger/placement.js';
import type { DriftEvent } from '../policy/drift.js';
import { BufferPool, ByteWriter } from './bytes.js';
import { DaemonMetrics, writeHealth } from './collectors/daemon.js';
import { HostCollector } from './collectors/host.js';
import { writeProcess } from './collectors/process.js';
import { VfCollector } from './collectors/vf.js';
import type { HealthEvaluator } from './health.js';
import type { LedgerView } from './ledger-view.js';
import { familyHeader, PROMETHEUS_CONTENT_TYPE, sampleValue } from './text.js';
import type { TrafficSampler } from './traffic.js';

export { PROMETHEUS_CONTENT_TYPE } from './text.js';

const NL = 10;

export interface ExporterDeps {
  sampler: TrafficSampler;
  /** The inventory snapshot (the ledger's InventoryCache): identity, NUMA, speeds, VF drivers. */
  inventory: { get(): Promise<Inventory> };
  ledgerView: LedgerView;
  placement: PlacementConfig;
  /** Health gauges and transition counts; none when the daemon runs without health rules. */
  health?: Pick<HealthEvaluator, 'current' | 'onTransition'> | null;
  /** The daemon's process metrics (process_*, nodejs_*); default true. */
  processMetrics?: boolean;
  now?: () => number;
}

/**
 * One rendered exposition. Its bytes live in a pooled buffer: whoever sends them calls `release`
 * once the response is out (concurrent scrapes share one exposition; the last release returns
 * the buffer). Not releasing is safe, only slower: the buffer is left to the GC.
 */
export class Exposition {
  private refs = 0;

  constructor(
    readonly body: Buffer,
    private readonly backing: Buffer,
    private readonly pool: BufferPool,
  ) {}

  acquire(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs > 0 && --this.refs === 0) this.pool.give(this.backing);
  }

  text(): string {
    return this.body.toString('utf8');
  }
}

export class MetricsExporter {
  readonly registry = new Registry();
  /** Reconcile, drift, API request and health metrics (record* methods). */
  readonly daemon: DaemonMetrics;
  private readonly vf = new VfCollector();
  private readonly host: HostCollector;
  private readonly pool = new BufferPool();
  /** The size of the last exposition: the next one usually fits the same buffer. */
  private lastBytes = 256 * 1024;
  private inflight: Promise<Exposition> | null = null;
  private readonly now: () => number;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: ExporterDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.daemon = new DaemonMetrics(this.registry);
    this.host = new HostCollector(deps.placement);
    this.unsubscribe.push(
      deps.ledgerView.onEvent((e) => {
        if (e.kind === 'reconcile') this.daemon.recordReconcile(e.report, e.durationMs, new Date());
      }),
    );
    const health = deps.health;
    if (health)
      this.unsubscribe.push(health.onTransition((t) => this.daemon.recordHealthTransition(t)));
  }

  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /** Feed for the drift watcher's events (chain it into the watcher's onEvent). */
  onDrift(e: DriftEvent): void {
    this.daemon.recordDrift(e);
  }

  /**
   * Renders the exposition; concurrent callers share one scrape (and so one link dump). Call
   * `release()` on the answer once its bytes are sent.
   */
  scrape(): Promise<Exposition> {
    if (!this.inflight) {
      const p = this.render().finally(() => {
        this.inflight = null;
      });
      this.inflight = p;
    }
    return this.inflight.then((e) => e.acquire());
  }

  /** The exposition as text (tests, tools); the buffer goes back to the pool. */
  async scrapeText(): Promise<string> {
    const e = await this.scrape();
    try {
      return e.text();
    } finally {
      e.release();
    }
  }

  private async render(): Promise<Exposition> {
    const started = this.now();
    const [sample, inv, ledger] = await Promise.all([
      this.deps.sampler.sample(),
      this.deps.inventory.get(),
      this.deps.ledgerView.get(),
    ]);
    const w = new ByteWriter(this.pool, this.lastBytes + 64 * 1024);
    // One family at a time: registry.metrics() renders them all concurrently, and with a few dozen
    // small families the promise bookkeeping cost three times the rendering.
    for (const { name } of this.registry.getMetricsAsArray())
      w.str(await this.registry.getSingleMetricAsString(name)).byte(NL);
    const vf = this.vf.write(w, inv, sample.dump, ledger);
    w.str(this.host.write({ inv, ledger, counted: vf.counted, pfLinks: vf.pfLinks }));
    if (this.deps.health) w.str(writeHealth(this.deps.health.current()));
    if (this.deps.processMetrics !== false) w.str(writeProcess());
    const tookS = (this.now() - started) / 1000;
    w.str(
      familyHeader(
        'sriovctl_scrape_duration_seconds',
        'How long this scrape took to read the host and render, up to this line',
        'gauge',
      ) + `sriovctl_scrape_duration_seconds ${sampleValue(tookS)}\n`,
    );
    const { body, backing } = w.finish();
    this.lastBytes = body.length;
    return new Exposition(body, backing, this.pool);
  }

  /** Stops listening to the ledger view and health evaluator. */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
  }
}
