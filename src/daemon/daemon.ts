/**
 * The daemon, assembled in one place so `sriovctl serve` and tests run the same thing: the
 * ledger on SQLite reconciled with the kernel, the event bus (ledger changes, drift, apply
 * progress), the traffic sampler, the drift watcher when a policy is given, demo traffic on the
 * simulator, and the REST API with the console on a unix socket and/or TCP. `stop()` takes it all
 * down in the reverse order.
 *
 * The sampler runs all the time, not only while someone watches: one link dump every 2 s costs a
 * few milliseconds even on 2048 VFs, and with it GET /traffic and the first chart point answer at
 * once, and rates (health rules, metrics) never start from nothing when a client appears.
 */
import { HostGate } from '../executor/host-gate.js';
import type { Host } from '../host/host.js';
import { SimHost } from '../host/sim/index.js';
import type { Inventory } from '../inventory/types.js';
import { InventoryCache } from '../inventory/inventory-cache.js';
import { AllocationService, DEFAULT_KERNEL_TIMEOUT_MS } from '../allocation/service.js';
import { SYSTEM_ACTOR } from '../ledger/actor.js';
import { Ledger, type ReconcileReport } from '../ledger/ledger.js';
import { scopeToHost } from '../ledger/host-scope.js';
import { openStore } from '../ledger/open-store.js';
import type { LedgerStore } from '../ledger/store.js';
import { EventBus } from '../metrics/events.js';
import { TrafficSampler } from '../metrics/traffic.js';
import { ApplyPolicy } from '../policy/apply-policy.js';
import { DriftWatcher, type DriftEvent } from '../policy/drift.js';
import type { PlanTarget } from '../policy/plan.js';
import { buildApi, type Api } from '../api/server.js';
import { listenInherited, listenUnix } from '../api/unix-socket.js';
import { healthRoutes, metricsRoutes, requestMetrics } from '../api/routes/metrics.js';
import { createObservability, type Observability } from '../metrics/observability.js';
import { bridgeLedger, driftToBus, logFieldsOf } from './event-bridge.js';
import { daemonPolicyPorts, PolicyOps } from './policy-ops.js';
import { SimTraffic, type SimTrafficOptions } from './sim-traffic.js';

/** The part of a pino logger the daemon writes to. */
export interface DaemonLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: DaemonLog = { info: () => {}, warn: () => {}, error: () => {} };

export interface DriftOptions {
  targets: readonly PlanTarget[];
  /** What the log's `start` line names (PF netdevs or addresses). */
  watched: string[];
  intervalMs: number;
  repair: boolean;
  repairDisruptive: boolean;
}

export interface DaemonOptions {
  host: Host;
  /** The ledger database file, or ':memory:'. */
  db: string;
  /** Guaranteed rates may add up to link speed × this (default 1.0). */
  oversubscription?: number;
  /**
   * Deadline of every kernel operation the daemon starts (attach, detach, reconcile, policy apply,
   * drift repair); default 30 s. A host-wide operation waits at most twice this for the attaches
   * and detaches running before it.
   */
  kernelTimeoutMs?: number;
  /** Unix socket for local root (no token); null or absent: none. */
  socketPath?: string | null;
  /**
   * A listening unix socket inherited from systemd (sriovctl.socket), served instead of creating
   * `socketPath` (which then only names it in the log).
   */
  inheritedSocketFd?: number | null;
  /** TCP listener (bearer tokens). `fallback`: if the port is taken, take any free one. */
  listen?: { host: string; port: number; fallback?: boolean } | null;
  /** API requests per minute per client on TCP (default 1200; 0 = off). */
  rateLimitPerMinute?: number;
  /** Keep the host at these policy targets (drift watching and repair). */
  drift?: DriftOptions | null;
  /** Demo traffic; used only when `host` is a simulated host. */
  simTraffic?: SimTrafficOptions | null;
  /** Create an admin token when listening on TCP and the ledger has none (the simulator does). */
  issueAdminToken?: boolean;
  /** The built console; null serves none; default dist/console. */
  consoleDir?: string | null;
  /** Sampling and events-stream traffic interval (default 2000 ms); heartbeat (15000 ms). */
  trafficIntervalMs?: number;
  heartbeatMs?: number;
  log?: DaemonLog;
}

export interface Daemon {
  readonly host: Host;
  /** This host's view of the ledger (scopeToHost). */
  readonly store: LedgerStore;
  readonly ledger: Ledger;
  readonly allocation: AllocationService;
  readonly bus: EventBus;
  readonly sampler: TrafficSampler;
  readonly policies: PolicyOps;
  readonly simTraffic: SimTraffic | null;
  readonly reconciled: ReconcileReport;
  /** The TCP API's base URL (http://HOST:PORT), or null. */
  readonly url: string | null;
  /** Set when the asked port was taken and another was used. */
  readonly portFallback: { asked: number; got: number } | null;
  readonly socketPath: string | null;
  /** The admin token created for this run (issueAdminToken), shown once; null otherwise. */
  readonly adminToken: string | null;
  stop(): Promise<void>;
}

/**
 * The inventory the console shows: rediscovered when something changed (a kernel link event, a
 * ledger change, a policy apply) or every few seconds, shared by concurrent requests. The
 * ledger's own cache only watches VF counts and links, so VF settings would look stale there.
 */
function displayInventory(cache: InventoryCache, maxAgeMs = 5000) {
  let last: Promise<Inventory> | null = null;
  let at = 0;
  let dirty = true;
  return {
    changed: () => {
      dirty = true;
    },
    get: (): Promise<Inventory> => {
      if (last && !dirty && Date.now() - at < maxAgeMs) return last;
      dirty = false;
      at = Date.now();
      const p = cache.refresh();
      // A failed discovery is not cached: the next request tries again.
      last = p.catch((e: unknown) => {
        if (last === p) last = null;
        throw e;
      });
      return last;
    },
  };
}

async function listenTcp(
  app: Api,
  listen: NonNullable<DaemonOptions['listen']>,
): Promise<{ url: string; fallback: { asked: number; got: number } | null }> {
  try {
    return { url: await app.listen({ host: listen.host, port: listen.port }), fallback: null };
  } catch (e) {
    if (!listen.fallback || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const url = await app.listen({ host: listen.host, port: 0 });
    return { url, fallback: { asked: listen.port, got: Number(new URL(url).port) } };
  }
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { host } = opts;
  const log = opts.log ?? SILENT;
  const intervalMs = opts.trafficIntervalMs ?? 2000;
  /** Undo steps, run in reverse by stop() or when starting fails half way. */
  const undo: (() => unknown)[] = [];
  const teardown = async () => {
    while (undo.length) {
      try {
        await undo.pop()!();
      } catch {
        // Keep tearing down: one failure must not leave the rest running.
      }
    }
  };

  try {
    const ledgerStore = await openStore(opts.db);
    undo.push(() => ledgerStore.close());
    const inventory = new InventoryCache(host);
    const first = await inventory.get();
    // A host's daemon sees and changes only its own attachments, even in a shared ledger.
    const store = scopeToHost(ledgerStore, first.host.hostname);
    const kernelTimeoutMs = opts.kernelTimeoutMs ?? DEFAULT_KERNEL_TIMEOUT_MS;
    const ledger = new Ledger({ store });
    const allocation = new AllocationService({
      ledger,
      host,
      inventory,
      hostname: first.host.hostname,
      placement: { oversubscription: opts.oversubscription ?? 1 },
      timeoutMs: kernelTimeoutMs,
      gate: new HostGate({ drainTimeoutMs: 2 * kernelTimeoutMs }),
      onBackgroundError: (e) =>
        log.error(
          { event: 'reconcile-failed', error: e instanceof Error ? e.message : String(e) },
          'a reconcile after a late kernel answer failed',
        ),
    });
    // A reconcile after a late kernel answer finishes before the store closes.
    undo.push(() => allocation.idle());
    const shown = displayInventory(inventory);
    const unwatch = host.watchLinks?.(() => {
      inventory.invalidate();
      shown.changed();
    });
    if (unwatch) undo.push(unwatch);

    const bus = new EventBus();
    // Bridged before the first reconcile, so the stream's history starts with it.
    undo.push(bridgeLedger(allocation, bus));
    undo.push(allocation.onEvent(() => shown.changed()));
    // Every change, warning and failure on the bus is also a JSON log line; drift and reconcile
    // are logged where they happen, with their full detail.
    undo.push(
      bus.subscribe((e) => {
        if (e.kind.startsWith('drift.') || e.kind === 'ledger.reconciled') return;
        log[e.level](logFieldsOf(e), e.message);
      }),
    );

    // Readers within half an interval share a dump; the periodic samples stay an interval apart.
    const sampler = new TrafficSampler(host, { maxAgeMs: Math.min(500, intervalMs / 2) });
    // Built before the first reconcile so the metrics count it.
    const obs = createObservability({
      ledger,
      events: allocation,
      inventory: allocation.inventory,
      placement: allocation.placementConfig,
      sampler,
      bus,
    });
    undo.push(() => obs.stop());

    const reconciled = await allocation.reconcile();
    log.info({ event: 'reconcile', ...reconciled }, 'ledger reconciled with the kernel');
    const policies = new PolicyOps({
      host,
      allocation,
      bus,
      kept: opts.drift ? { targets: opts.drift.targets, repair: opts.drift.repair } : null,
      kernelTimeoutMs,
    });
    // An apply in progress finishes before anything it needs goes away.
    undo.push(() => policies.idle());
    const unwatchApply = bus.subscribe((e) => {
      if (e.kind === 'apply.done') shown.changed();
    });
    undo.push(unwatchApply);
    const consoleApi = {
      bus,
      sampler,
      policies,
      inventory: shown.get,
      trafficIntervalMs: intervalMs,
      ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.consoleDir !== undefined ? { staticDir: opts.consoleDir } : {}),
    };

    const socketPath = opts.socketPath ?? null;
    const inherited = opts.inheritedSocketFd ?? null;
    if (socketPath !== null || inherited !== null) {
      const app = await buildApi({
        ledger,
        allocation,
        transport: 'unix',
        rateLimitPerMinute: 0,
        console: consoleApi,
        log,
      });
      await registerObservability(app, obs, ledger);
      undo.push(() => app.close());
      if (inherited !== null) {
        await listenInherited(app, inherited);
        log.info(
          { event: 'listening', socket: socketPath, fd: inherited, from: 'systemd' },
          `API on the unix socket systemd passed (fd ${inherited}${socketPath ? `, ${socketPath}` : ''})`,
        );
      } else if (socketPath !== null) {
        await listenUnix(app, socketPath);
        log.info({ event: 'listening', socket: socketPath }, `API on unix socket ${socketPath}`);
      }
    }

    let url: string | null = null;
    let portFallback: Daemon['portFallback'] = null;
    let adminToken: string | null = null;
    if (opts.listen) {
      const app = await buildApi({
        ledger,
        allocation,
        transport: 'tcp',
        rateLimitPerMinute: opts.rateLimitPerMinute ?? 1200,
        console: consoleApi,
        log,
      });
      await registerObservability(app, obs, ledger);
      undo.push(() => app.close());
      const l = await listenTcp(app, opts.listen);
      url = l.url;
      portFallback = l.fallback;
      log.info({ event: 'listening', url }, `API on ${url} (docs at ${url}/api/docs)`);
      if (opts.issueAdminToken && (await ledger.listTokens()).length === 0) {
        const { secret } = await ledger.createToken(
          { actor: SYSTEM_ACTOR },
          { name: 'demo-admin', role: 'admin' },
        );
        adminToken = secret;
      }
    }

    if (opts.drift) {
      const d = opts.drift;
      const publish = driftToBus(bus);
      const onEvent = (e: DriftEvent) => {
        const { type, ...rest } = e;
        const level =
          type === 'error' || type === 'repair-failed'
            ? 'error'
            : type === 'drift' || type === 'repair-skipped'
              ? 'warn'
              : 'info';
        log[level](
          { event: type, ...rest },
          type === 'drift'
            ? `drift: ${e.type === 'drift' ? e.steps.length : 0} step(s) from the policy`
            : type,
        );
        publish(e);
        obs.onDrift(e);
        shown.changed();
      };
      // The policy use case as the drift watcher needs it: the ledger's held VFs, the host gate,
      // and no reconcile after a repair (it would put attachments' settings over the policy's).
      const repairs = new ApplyPolicy({
        ...daemonPolicyPorts({ host, allocation, kernelTimeoutMs, recordApplied: false }),
        hold: (label, _plan, run) => allocation.gate.runExclusive(label, () => run()),
      });
      const watcher = new DriftWatcher(repairs, () => d.targets, {
        intervalMs: d.intervalMs,
        repair: d.repair,
        repairDisruptive: d.repairDisruptive,
        onEvent,
      });
      undo.push(() => watcher.stop());
      log.info(
        { event: 'start', pfs: d.watched, intervalMs: d.intervalMs, repair: d.repair },
        'watching',
      );
      await watcher.start();
    }

    let simTraffic: SimTraffic | null = null;
    if (opts.simTraffic && host instanceof SimHost) {
      const t = new SimTraffic(host, allocation, { intervalMs, ...opts.simTraffic });
      simTraffic = t;
      t.start();
      undo.push(() => t.stop());
    }
    sampler.start(intervalMs);
    undo.push(() => sampler.stop());
    obs.start();

    let stopping: Promise<void> | null = null;
    return {
      host,
      store,
      ledger,
      allocation,
      bus,
      sampler,
      policies,
      simTraffic,
      reconciled,
      url,
      portFallback,
      socketPath,
      adminToken,
      stop: () => (stopping ??= teardown()),
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}

/** /metrics, /api/v1/health and the request metrics on one API server. */
async function registerObservability(app: Api, obs: Observability, ledger: Ledger): Promise<void> {
  await app.register(requestMetrics(obs.exporter.daemon));
  await app.register(metricsRoutes({ exporter: obs.exporter, ledger }));
  if (obs.health) await app.register(healthRoutes({ health: obs.health }), { prefix: '/api/v1' });
}
