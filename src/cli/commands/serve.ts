/**
 * `sriovctl serve`: the daemon. Keeps the host at the policy: watches kernel link events and makes
 * a periodic pass, logs every drift, repair and failure as a structured JSON line, and repairs
 * non-disruptive drift when asked. Runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { discover } from '../../inventory/discover.js';
import { DriftWatcher, type DriftEvent } from '../../policy/drift.js';
import type { PlanTarget } from '../../policy/plan.js';
import { UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { openSession } from '../session.js';
import type { CommandContext } from './context.js';
import { resolveOrReport } from './plan.js';

interface ServeFlags {
  file?: string[];
  interval?: string;
  repair?: boolean;
  repairDisruptive?: boolean;
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a positive number of seconds`);
  return n;
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
      'run the daemon: watch for drift from the policy, report it, and repair it if asked',
    )
    .requiredOption('-f, --file <path...>', 'policy files (YAML or JSON)')
    .option('--interval <seconds>', 'periodic pass interval (default 30)')
    .option('--repair', 'repair drift that needs no disruptive step')
    .option('--repair-disruptive', 'also repair drift that destroys or rebinds VFs (use with care)')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const intervalMs = positive('interval', flags.interval, 30) * 1000;
      const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
      const desired = await resolveOrReport(
        ctx.io,
        flags.file ?? [],
        await discover(host),
        ctx.setExitCode,
      );
      if (!desired) return;
      const log = pino(
        { base: { service: 'sriovctl', host: host.description.name } },
        { write: (s: string) => ctx.io.stdout.write(s) },
      );
      const targets: readonly PlanTarget[] = desired;
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
      const watcher = new DriftWatcher(host, () => targets, {
        intervalMs,
        repair: flags.repair === true,
        repairDisruptive: flags.repairDisruptive === true,
        onEvent,
      });
      log.info(
        {
          event: 'start',
          pfs: desired.map((d) => d.netdev ?? d.pciAddress),
          intervalMs,
          repair: flags.repair === true,
        },
        'watching',
      );
      await watcher.start();
      await stopped(ctx.io);
      await watcher.stop();
      log.info({ event: 'stop' }, 'stopped');
    });
}
