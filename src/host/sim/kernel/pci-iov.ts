/**
 * PCI devices and SR-IOV in the simulated kernel (drivers/pci/{probe,pci-sysfs,iov}.c): a device's
 * sysfs attributes, sriov_numvfs in the kernel's check order, VF creation with its routing ID and
 * virtfn/physfn links, and VF removal (linux-sriov-abi.md §1).
 */
import { formatPci, pciParts, ZERO_MAC, type PciAddress } from '../../names.js';
import { DRIVERS, type DriverDef } from '../drivers.js';
import { kstrtobool, kstrtoint, kstrtoul } from '../kparse.js';
import type { DriverCore } from './driver-core.js';
import type { Iommu } from './iommu.js';
import type { NetCore } from './netdev.js';
import {
  fail,
  PCI_DEVICES,
  relativeLink,
  zeroCounters,
  type KernelBase,
  type SimPciDevice,
  type SimSriov,
} from './objects.js';

function hex(n: number, width: number): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

function hexUpper(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** PCI devices, their sysfs, and SR-IOV: VFs created and removed. */
export class PciIov {
  private readonly deviceLocks = new Map<string, Promise<void>>();

  constructor(
    private readonly k: KernelBase,
    private readonly driverCore: DriverCore,
    private readonly net: NetCore,
    private readonly iommu: Iommu,
  ) {}

  /** Adds a PCI device and its sysfs; binds it if `driver` is given and registered. */
  addDevice(dev: SimPciDevice, driver: string | null): void {
    this.k.devices.set(dev.address, dev);
    this.buildDeviceSysfs(dev);
    if (this.k.config.iommuEnabled) this.iommu.assignIommuGroup(dev);
    if (driver !== null) {
      const def = this.k.drivers.get(driver);
      if (def) this.driverCore.probe(def, dev);
    }
  }

  private buildDeviceSysfs(dev: SimPciDevice): void {
    const d = dev.sysDir;
    const v = this.k.vfs;
    v.mkdirp(d);
    v.link(`${PCI_DEVICES}/${dev.address}`, relativeLink(PCI_DEVICES, d));
    v.constant(`${d}/vendor`, `${hex(dev.vendorId, 4)}\n`);
    v.constant(`${d}/device`, `${hex(dev.deviceId, 4)}\n`);
    v.constant(`${d}/subsystem_vendor`, `${hex(dev.subsystemVendorId, 4)}\n`);
    v.constant(`${d}/subsystem_device`, `${hex(dev.subsystemDeviceId, 4)}\n`);
    v.constant(`${d}/class`, `${hex(dev.classCode, 6)}\n`);
    v.constant(`${d}/revision`, `${hex(dev.revision, 2)}\n`);
    const cc = dev.classCode;
    v.constant(
      `${d}/modalias`,
      `pci:v${hexUpper(dev.vendorId)}d${hexUpper(dev.deviceId)}sv${hexUpper(dev.subsystemVendorId)}sd${hexUpper(dev.subsystemDeviceId)}bc${((cc >> 16) & 0xff).toString(16).toUpperCase().padStart(2, '0')}sc${((cc >> 8) & 0xff).toString(16).toUpperCase().padStart(2, '0')}i${(cc & 0xff).toString(16).toUpperCase().padStart(2, '0')}\n`,
    );
    v.file(`${d}/numa_node`, {
      read: () => `${dev.numaNode}\n`,
      write: (val) => {
        const r = kstrtoint(val);
        if (!r.ok || r.value < -1 || r.value > 7) fail('EINVAL', `${d}/numa_node`);
        dev.numaNode = r.value;
      },
    });
    v.constant(`${d}/irq`, `${dev.pf ? 0 : 40 + (this.k.devices.size % 200)}\n`);
    v.file(`${d}/enable`, { read: () => (dev.driver ? '1\n' : '0\n') });
    v.file(`${d}/driver_override`, {
      read: () => `${dev.driverOverride ?? '(null)'}\n`,
      write: (val) => {
        if (val.length >= 4095) fail('EINVAL', `${d}/driver_override`);
        const cut = val.split('\n')[0]!.split('\0')[0]!;
        dev.driverOverride = cut.length === 0 ? null : cut;
      },
    });
    v.file(`${d}/reset_method`, { read: () => (dev.pf ? 'flr\n' : 'flr bus\n') });
    v.file(`${d}/remove`, {
      write: () => fail('EPERM', `${d}/remove`, 'hot removal is not simulated'),
    });
    if (dev.pf) {
      v.link(`${d}/physfn`, relativeLink(d, dev.pf.sysDir));
      v.file(`${d}/sriov_vf_msix_count`, {
        write: (val) => {
          const r = kstrtoint(val);
          if (!r.ok || r.value < 0) fail('EINVAL', `${d}/sriov_vf_msix_count`);
          if (dev.driver !== null) fail('EBUSY', `${d}/sriov_vf_msix_count`);
          if (dev.pf?.driver !== 'mlx5_core') fail('EOPNOTSUPP', `${d}/sriov_vf_msix_count`);
        },
      });
    }
    if (dev.sriov) this.buildSriovSysfs(dev, dev.sriov);
  }

  private buildSriovSysfs(dev: SimPciDevice, sr: SimSriov): void {
    const d = dev.sysDir;
    const v = this.k.vfs;
    v.file(`${d}/sriov_totalvfs`, { read: () => `${sr.driverMaxVfs ?? sr.capTotalVfs}\n` });
    v.file(`${d}/sriov_numvfs`, {
      read: () => `${sr.numVfs}\n`,
      write: (val) => this.writeNumVfs(dev, sr, val),
    });
    v.file(`${d}/sriov_offset`, { read: () => `${sr.offset}\n` });
    v.file(`${d}/sriov_stride`, { read: () => `${sr.stride}\n` });
    v.file(`${d}/sriov_vf_device`, { read: () => `${sr.vfDeviceId.toString(16)}\n` });
    v.file(`${d}/sriov_vf_total_msix`, {
      read: () => (dev.driver === 'mlx5_core' ? `${sr.capTotalVfs * 8}\n` : '0\n'),
    });
    v.file(`${d}/sriov_drivers_autoprobe`, {
      read: () => (sr.autoprobe ? '1\n' : '0\n'),
      write: (val) => {
        const b = kstrtobool(val);
        if (b === null) fail('EINVAL', `${d}/sriov_drivers_autoprobe`);
        sr.autoprobe = b;
      },
    });
  }

  /** sriov_numvfs_store(), check for check in the kernel's order (abi §1.3). */
  private async writeNumVfs(dev: SimPciDevice, sr: SimSriov, val: string): Promise<void> {
    const target = `${dev.sysDir}/sriov_numvfs`;
    const parsed = kstrtoul(val, 65535);
    if (!parsed.ok) fail('EINVAL', target);
    const n = parsed.value;
    if (n > (sr.driverMaxVfs ?? sr.capTotalVfs)) fail('ERANGE', target);
    // Everything after the range check runs under device_lock: a second writer waits.
    await this.withDeviceLock(dev, async () => {
      if (n === sr.numVfs) return;
      const def = dev.driver ? this.k.drivers.get(dev.driver) : undefined;
      if (!def) fail('ENOENT', target, 'no driver bound to device; cannot configure SR-IOV');
      if (!def.sriovConfigure)
        fail('ENOENT', target, 'driver does not support SR-IOV configuration via sysfs');
      const ctx = {
        requested: n,
        capTotalVfs: sr.capTotalVfs,
        resourceLimit: sr.resourceLimit,
        netdevUp: dev.netdev?.adminUp ?? true,
        vfsAssigned: sr.vfs.some((vf) => vf.assigned),
        vfioEnableSriov: this.k.config.vfioEnableSriov,
      };
      if (n === 0) {
        const r = def.sriovConfigure(ctx);
        if (typeof r === 'string') fail(r, target);
        if (r !== 0 || ctx.vfsAssigned) return; // bnxt keeps assigned VFs and reports success.
        // sriov_disable: the VFs go first, then VF Enable is cleared and the kernel sleeps 1 s.
        const count = sr.numVfs;
        this.removeVfDevices(dev);
        await this.k.config.timing.sleep(1000 + count * 5);
        sr.numVfs = 0;
        return;
      }
      if (sr.numVfs !== 0)
        fail('EBUSY', target, `${sr.numVfs} VFs already enabled. Disable before enabling ${n} VFs`);
      const r = def.sriovConfigure(ctx);
      if (typeof r === 'string') fail(r, target);
      if (r === 0) return; // bnxt with the interface down: success, nothing enabled.
      await this.k.config.timing.sleep(100);
      await this.createVfs(dev, sr, r, def);
    });
  }

  /** Serialises work on one device, as the kernel's device_lock does. */
  private async withDeviceLock(dev: SimPciDevice, work: () => Promise<void>): Promise<void> {
    const previous = this.deviceLocks.get(dev.address) ?? Promise.resolve();
    let release!: () => void;
    const mine = previous.then(() => new Promise<void>((r) => (release = r)));
    this.deviceLocks.set(dev.address, mine);
    await previous;
    try {
      await work();
    } finally {
      release();
      if (this.deviceLocks.get(dev.address) === mine) this.deviceLocks.delete(dev.address);
    }
  }

  /** The VF's routing ID and address: RID = PF RID + offset + stride * i (abi §1.4). */
  vfAddress(pf: SimPciDevice, sr: SimSriov, i: number): PciAddress {
    const p = pciParts(pf.address);
    const rid = ((p.bus << 8) | (p.dev << 3) | p.fn) + sr.offset + sr.stride * i;
    return formatPci(p.domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
  }

  private async createVfs(
    pf: SimPciDevice,
    sr: SimSriov,
    n: number,
    def: DriverDef,
  ): Promise<void> {
    const parent = pf.sysDir.split('/').slice(0, -1).join('/');
    const now = this.k.config.clock();
    const resetMs = this.k.config.timing.scaled(def.vfResetMs ?? 0);
    const ops = def.vfOps;
    const created: SimPciDevice[] = [];
    for (let i = 0; i < n; i++) {
      const address = this.vfAddress(pf, sr, i);
      const vf: SimPciDevice = {
        address,
        vendorId: pf.vendorId,
        deviceId: sr.vfDeviceId,
        subsystemVendorId: pf.subsystemVendorId,
        subsystemDeviceId: pf.subsystemDeviceId,
        classCode: pf.classCode,
        revision: pf.revision,
        sysDir: `${parent}/${address}`,
        numaNode: pf.numaNode,
        iommuGroup: null,
        driver: null,
        driverOverride: null,
        model: pf.model,
        pf,
        vfIndex: i,
        sriov: null,
        netdev: null,
        board: pf.board,
        assigned: false,
        sharedGroup: pf.sharedGroup,
        netdevName: `${pf.netdevBase}v${i}`,
        netdevBase: `${pf.netdevBase}v${i}`,
      };
      // Hardware drivers reset VF state when SR-IOV is enabled (MAC zero, no VLAN, no rate).
      sr.vfState[i] = {
        mac: ZERO_MAC,
        vlan: 0,
        qos: 0,
        vlanProto: '802.1Q',
        minTxRate: 0,
        maxTxRate: 0,
        spoofchk: ops?.defaults.spoofchk ?? null,
        trust: ops?.defaults.trust ?? null,
        queryRss: ops?.defaults.queryRss ?? null,
        linkState: 'auto',
        // No reset window at all when timing is off, whatever the clock says later.
        readyAt: resetMs > 0 ? now + resetMs : -Infinity,
        counters: zeroCounters(),
        traffic: null,
        trafficSince: now,
      };
      // pci_iov_add_virtfn: device added, links created, then the driver probes.
      this.k.devices.set(address, vf);
      this.buildDeviceSysfs(vf);
      if (this.k.config.iommuEnabled) this.iommu.assignIommuGroup(vf);
      this.k.vfs.link(`${pf.sysDir}/virtfn${i}`, relativeLink(pf.sysDir, vf.sysDir));
      sr.vfs[i] = vf;
      created.push(vf);
    }
    sr.vfs.length = n;
    for (const vf of created) {
      if (this.driverCore.canAutoprobe(vf)) this.driverCore.deviceAttach(vf);
      const probeMs = vf.driver ? (DRIVERS[vf.driver]?.vfProbeMs ?? def.vfProbeMs ?? 10) : 2;
      await this.k.config.timing.sleep(probeMs);
    }
    sr.numVfs = n;
    if (pf.board.eswitchMode === 'switchdev') this.net.createRepresentors(pf, sr);
  }

  /** Removes every VF device and its links; num_VFs is the caller's to clear. */
  removeVfDevices(pf: SimPciDevice): void {
    const sr = pf.sriov;
    if (!sr) return;
    this.net.removeRepresentors(pf);
    for (const vf of sr.vfs) {
      this.k.vfs.remove(`${pf.sysDir}/virtfn${vf.vfIndex}`);
      this.k.vfs.remove(`${vf.sysDir}/physfn`);
      this.driverCore.detach(vf);
      this.iommu.removeIommuGroup(vf);
      this.k.vfs.remove(vf.sysDir);
      this.k.vfs.remove(`${PCI_DEVICES}/${vf.address}`);
      this.k.devices.delete(vf.address);
    }
    sr.vfs = [];
    sr.vfState = [];
  }
}
