import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/exit-codes.js';
import { filterInventory, parseInventoryFilter } from '../../../src/cli/inventory-filter.js';
import { cx6, e810, inventory } from '../doctor/builders.js';

const inv = inventory([
  e810('0000:3b:00.0', 'ens1f0'),
  e810('0000:3b:00.1', 'ens1f1'),
  cx6('0000:d8:00.0', 'ens5f0np0'),
]);

const pfsOf = (flags: Parameters<typeof parseInventoryFilter>[0]) =>
  filterInventory(inv, parseInventoryFilter(flags)).pfs.map((p) => p.pciAddress);

describe('inventory filters', () => {
  it('selects a PF by full or short PCI address, or by netdev', () => {
    expect(pfsOf({ pf: '0000:3b:00.1' })).toEqual(['0000:3b:00.1']);
    expect(pfsOf({ pf: '3B:00.1' })).toEqual(['0000:3b:00.1']);
    expect(pfsOf({ pf: 'ens5f0np0' })).toEqual(['0000:d8:00.0']);
  });

  it('filters by driver, vendor (with or without 0x) and NUMA node', () => {
    expect(pfsOf({ driver: 'mlx5_core' })).toEqual(['0000:d8:00.0']);
    expect(pfsOf({ vendor: '0x8086' })).toEqual(['0000:3b:00.0', '0000:3b:00.1']);
    expect(pfsOf({ numa: '1' })).toEqual(['0000:d8:00.0']);
    expect(pfsOf({ driver: 'ice', numa: '1' })).toEqual([]);
  });

  it('refuses malformed values as usage errors with a hint', () => {
    for (const flags of [
      { pf: '3b:00.9' },
      { pf: 'eth0; rm -rf /' },
      { vendor: 'intel' },
      { numa: 'one' },
      { pf: '../../etc' },
    ]) {
      expect(() => parseInventoryFilter(flags)).toThrow(UsageError);
    }
    expect(() => parseInventoryFilter({ pf: '../../etc' })).toThrow(
      expect.objectContaining({
        hint: 'give a PF as a PCI address (0000:3b:00.0 or 3b:00.0) or a netdev name (ens1f0)',
      }),
    );
  });

  it('treats a --pf that names no PF as a usage error listing the PFs that exist', () => {
    const f = parseInventoryFilter({ pf: 'ens9f0' });
    expect(() => filterInventory(inv, f)).toThrow(
      expect.objectContaining({
        message: '--pf ens9f0: no SR-IOV PF with that netdev on this host',
        hint: 'PFs on this host: 0000:3b:00.0 (ens1f0), 0000:3b:00.1 (ens1f1), 0000:d8:00.0 (ens5f0np0)',
      }),
    );
  });
});
