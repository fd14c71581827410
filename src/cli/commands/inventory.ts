/** `sriovctl inventory`: the PFs and VFs of the host, as a table grouped by PF or as JSON. */
import type { Command } from 'commander';
import { NO_SRIOV_DEVICES } from '../../doctor/index.js';
import { UsageError } from '../exit-codes.js';
import { styleFor, unlimited } from '../format.js';
import {
  filterInventory,
  hasFilter,
  parseInventoryFilter,
  type InventoryFilterFlags,
} from '../inventory-filter.js';
import { println } from '../io.js';
import { defaultVfLimit, renderInventory, SUMMARY_ABOVE_VFS } from '../render-inventory.js';
import { loadInventory, printIssues, toJson } from '../session.js';
import type { CommandContext } from './context.js';

interface InventoryFlags extends InventoryFilterFlags {
  wide?: boolean;
  json?: boolean;
  vfs?: boolean;
  limit?: string;
}

/** `--limit N`: a whole number of VF rows per PF. */
function parseLimit(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new UsageError(
      `--limit ${JSON.stringify(v)}: expected a number of VF rows per PF (0 for a summary)`,
      'e.g. --limit 20, or --vfs for every VF',
    );
  return Number(v);
}

/** Registers `inventory`. */
export function inventoryCommand(program: Command, ctx: CommandContext): void {
  program
    .command('inventory')
    .description('list SR-IOV PFs and their VFs, grouped by PF')
    .option('--pf <pci|netdev>', 'only this PF (0000:3b:00.0, 3b:00.0 or ens1f0)')
    .option('--driver <name>', 'only PFs bound to this driver (ice, mlx5_core, ...)')
    .option('--vendor <id>', 'only PFs with this PCI vendor ID (8086, 15b3, ...)')
    .option('--numa <n>', 'only PFs on this NUMA node')
    .option(
      '--wide',
      'add IOMMU group, NUMA node, counters and driver_override per VF; never drop or cut columns',
    )
    .option(
      '--vfs',
      `list every VF (by default a host with more than ${SUMMARY_ABOVE_VFS} VFs gets a summary per PF)`,
    )
    .option('--limit <n>', 'list at most N VFs per PF (0: the summary)')
    .option('--json', 'print the (filtered) inventory snapshot as JSON')
    .action(async (flags: InventoryFlags, cmd: Command) => {
      const filter = parseInventoryFilter(flags);
      const limit = parseLimit(flags.limit);
      if (flags.vfs && limit !== undefined)
        throw new UsageError('--vfs lists every VF and --limit some: give one of them');
      const full = await loadInventory(ctx.io, ctx.hostFlags(cmd), 'linux');
      const inv = filterInventory(full, filter);
      printIssues(ctx.io, inv);
      if (flags.json) {
        ctx.io.stdout.write(toJson(inv));
        return;
      }
      if (full.pfs.length === 0) {
        println(ctx.io.stdout, NO_SRIOV_DEVICES);
      } else if (inv.pfs.length === 0 && hasFilter(filter)) {
        println(
          ctx.io.stdout,
          `No PF matches the filters (${full.pfs.length} SR-IOV PFs on this host).`,
        );
      } else {
        const style = styleFor(ctx.io.stdout, ctx.io.env);
        const rows = flags.vfs ? undefined : (limit ?? defaultVfLimit(inv));
        println(
          ctx.io.stdout,
          renderInventory(
            inv,
            { wide: flags.wide === true, ...(rows === undefined ? {} : { limit: rows }) },
            flags.wide ? unlimited(style) : style,
          ),
        );
      }
    });
}
