/**
 * The observability pieces a daemon runs, built together so every surface reads the same ones:
 * one ledger view, one health evaluator (publishing transitions on the bus) and one exporter, all
 * on the daemon's traffic sampler. The daemon registers the HTTP plugins of
 * src/api/routes/metrics.ts with these, chains `onDrift` into its drift watcher, and calls
 * `start` / `stop`.
 */
import type { InventoryCache } from '../inventory/inventory-cache.js';
import type { LedgerEvent } from '../ledger/events.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PlacementConfig } from '../ledger/placement.js';
import type { DriftEvent } from '../policy/drift.js';
import type { EventBus } from './events.js';
import { MetricsExporter } from './exposition.js';
import { HealthEvaluator, type HealthConfigInput } from './health.js';
import { LedgerView } from './ledger-view.js';
import type { TrafficSampler } from './traffic.js';

export interface ObservabilityDeps {
  /** The ledger the views read (its store: metrics is logic, under the use cases). */
  ledger: Pick<Ledger, 'store'>;
  /** Every ledger change, the catalog's and allocation's (AllocationService.onEvent). */
  events: { onEvent(fn: (e: LedgerEvent) => void): () => void };
  inventory: InventoryCache;
  placement: PlacementConfig;
  sampler: TrafficSampler;
  /** Where health transitions are published. */
  bus?: EventBus;
  /** Health rule configuration (validated; defaults for what is left out), or false for none. */
  health?: HealthConfigInput | false;
  /** Node.js process metrics in the exposition; default true. */
  processMetrics?: boolean;
}

export interface Observability {
  ledgerView: LedgerView;
  health: HealthEvaluator | null;
  exporter: MetricsExporter;
  /** Feed for the drift watcher's events: drift metrics and the drift health rule. */
  onDrift(e: DriftEvent): void;
  /** Starts the health schedule. */
  start(): void;
  stop(): Promise<void>;
}

export function createObservability(deps: ObservabilityDeps): Observability {
  const { sampler } = deps;
  const ledgerView = new LedgerView({
    onEvent: (fn) => deps.events.onEvent(fn),
    store: deps.ledger.store,
  });
  const health =
    deps.health === false
      ? null
      : new HealthEvaluator({
          inventory: deps.inventory,
          sampler,
          ledgerView,
          ...(deps.bus ? { bus: deps.bus } : {}),
          placement: deps.placement,
          config: deps.health ?? {},
        });
  const exporter = new MetricsExporter({
    sampler,
    inventory: deps.inventory,
    ledgerView,
    placement: deps.placement,
    health,
    ...(deps.processMetrics !== undefined ? { processMetrics: deps.processMetrics } : {}),
  });
  return {
    ledgerView,
    health,
    exporter,
    onDrift(e) {
      exporter.onDrift(e);
      health?.onDrift(e);
    },
    start() {
      health?.start();
    },
    async stop() {
      await health?.stop();
      exporter.close();
      ledgerView.close();
    },
  };
}
