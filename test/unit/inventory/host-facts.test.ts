import { afterEach, describe, expect, it } from 'vitest';
import type { IfName } from '../../../src/host/names.js';
import { cpuVirtualizationFrom, gatherHostFacts } from '../../../src/inventory/host-facts.js';
import type { DiscoveryIssue } from '../../../src/inventory/types.js';
import { SysfsTree } from './support/sysfs-tree.js';
import { TreeHost } from './support/tree-host.js';

const trees: SysfsTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});
function tree(): SysfsTree {
  const t = new SysfsTree();
  trees.push(t);
  return t;
}

describe('gatherHostFacts', () => {
  it('reads kernel, CPU and Intel IOMMU facts, with interrupt remapping from ecap bit 3', async () => {
    const t = tree()
      .intelHost({ ecap: 'f050da' })
      .iommuGroup(0, 'identity')
      .iommuGroup(1, 'identity');
    const facts = await gatherHostFacts(
      new TreeHost(t.root, { defaultRoutes: [{ family: 'inet', dev: 'eno1' as IfName }] }),
    );
    expect(facts).toMatchObject({
      hostname: 'node1',
      kernelRelease: '6.1.0-18-amd64',
      cpuVirtualization: 'vmx',
      cpuVendor: 'GenuineIntel',
      iommu: {
        acpiTable: 'DMAR',
        units: ['dmar0', 'dmar1'],
        groupCount: 2,
        defaultDomainType: 'identity',
        interruptRemapping: true,
      },
      defaultRouteIfnames: ['eno1'],
    });
    expect(facts.kernelCmdline).toContain('intel_iommu=on');
  });

  it('reports no interrupt remapping when a unit lacks the IR capability or the cmdline turns it off', async () => {
    const noIr = tree().intelHost({ ecap: 'f050d2' });
    expect((await gatherHostFacts(new TreeHost(noIr.root))).iommu.interruptRemapping).toBe(false);
    const off = tree()
      .intelHost()
      .write('/proc/cmdline', 'root=/dev/sda1 intel_iommu=on intremap=off\n');
    expect((await gatherHostFacts(new TreeHost(off.root))).iommu.interruptRemapping).toBe(false);
  });

  it('assumes remapping on AMD when ivhd units exist, and knows nothing without units', async () => {
    const amd = tree()
      .write('/proc/cpuinfo', 'vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm\n')
      .write('/sys/firmware/acpi/tables/IVRS', 'bin')
      .mkdir('/sys/class/iommu/ivhd0/amd-iommu');
    const facts = await gatherHostFacts(new TreeHost(amd.root));
    expect(facts).toMatchObject({
      cpuVirtualization: 'svm',
      cpuVendor: 'AuthenticAMD',
      iommu: { acpiTable: 'IVRS', interruptRemapping: true },
    });

    const bare = tree().write('/proc/cpuinfo', 'vendor_id\t: GenuineIntel\nflags\t\t: fpu\n');
    const none = await gatherHostFacts(new TreeHost(bare.root));
    expect(none.cpuVirtualization).toBeNull();
    expect(none.iommu).toEqual({
      acpiTable: null,
      units: [],
      groupCount: 0,
      defaultDomainType: null,
      interruptRemapping: null,
    });
  });

  it('finds vfio-pci loaded, loadable from modules.dep, or absent, with evidence', async () => {
    const loaded = tree().intelHost().driver('vfio-pci');
    expect((await gatherHostFacts(new TreeHost(loaded.root))).vfioPci).toEqual({
      loaded: true,
      available: true,
      evidence: '/sys/bus/pci/drivers/vfio-pci',
    });
    const loadable = tree()
      .intelHost()
      .write(
        '/lib/modules/6.1.0-18-amd64/modules.dep',
        'kernel/drivers/vfio/vfio.ko.xz: kernel/drivers/vfio/vfio_iommu_type1.ko.xz\nkernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz\n',
      );
    expect((await gatherHostFacts(new TreeHost(loadable.root))).vfioPci).toEqual({
      loaded: false,
      available: true,
      evidence: '/lib/modules/6.1.0-18-amd64/modules.dep',
    });
    const absent = tree()
      .intelHost()
      .write(
        '/lib/modules/6.1.0-18-amd64/modules.dep',
        'kernel/drivers/vfio/pci/vfio-pci-core.ko.xz:\n',
      );
    expect((await gatherHostFacts(new TreeHost(absent.root))).vfioPci).toMatchObject({
      loaded: false,
      available: false,
    });
  });

  it('turns unreadable and malformed files into issues naming them', async () => {
    const t = tree().intelHost({ ecap: 'nothex' });
    t.unlink('/proc/sys/kernel/hostname');
    const issues: DiscoveryIssue[] = [];
    const facts = await gatherHostFacts(new TreeHost(t.root), { issues });
    expect(facts.hostname).toBe('');
    expect(facts.iommu.interruptRemapping).toBeNull();
    expect(issues.map((i) => [i.code, i.path])).toEqual(
      expect.arrayContaining([
        ['missing-entry', '/proc/sys/kernel/hostname'],
        ['malformed-value', '/sys/class/iommu/dmar0/intel-iommu/ecap'],
      ]),
    );
  });

  it('reads CPU virtualization from the flags line', () => {
    expect(cpuVirtualizationFrom('flags\t: fpu vmx sse\n')).toBe('vmx');
    expect(cpuVirtualizationFrom('flags\t: fpu svm\n')).toBe('svm');
    expect(cpuVirtualizationFrom('flags\t: fpu vmxnet\n')).toBeNull();
  });
});
