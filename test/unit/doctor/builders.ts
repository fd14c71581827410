/**
 * Builders for realistic inventory snapshots: a dual-socket Intel host with VT-d on and an E810-C
 * two-port card, which each test bends into the situation it pins down.
 */
import type { HostFacts, Inventory, PfSnapshot, VfSnapshot } from '../../../src/inventory/types.js';
import {
  formatPci,
  pciAddress,
  pciParts,
  ZERO_MAC,
  type PciAddress,
} from '../../../src/host/names.js';
import { mbps, vlanId } from '../../../src/host/vf-settings.js';

type DeepPartialHost = Partial<Omit<HostFacts, 'iommu' | 'vfioPci'>> & {
  iommu?: Partial<HostFacts['iommu']>;
  vfioPci?: Partial<HostFacts['vfioPci']>;
};

/** A healthy Intel host: DMAR, 2 VT-d units, 180 groups, intel_iommu=on iommu=pt, vfio-pci loaded. */
export function hostFacts(over: DeepPartialHost = {}): HostFacts {
  const { iommu, vfioPci, ...rest } = over;
  return {
    description: { kind: 'sim', name: 'r740-lab-07' },
    hostname: 'r740-lab-07',
    kernelRelease: '6.1.0-18-amd64',
    kernelCmdline:
      'BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=6f1c ro quiet intel_iommu=on iommu=pt',
    cpuVirtualization: 'vmx',
    cpuVendor: 'GenuineIntel',
    defaultRouteIfnames: ['eno1'],
    ...rest,
    iommu: {
      acpiTable: 'DMAR',
      units: ['dmar0', 'dmar1'],
      groupCount: 180,
      defaultDomainType: 'identity',
      interruptRemapping: true,
      ...iommu,
    },
    vfioPci: {
      loaded: true,
      available: true,
      evidence: '/sys/bus/pci/drivers/vfio-pci: present',
      ...vfioPci,
    },
  };
}

/** VFs of a PF with offset/stride addressing and one IOMMU group each, settings at driver defaults. */
export function vfs(
  pf: PciAddress,
  count: number,
  opts: { offset?: number; stride?: number; firstGroup?: number } = {},
): VfSnapshot[] {
  const { domain, bus, dev, fn } = pciParts(pf);
  const rid = (bus << 8) | (dev << 3) | fn;
  const offset = opts.offset ?? 8;
  const stride = opts.stride ?? 1;
  return Array.from({ length: count }, (_, i) => {
    const r = rid + offset + stride * i;
    return {
      vfIndex: i,
      pciAddress: formatPci(domain, r >> 8, (r >> 3) & 0x1f, r & 7),
      deviceId: '1889',
      driver: 'iavf',
      driverOverride: null,
      netdev: `ens1f0v${i}`,
      iommuGroup: (opts.firstGroup ?? 100) + i,
      numaNode: 0,
      config: {
        mac: ZERO_MAC,
        vlan: vlanId(0),
        qos: 0,
        vlanProto: '802.1Q',
        minTxRate: mbps(0),
        maxTxRate: mbps(0),
        spoofchk: true,
        trust: false,
        linkState: 'auto',
        counters: null,
      },
    };
  });
}

/** An Intel E810-C QSFP port (ice), up at 100G, no VFs, nobody else managing it. */
export function e810(addr: string, netdev: string, over: Partial<PfSnapshot> = {}): PfSnapshot {
  return {
    pciAddress: pciAddress(addr),
    vendorId: '8086',
    deviceId: '1592',
    subsystemVendorId: '8086',
    subsystemDeviceId: '0002',
    vendorName: 'Intel Corporation',
    deviceName: 'Ethernet Controller E810-C for QSFP',
    vfDeviceId: '1889',
    driver: 'ice',
    sriovConfigurable: true,
    driverVersion: '6.1.0-18-amd64',
    firmware: { version: '4.20 0x80017785 1.3346.0', running: {}, stored: {}, source: 'devlink' },
    netdev,
    mac: 'b4:96:91:a5:30:10',
    mtu: 1500,
    adminUp: true,
    linkUp: true,
    speedMbps: 100000,
    numaNode: 0,
    iommuGroup: 40,
    totalVfs: 128,
    numVfs: 0,
    vfOffset: 8,
    vfStride: 1,
    driversAutoprobe: true,
    eswitchMode: 'legacy',
    carriesDefaultRoute: false,
    managedBy: [],
    vfListTruncated: false,
    unreadableVfs: [],
    vfs: [],
    ...over,
  };
}

/** A ConnectX-6 Dx port (mlx5_core) whose firmware allows 16 VFs. */
export function cx6(addr: string, netdev: string, over: Partial<PfSnapshot> = {}): PfSnapshot {
  return e810(addr, netdev, {
    vendorId: '15b3',
    deviceId: '101d',
    subsystemVendorId: '15b3',
    subsystemDeviceId: '0016',
    vendorName: 'Mellanox Technologies',
    deviceName: 'MT2892 Family [ConnectX-6 Dx]',
    vfDeviceId: '101e',
    driver: 'mlx5_core',
    firmware: {
      version: '22.36.1010',
      running: { fw: '22.36.1010' },
      stored: {},
      source: 'devlink',
    },
    speedMbps: 25000,
    numaNode: 1,
    iommuGroup: 80,
    totalVfs: 16,
    vfOffset: 2,
    ...over,
  });
}

/** An inventory with the given host facts and PFs. */
export function inventory(pfs: PfSnapshot[], host: DeepPartialHost = {}): Inventory {
  return { takenAt: '2024-05-02T10:00:00.000Z', host: hostFacts(host), pfs, issues: [] };
}
