/** `sriovctl doctor`: preflight checks with evidence and fixes; the exit code is the worst status. */
import type { Command } from 'commander';
import { runDoctor, worstOf } from '../../doctor/index.js';
import { discover } from '../../inventory/discover.js';
import { gatherBootModuleFacts } from '../../boot/boot-modules.js';
import { EXIT_CODES_HELP, exitForStatus } from '../exit-codes.js';
import { styleFor } from '../format.js';
import { filterInventory, parseInventoryFilter } from '../inventory-filter.js';
import { println } from '../io.js';
import { countByStatus, renderDoctor } from '../render-doctor.js';
import { openSession, printIssues, toJson } from '../session.js';
import type { CommandContext } from './context.js';

interface DoctorFlags {
  pf?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Registers `doctor`. */
export function doctorCommand(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description(
      'check that the host and its PFs are ready for SR-IOV (IOMMU, drivers, firmware, ...)',
    )
    .option('--pf <pci|netdev>', 'host checks plus only this PF')
    .option('--verbose', 'show evidence for passing checks too')
    .option('--json', 'print the report as JSON ({ worst, counts, results })')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (flags: DoctorFlags, cmd: Command) => {
      const filter = parseInventoryFilter(flags.pf === undefined ? {} : { pf: flags.pf });
      const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
      const inv = await discover(host);
      const bootModules = await gatherBootModuleFacts(host, {
        release: inv.host.kernelRelease,
        cmdline: inv.host.kernelCmdline,
      });
      // Checks run on the whole host (firmware consistency compares sibling PFs); --pf only narrows the output.
      const full = runDoctor(inv, { bootModules });
      const shown = filterInventory(inv, filter);
      printIssues(ctx.io, shown);
      const keep = new Set<string>(['host', ...shown.pfs.map((p) => p.pciAddress)]);
      const results = full.results.filter((r) => keep.has(r.scope));
      const report = { results, worst: worstOf(results.map((r) => r.status)) };
      if (flags.json) {
        ctx.io.stdout.write(
          toJson({ worst: report.worst, counts: countByStatus(report), results: report.results }),
        );
      } else {
        println(
          ctx.io.stdout,
          renderDoctor(
            report,
            inv,
            { verbose: flags.verbose === true },
            styleFor(ctx.io.stdout, ctx.io.env),
          ),
        );
      }
      ctx.setExitCode(exitForStatus(report.worst));
    });
}
