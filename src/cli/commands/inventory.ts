/** `sriovctl inventory`: the PFs and VFs of the host, as a table grouped by PF or as JSON. */
import type { Command } from 'commander';
import { NO_SRIOV_DEVICES } from '../../doctor/index.js';
import { styleFor } from '../format.js';
import {
  filterInventory,
  hasFilter,
  parseInventoryFilter,
  type InventoryFilterFlags,
} from '../inventory-filter.js';
import { println } from '../io.js';
import { renderInventory } from '../render-inventory.js';
import { loadInventory, printIssues, toJson } from '../session.js';
import type { CommandContext } from './context.js';

interface InventoryFlags extends InventoryFilterFlags {
  wide?: boolean;
  json?: boolean;
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
    .option('--wide', 'add IOMMU group, NUMA node, counters and driver_override per VF')
    .option('--json', 'print the (filtered) inventory snapshot as JSON')
    .action(async (flags: InventoryFlags, cmd: Command) => {
      const filter = parseInventoryFilter(flags);
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
        println(
          ctx.io.stdout,
          renderInventory(inv, { wide: flags.wide === true }, styleFor(ctx.io.stdout, ctx.io.env)),
        );
      }
    });
}
