/**
 * `sriovctl serve`: the daemon (assembled by src/daemon/daemon.ts; this is its command line). Opens
 * the ledger, reconciles it with the kernel, serves the REST API and the web console on a unix
 * socket (local root) and optionally on TCP (bearer tokens), streams events, samples traffic, and
 * — given policy files — keeps the host at the policy: watches kernel link events plus a periodic
 * pass, logs every drift, repair and failure as a structured JSON line, and repairs non-disruptive
 * drift when asked. On the simulator it also moves demo traffic (`--sim-traffic`). Runs until
 * SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { inheritedSocketFd } from '../../api/unix-socket.js';
import { startDaemon, type DaemonOptions } from '../../daemon/daemon.js';
import { discover } from '../../inventory/discover.js';
import { API_SOCKET, SOCKET_UNIT, STATE_DIR } from '../../boot/locations.js';
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
  rateLimit?: string;
  oversubscription?: string;
  kernelTimeout?: string;
  fallbackPort?: boolean;
  simTraffic?: string;
}

/** The daemon's API socket on a real host. */
export const DEFAULT_SOCKET = API_SOCKET;
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

/**
 * `--sim-traffic`: on (seed 1), off, or a seed. Default on for the simulator, except with
 * --sim-state FILE, where every traffic change is journaled and fsynced (the kept default state
 * does not journal demo traffic: it is the world outside the machine, not its state).
 */
function simTrafficFlag(
  v: string | undefined,
  sim: boolean,
  stateFile: string | undefined,
): { seed: number } | null {
  if (v === undefined) return sim && stateFile === undefined ? { seed: 1 } : null;
  if (!sim) throw new UsageError('--sim-traffic needs --sim');
  if (v === 'off') return null;
  if (v === 'on') return { seed: 1 };
  if (/^\d{1,9}$/.test(v)) return { seed: Number(v) };
  throw new UsageError(`--sim-traffic ${JSON.stringify(v)}: expected on, off or a seed (a number)`);
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
      `unix socket for local root (default ${DEFAULT_SOCKET}; none on the simulator unless given; under ${SOCKET_UNIT} the socket systemd passes)`,
    )
    .option('--no-socket', 'no unix socket')
    .option(
      '--db <path>',
      `ledger database: a file path, sqlite:PATH or :memory: (default ${DEFAULT_DB}; in memory on the simulator)`,
    )
    .option('--rate-limit <n>', 'API requests per minute per client (default 1200; 0 = off)')
    .option(
      '--oversubscription <factor>',
      'guaranteed rates may add up to link speed × this (default 1.0)',
    )
    .option(
      '--kernel-timeout <seconds>',
      'deadline of each kernel operation the daemon starts (default 30); one that misses it fails its request and its VF is reconciled once the kernel answers',
    )
    .option('--fallback-port', 'if the --listen port is taken, listen on a free port instead')
    .option(
      '--sim-traffic <on|off|SEED>',
      'simulator only: moving demo traffic on attached and some other VFs (default on, seed 1; off with --sim-state FILE)',
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const intervalMs = positive('interval', flags.interval, 30, 'seconds') * 1000;
      const oversubscription = positive('oversubscription', flags.oversubscription, 1, 'times');
      const kernelTimeoutMs = Math.round(
        positive('kernel-timeout', flags.kernelTimeout, 30, 'seconds') * 1000,
      );
      const rateLimit = flags.rateLimit === undefined ? 1200 : Number(flags.rateLimit);
      if (!Number.isInteger(rateLimit) || rateLimit < 0)
        throw new UsageError(`--rate-limit ${JSON.stringify(flags.rateLimit)}: expected 0 or more`);
      const listen = flags.listen !== undefined ? listenAddress(flags.listen) : null;

      const sel = selectHost(ctx.hostFlags(cmd), ctx.io.env, 'linux');
      const stateFile =
        sel.kind === 'sim' && sel.state.kind === 'file' ? sel.state.file : undefined;
      const simTraffic = simTrafficFlag(flags.simTraffic, sel.kind === 'sim', stateFile);
      // The daemon owns the simulated machine it serves: a second daemon on it is refused, and
      // commands meanwhile see a read-only snapshot.
      const opened = await openHost(sel, {
        ifBusy: 'refuse',
        command: 'sriovctl serve',
        recordTraffic: stateFile !== undefined,
      });
      const err = styleFor(ctx.io.stderr, ctx.io.env);
      if (opened.banner) println(ctx.io.stderr, err.c.yellow(opened.banner));
      const host = opened.host;
      const sim = sel.kind === 'sim';

      const out = lineBatcher((s) => ctx.io.stdout.write(s));
      const log = pino({ base: { service: 'sriovctl', host: host.description.name } }, out);

      let drift: DaemonOptions['drift'] = null;
      if (flags.file?.length) {
        const desired = await resolveOrReport(
          ctx.io,
          flags.file,
          await discover(host),
          ctx.setExitCode,
        );
        if (!desired) return;
        drift = {
          targets: desired,
          watched: desired.map((d) => d.netdev ?? d.pciAddress),
          intervalMs,
          repair: flags.repair === true,
          repairDisruptive: flags.repairDisruptive === true,
        };
      }

      // Socket activation (sriovctl.socket): serve on what systemd passed, and clear the variables
      // so no child process takes them for its own.
      const inherited = flags.socket === false ? null : inheritedSocketFd(ctx.io.env, process.pid);
      if (inherited !== null)
        for (const k of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) delete process.env[k];
      const daemon = await startDaemon({
        host,
        db: flags.db ?? (sim ? ':memory:' : DEFAULT_DB),
        oversubscription,
        kernelTimeoutMs,
        socketPath: flags.socket === false ? null : (flags.socket ?? (sim ? null : DEFAULT_SOCKET)),
        inheritedSocketFd: inherited,
        listen: listen && { ...listen, fallback: flags.fallbackPort === true },
        rateLimitPerMinute: rateLimit,
        drift,
        simTraffic: simTraffic ? { seed: simTraffic.seed } : null,
        // A fresh simulated host has no tokens and no root socket: hand out one to start with.
        issueAdminToken: sim,
        log,
      });
      if (daemon.portFallback)
        println(
          ctx.io.stderr,
          err.c.yellow(
            `sriovctl: port ${daemon.portFallback.asked} is taken; listening on port ${daemon.portFallback.got} instead`,
          ),
        );
      if (daemon.adminToken)
        println(
          ctx.io.stderr,
          `sriovctl: admin token for this simulated host: ${daemon.adminToken}`,
        );
      if (daemon.url)
        println(
          ctx.io.stderr,
          `sriovctl: console at ${err.c.bold(`${daemon.url}/`)}${daemon.adminToken ? ' (log in with the admin token above)' : ''}`,
        );
      log.info({ event: 'ready' }, 'ready');
      await stopped(ctx.io);
      await daemon.stop();
      log.info({ event: 'stop' }, 'stopped');
      out.close();
    });
}

/**
 * Log lines gathered for one turn of the event loop and written together. A write to stdout (a
 * pipe or a file, so synchronous) per line cost the daemon 5% of its time under an attach burst;
 * a line waits at most until the current turn ends; what is pending is written at exit too, and
 * by `close`.
 */
function lineBatcher(write: (s: string) => void): { write(s: string): void; close(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  process.once('exit', flush);
  return {
    write(s) {
      pending.push(s);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close() {
      process.off('exit', flush);
      flush();
    },
  };
}
