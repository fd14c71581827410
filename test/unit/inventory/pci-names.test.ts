import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_DEVICE_NAMES } from '../../../src/inventory/pci-names-builtin.js';
import {
  builtinPciNames,
  loadPciIds,
  lookupPciNames,
  pciIdsIndex,
  resolvePciNames,
} from '../../../src/inventory/pci-names.js';
import { fullSizePciIds } from '../../../bench/pci-ids.js';
import { SysfsTree } from './support/sysfs-tree.js';
import { TreeHost } from './support/tree-host.js';

/** A slice of pci.ids with its real shape: header comments, vendors, devices, subsystems, classes. */
const SAMPLE = `#
#	List of PCI ID's
#
# Version: 2024.02.02
#
0001  SafeNet (wrong ID)
8086  Intel Corporation
	0007  82379AB
	10ed  82599 Ethernet Controller Virtual Function
	10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection
		103c 17d3  Ethernet 10Gb 2-port 560SFP+ Adapter
# comment inside a vendor block
	1592  Ethernet Controller E810-C for QSFP
8088  Beijing Wangxun Technology Co., Ltd.
	1001  Ethernet Controller RP1000 for 10GbE SFP+
15b3  Mellanox Technologies
	101d  MT2892 Family [ConnectX-6 Dx]
C 02  Network controller
	00  Ethernet controller
`;

const trees: SysfsTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});

describe('pci.ids', () => {
  it('finds vendor and device names', () => {
    const idx = pciIdsIndex(SAMPLE);
    expect(idx.vendorName('8086')).toBe('Intel Corporation');
    expect(idx.deviceName('8086', '10fb')).toBe('82599ES 10-Gigabit SFI/SFP+ Network Connection');
    expect(idx.deviceName('8086', '1592')).toBe('Ethernet Controller E810-C for QSFP');
    expect(idx.deviceName('15b3', '101d')).toBe('MT2892 Family [ConnectX-6 Dx]');
  });

  it('keeps device lookups inside their vendor block', () => {
    const idx = pciIdsIndex(SAMPLE);
    // 1001 exists under 8088 only; it must not be found under 8086, the block before it.
    expect(idx.deviceName('8086', '1001')).toBeNull();
    expect(idx.deviceName('8088', '1001')).toBe('Ethernet Controller RP1000 for 10GbE SFP+');
    // The class section's "00  Ethernet controller" is not a device of the last vendor.
    expect(idx.deviceName('15b3', '00')).toBeNull();
    expect(idx.vendorName('abcd')).toBeNull();
    // A subsystem line ("103c 17d3") is not a vendor.
    expect(idx.vendorName('103c')).toBeNull();
  });

  it('fills gaps from the built-in table and says where names came from', () => {
    const idx = pciIdsIndex(SAMPLE);
    expect(lookupPciNames(idx, { vendorId: '8086', deviceId: '10fb' }).source).toBe('pci.ids');
    expect(lookupPciNames(idx, { vendorId: '8086', deviceId: '1889' })).toEqual({
      vendorName: 'Intel Corporation',
      deviceName: 'Ethernet Adaptive Virtual Function',
      source: 'pci.ids',
    });
    expect(lookupPciNames(null, { vendorId: '14e4', deviceId: '16d7' })).toEqual({
      vendorName: 'Broadcom Inc. and subsidiaries',
      deviceName: 'BCM57414 NetXtreme-E 10Gb/25Gb RDMA Ethernet Controller',
      source: 'builtin',
    });
    expect(builtinPciNames({ vendorId: 'abcd', deviceId: '0001' })).toEqual({
      vendorName: 'vendor abcd',
      deviceName: 'device 0001',
      source: 'unknown',
    });
  });

  it('has built-in names for the common PFs and their VFs (§8)', () => {
    for (const id of [
      '8086:10fb',
      '8086:10ed',
      '8086:1528',
      '8086:1515',
      '8086:1563',
      '8086:1565',
      '8086:1572',
      '8086:1583',
      '8086:158b',
      '8086:154c',
      '8086:1592',
      '8086:1593',
      '8086:159b',
      '8086:1889',
      '15b3:1013',
      '15b3:1014',
      '15b3:1015',
      '15b3:1016',
      '15b3:1017',
      '15b3:1018',
      '15b3:101b',
      '15b3:101c',
      '15b3:101d',
      '15b3:101e',
      '15b3:101f',
      '15b3:1021',
      '14e4:16d7',
      '14e4:16d8',
      '14e4:1750',
      '14e4:16dc',
      '14e4:1806',
      '1b36:0010',
    ]) {
      expect(BUILTIN_DEVICE_NAMES[id], id).toBeTypeOf('string');
    }
  });

  it('reads pci.ids through the seam from the distribution paths or an explicit one', async () => {
    const t = new SysfsTree();
    trees.push(t);
    const host = new TreeHost(t.root);
    expect(await loadPciIds(host)).toBeNull();
    t.write('/usr/share/hwdata/pci.ids', SAMPLE);
    expect((await loadPciIds(host))?.vendorName('8088')).toBe(
      'Beijing Wangxun Technology Co., Ltd.',
    );
    t.write('/usr/share/misc/custom.ids', '1234  Custom Vendor\n\t5678  Custom Device\n');
    const names = await resolvePciNames(
      host,
      [{ vendorId: '1234', deviceId: '5678' }],
      '/usr/share/misc/custom.ids',
    );
    expect(names.get('1234:5678')).toEqual({
      vendorName: 'Custom Vendor',
      deviceName: 'Custom Device',
      source: 'pci.ids',
    });
  });

  it('finds a device at the far end of a full-size file (its speed: npm run bench -- pci-ids)', () => {
    const idx = pciIdsIndex(fullSizePciIds());
    expect(idx.vendorName('07cf')).toBe('Vendor 1999');
    expect(idx.deviceName('07cf', '0027')).toBe('Device 1999/39 with a realistic length');
    expect(idx.deviceName('07cf', '0028')).toBeNull();
    expect(idx.deviceName('0000', '0027')).toBe('Device 0/39 with a realistic length');
  });
});
