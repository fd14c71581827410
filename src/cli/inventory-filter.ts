/**
 * The inventory filters (--pf, --driver, --vendor, --numa): parsed strictly so a typo is a usage
 * error (exit 64) rather than an empty table that looks like "no devices".
 */
import { ifName, pciAddress } from '../host/names.js';
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { UsageError } from './exit-codes.js';

export interface InventoryFilterFlags {
  pf?: string;
  driver?: string;
  vendor?: string;
  numa?: string;
}

export interface InventoryFilter {
  pf?: { kind: 'pci' | 'netdev'; value: string };
  driver?: string;
  vendor?: string;
  numa?: number;
}

const PCI_LIKE = /^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$/i;

/** Validates the filter flags; throws UsageError with the expected form on a malformed value. */
export function parseInventoryFilter(flags: InventoryFilterFlags): InventoryFilter {
  const f: InventoryFilter = {};
  if (flags.pf !== undefined) {
    if (PCI_LIKE.test(flags.pf)) {
      try {
        f.pf = { kind: 'pci', value: pciAddress(flags.pf, '--pf') };
      } catch {
        throw new UsageError(
          `--pf ${JSON.stringify(flags.pf)} is not a valid PCI address`,
          'give a PF as a PCI address (0000:3b:00.0 or 3b:00.0) or a netdev name (ens1f0)',
        );
      }
    } else {
      try {
        f.pf = { kind: 'netdev', value: ifName(flags.pf, '--pf') };
      } catch {
        throw new UsageError(
          `--pf ${JSON.stringify(flags.pf)} is neither a PCI address nor an interface name`,
          'give a PF as a PCI address (0000:3b:00.0 or 3b:00.0) or a netdev name (ens1f0)',
        );
      }
    }
  }
  if (flags.driver !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(flags.driver)) {
      throw new UsageError(
        `--driver ${JSON.stringify(flags.driver)} is not a driver name`,
        'e.g. --driver ice',
      );
    }
    f.driver = flags.driver;
  }
  if (flags.vendor !== undefined) {
    const m = /^(?:0x)?([0-9a-f]{4})$/i.exec(flags.vendor);
    if (!m) {
      throw new UsageError(
        `--vendor ${JSON.stringify(flags.vendor)} is not a PCI vendor ID`,
        'give the 4-digit hex vendor ID, e.g. --vendor 8086 (Intel) or --vendor 15b3 (Mellanox)',
      );
    }
    f.vendor = m[1]!.toLowerCase();
  }
  if (flags.numa !== undefined) {
    if (!/^(-1|\d{1,4})$/.test(flags.numa)) {
      throw new UsageError(
        `--numa ${JSON.stringify(flags.numa)} is not a NUMA node`,
        'give a node number as in /sys/devices/system/node (0, 1, ...) or -1 for "no NUMA information"',
      );
    }
    f.numa = Number(flags.numa);
  }
  return f;
}

function matches(pf: PfSnapshot, f: InventoryFilter): boolean {
  if (f.pf) {
    const hit = f.pf.kind === 'pci' ? pf.pciAddress === f.pf.value : pf.netdev === f.pf.value;
    if (!hit) return false;
  }
  if (f.driver !== undefined && pf.driver !== f.driver) return false;
  if (f.vendor !== undefined && pf.vendorId.toLowerCase() !== f.vendor) return false;
  if (f.numa !== undefined && pf.numaNode !== f.numa) return false;
  return true;
}

/**
 * The inventory restricted to matching PFs. A --pf that names no PF is a usage error listing the
 * PFs that do exist; the other filters may legitimately match nothing.
 */
export function filterInventory(inv: Inventory, f: InventoryFilter): Inventory {
  if (f.pf && !inv.pfs.some((pf) => matches(pf, { pf: f.pf! }))) {
    const known = inv.pfs.map((pf) =>
      pf.netdev ? `${pf.pciAddress} (${pf.netdev})` : pf.pciAddress,
    );
    throw new UsageError(
      `--pf ${f.pf.value}: no SR-IOV PF with that ${f.pf.kind === 'pci' ? 'PCI address' : 'netdev'} on this host`,
      known.length > 0 ? `PFs on this host: ${known.join(', ')}` : 'this host has no SR-IOV PF',
    );
  }
  const pfs = inv.pfs.filter((pf) => matches(pf, f));
  const kept = new Set<string>(pfs.map((pf) => pf.pciAddress));
  // Host-wide issues stay; issues about a PF follow that PF.
  const issues = inv.issues.filter((i) => i.pciAddress === undefined || kept.has(i.pciAddress));
  return { ...inv, pfs, issues };
}

/** True when any filter is set (so an empty result means "nothing matched", not "no devices"). */
export function hasFilter(f: InventoryFilter): boolean {
  return (
    f.pf !== undefined || f.driver !== undefined || f.vendor !== undefined || f.numa !== undefined
  );
}
