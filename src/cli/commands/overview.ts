/**
 * `sriovctl` with no command (or `sriovctl overview`): a quick tour on the simulated host unless a
 * host was chosen: banner, inventory, doctor summary with the problems, and the commands to try next.
 */
import type { Command } from 'commander';
import { NO_SRIOV_DEVICES, runDoctor } from '../../doctor/index.js';
import type { CheckStatus } from '../../doctor/types.js';
import { statusMark, styleFor, truncate, wrapParts } from '../format.js';
import { println } from '../io.js';
import { renderSummary } from '../render-doctor.js';
import { defaultVfLimit, renderInventory } from '../render-inventory.js';
import { loadInventory, printIssues } from '../session.js';
import type { CommandContext } from './context.js';

/** A big host's VFs as a summary per PF, as `inventory` shows them. */
function vfLimit(inv: Parameters<typeof defaultVfLimit>[0]): { limit?: number } {
  const limit = defaultVfLimit(inv);
  return limit === undefined ? {} : { limit };
}

/** Registers `overview`, which main runs when no command is given. */
export function overviewCommand(program: Command, ctx: CommandContext): void {
  program
    .command('overview')
    .description(
      'inventory and doctor summary (the default; runs on the simulated host unless --sim/--sysfs-root is given)',
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const out = ctx.io.stdout;
      const style = styleFor(out, ctx.io.env);
      const { c } = style;
      const inv = await loadInventory(ctx.io, ctx.hostFlags(cmd), 'sim');
      printIssues(ctx.io, inv);
      println(
        out,
        c.bold(`sriovctl overview: ${inv.host.hostname} (kernel ${inv.host.kernelRelease})`),
      );
      println(out);
      println(
        out,
        inv.pfs.length === 0
          ? NO_SRIOV_DEVICES
          : renderInventory(inv, { wide: false, ...vfLimit(inv) }, style),
      );
      const report = runDoctor(inv);
      println(out);
      println(out, `Doctor: ${renderSummary(report, style)}`);
      // One line per problem, naming every PF it was found on (8 PFs need not be 8 lines).
      const problems = new Map<string, { status: CheckStatus; title: string; scopes: string[] }>();
      for (const r of report.results.filter((x) => x.status === 'warn' || x.status === 'fail')) {
        const key = `${r.status} ${r.title}`;
        const p = problems.get(key) ?? { status: r.status, title: r.title, scopes: [] };
        if (r.scope !== 'host') p.scopes.push(r.scope);
        problems.set(key, p);
      }
      for (const p of problems.values()) {
        const where = p.scopes.length === 0 ? [] : [c.dim(`[${p.scopes.join(', ')}]`)];
        println(
          out,
          wrapParts(
            [`${statusMark(p.status, style)} ${p.title}`, ...where],
            ' ',
            '  ',
            style.width,
          ),
        );
      }
      println(out);
      println(out, 'Next:');
      for (const [cmdline, what] of [
        ['sriovctl --sim inventory --wide', 'VF details: IOMMU groups, NUMA, counters'],
        ['sriovctl --sim doctor', 'every check with its evidence and exact fix'],
        [
          'sriovctl --sim iommu-off doctor',
          'another simulated host (`sriovctl fixtures` lists them)',
        ],
        [
          'sriovctl inventory',
          'this machine, read-only (or --sysfs-root <dir> for a captured tree)',
        ],
        ['sriovctl --help', 'all commands, flags and exit codes'],
      ] as const) {
        println(out, truncate(`  ${cmdline.padEnd(34)} ${c.dim(what)}`, style.width ?? Infinity));
      }
    });
}
