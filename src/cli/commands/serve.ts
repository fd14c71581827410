/**
 * `sriovctl serve`: the daemon. Opens the ledger, reconciles it with the kernel, serves the REST
 * API on a unix socket (local root) and optionally on TCP (bearer tokens), and — given policy
 * files — keeps the host at the policy: watches kernel link events plus a periodic pass, logs every
 * drift, repair and failure as a structured JSON line, and repairs non-disruptive drift when
 * asked. Runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { listenUnix } from '../../api/unix-socket.js';
import { buildApi } from '../../api/server.js';
import { discover } from '../../inventory/discover.js';
import { InventoryCache } from '../../ledger/inventory-cache.js';
import { Ledger } from '../../ledger/ledger.js';
import { SqliteLedgerStore } from '../../ledger/sqlite/sqlite-store.js';
import { createToken } from '../../ledger/tokens.js';
import { STATE_DIR } from '../../persist/locations.js';
import { DriftWatcher, type DriftEvent } from '../../policy/drift.js';
import type { PlanTarget } from '../../policy/plan.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { openHost, selectHost } from '../open-host.js';
import { styleFor } from '../format.js';
import { println } from '../io.js';
import type { CommandContext } from './context.js';
import { resolveOrReport } from './plan.js';

interface ServeFlags {
  file?: string[];
  interval?: string;
  repair?: boolean;
  repairDisruptive?: boolean;
  listen?: string;
  socket?: string | false;
  db?: string;
  simState?: string;
  rateLimit?: string;
  oversubscription?: string;
}

/** The daemon's API socket on a real host. */
export const DEFAULT_SOCKET = '/run/sriovctl/api.sock';
export const DEFAULT_DB = `${STATE_DIR}/ledger.db`;

function positive(name: string, v: string | undefined, dflt: number, unit: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a positive number of ${unit}`);
  return n;
}

function listenAddress(v: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535)
    throw new UsageError(
      `--listen ${JSON.stringify(v)}: expected HOST:PORT`,
      'e.g. --listen 127.0.0.1:8080 (port 0 picks a free one)',
    );
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Resolves when the process is asked to stop (or the test's signal aborts). */
function stopped(io: CliIo): Promise<void> {
  if (io.signal) {
    const s = io.signal;
    return s.aborted
      ? Promise.resolve()
      : new Promise((r) => s.addEventListener('abort', () => r(), { once: true }));
  }
  return new Promise((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
}

/** Registers `serve`. */
export function serveCommand(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description(
      'run the daemon: the allocation ledger and REST API, and (with -f) drift watching against a policy',
    )
    .option('-f, --file <path...>', 'policy files (YAML or JSON) to keep the host at')
    .option('--interval <seconds>', 'periodic drift pass interval (default 30)')
    .option('--repair', 'repair drift that needs no disruptive step')
    .option('--repair-disruptive', 'also repair drift that destroys or rebinds VFs (use with care)')
    .option('--listen <host:port>', 'also serve the API on TCP (bearer tokens required)')
    .option(
      '--socket <path>',
      `unix socket for local root (default ${DEFAULT_SOCKET}; none on the simulator unless given)`,
    )
    .option('--no-socket', 'no unix socket')
    .option('--db <path>', `ledger database (default ${DEFAULT_DB}; in memory on the simulator)`)
    .option('--sim-state <file>', 'simulator only: keep the simulated kernel state in this file')
    .option('--rate-limit <n>', 'API requests per minute per client (default 1200; 0 = off)')
    .option(
      '--oversubscription <factor>',
      'guaranteed rates may add up to link speed × this (default 1.0)',
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const intervalMs = positive('interval', flags.interval, 30, 'seconds') * 1000;
      const oversubscription = positive('oversubscription', flags.oversubscription, 1, 'times');
      const rateLimit = flags.rateLimit === undefined ? 1200 : Number(flags.rateLimit);
      if (!Number.isInteger(rateLimit) || rateLimit < 0)
        throw new UsageError(`--rate-limit ${JSON.stringify(flags.rateLimit)}: expected 0 or more`);
      const listen = flags.listen !== undefined ? listenAddress(flags.listen) : null;

      const sel = selectHost(ctx.hostFlags(cmd), ctx.io.env, 'linux');
      if (flags.simState !== undefined) {
        if (sel.kind !== 'sim') throw new UsageError('--sim-state needs --sim');
        sel.stateFile = flags.simState;
      }
      const opened = await openHost(sel);
      const err = styleFor(ctx.io.stderr, ctx.io.env);
      if (opened.banner) println(ctx.io.stderr, err.c.yellow(opened.banner));
      const host = opened.host;
      const sim = sel.kind === 'sim';

      const log = pino(
        { base: { service: 'sriovctl', host: host.description.name } },
        { write: (s: string) => ctx.io.stdout.write(s) },
      );

      let targets: readonly PlanTarget[] | null = null;
      let watched: string[] = [];
      if (flags.file?.length) {
        const desired = await resolveOrReport(
          ctx.io,
          flags.file,
          await discover(host),
          ctx.setExitCode,
        );
        if (!desired) return;
        targets = desired;
        watched = desired.map((d) => d.netdev ?? d.pciAddress);
      }

      const store = new SqliteLedgerStore({ path: flags.db ?? (sim ? ':memory:' : DEFAULT_DB) });
      const inventory = new InventoryCache(host);
      const first = await inventory.get();
      const ledger = new Ledger({
        store,
        host,
        inventory,
        hostname: first.host.hostname,
        placement: { oversubscription },
      });
      const unwatch = host.watchLinks?.(() => inventory.invalidate());

      const report = await ledger.reconcile();
      log.info({ event: 'reconcile', ...report }, 'ledger reconciled with the kernel');

      const servers = [];
      const socketPath =
        flags.socket === false ? null : (flags.socket ?? (sim ? null : DEFAULT_SOCKET));
      if (socketPath !== null) {
        const app = await buildApi({ ledger, transport: 'unix', rateLimitPerMinute: 0 });
        await listenUnix(app, socketPath);
        servers.push(app);
        log.info({ event: 'listening', socket: socketPath }, `API on unix socket ${socketPath}`);
      }
      if (listen) {
        const app = await buildApi({ ledger, transport: 'tcp', rateLimitPerMinute: rateLimit });
        const url = await app.listen({ host: listen.host, port: listen.port });
        servers.push(app);
        log.info({ event: 'listening', url }, `API on ${url} (docs at ${url}/api/docs)`);
        if (sim && (await store.listTokens()).length === 0) {
          // A fresh simulated host has no tokens and no root socket: hand out one to start with.
          const { secret } = await createToken(
            store,
            { name: 'demo-admin', role: 'admin' },
            'sriovctl',
            new Date().toISOString(),
          );
          println(ctx.io.stderr, `sriovctl: admin token for this simulated host: ${secret}`);
        }
      }

      let watcher: DriftWatcher | null = null;
      if (targets) {
        const t = targets;
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
        };
        watcher = new DriftWatcher(host, () => t, {
          intervalMs,
          repair: flags.repair === true,
          repairDisruptive: flags.repairDisruptive === true,
          onEvent,
        });
        log.info(
          {
            event: 'start',
            pfs: watched,
            intervalMs,
            repair: flags.repair === true,
          },
          'watching',
        );
        await watcher.start();
      }
      log.info({ event: 'ready' }, 'ready');
      await stopped(ctx.io);
      await watcher?.stop();
      for (const s of servers) await s.close();
      unwatch?.();
      await store.close();
      log.info({ event: 'stop' }, 'stopped');
    });
}
