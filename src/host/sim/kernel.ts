/**
 * The simulated Linux 6.1 kernel: PCI devices with SR-IOV capabilities, the driver core (match,
 * probe, bind, unbind, driver_override, new_id), sriov_numvfs in the kernel's check order, IOMMU
 * groups, netdevs and per-VF state. Its sysfs is a Vfs tree kept in step with the model, so code that
 * reads /sys sees what it would see on a real host (linux-sriov-abi.md §1-§3, §9).
 */
import { KernelError, type ErrnoName } from '../errors.js';
import type { EswitchMode, VfCounters, VfLinkState, VlanProto } from '../host.js';
import { formatPci, pciParts, ZERO_MAC, type MacAddress, type PciAddress } from '../names.js';
import { DRIVERS, type DriverDef } from './drivers.js';
import { kstrtobool, kstrtoint, kstrtoul } from './kparse.js';
import type { DeviceModel } from './models.js';
import type { NetdevsimBus, NsimPortRef } from './netdevsim.js';
import type { Timing } from './timing.js';
import { Vfs } from './vfs.js';

/** Per-VF state the PF driver keeps (what netlink reports and sets). */
export interface VfState {
  mac: MacAddress;
  vlan: number;
  qos: number;
  vlanProto: VlanProto;
  minTxRate: number;
  maxTxRate: number;
  spoofchk: boolean | null;
  trust: boolean | null;
  queryRss: boolean | null;
  linkState: VfLinkState;
  /** When the driver finishes resetting this VF (i40e answers EAGAIN until then); -Infinity: never. */
  readyAt: number;
  counters: VfCounters;
  /** Simulated traffic: counters grow at these rates from `trafficSince`. */
  traffic: TrafficRates | null;
  trafficSince: number;
}

/** Traffic applied to a VF, per second. */
export interface TrafficRates {
  rxBytesPerSec: number;
  txBytesPerSec: number;
  rxPacketsPerSec: number;
  txPacketsPerSec: number;
  rxDroppedPerSec: number;
  txDroppedPerSec: number;
}

export interface SimNetdev {
  ifindex: number;
  name: string;
  mac: MacAddress;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  adminUp: boolean;
  /** Physical carrier (the cable), independent of admin state. */
  carrier: boolean;
  speedMbps: number;
  device: SimPciDevice | null;
  /** 'rep' netdevs are switchdev representors of a PF's VFs. */
  role: 'pf' | 'vf' | 'rep' | 'other';
  repOf?: { pf: SimPciDevice; vf: number };
  /** The netdevsim port behind this netdev (a PF port or a VF representor). */
  nsim?: NsimPortRef;
  sysDir: string;
}

export interface SimSriov {
  capTotalVfs: number;
  driverMaxVfs: number | null;
  numVfs: number;
  offset: number;
  stride: number;
  vfDeviceId: number;
  autoprobe: boolean;
  resourceLimit: number | null;
  vfs: SimPciDevice[];
  vfState: VfState[];
}

/** Per-board facts that the fixture sets and the drivers report. */
export interface BoardInfo {
  firmware: string;
  serial: string;
  speedMbps: number;
  doubleVlanMode: boolean;
  eswitchMode: EswitchMode;
  linkUp: boolean;
  /** The PF's permanent MAC address. */
  mac: MacAddress;
}

export interface SimPciDevice {
  address: PciAddress;
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number;
  subsystemDeviceId: number;
  classCode: number;
  revision: number;
  /** /sys/devices/... directory. */
  sysDir: string;
  numaNode: number;
  iommuGroup: number | null;
  driver: string | null;
  driverOverride: string | null;
  model: DeviceModel;
  pf: SimPciDevice | null;
  vfIndex: number;
  sriov: SimSriov | null;
  netdev: SimNetdev | null;
  board: BoardInfo;
  /** A VM holds the VF open through vfio (pci_vfs_assigned). */
  assigned: boolean;
  /** Share the PF's IOMMU group (no ACS upstream). */
  sharedGroup: boolean;
  /** The netdev name udev gives this device (`ens1f0`, `ens1f0v3`). */
  netdevName: string;
  /** The systemd path name VF netdevs are derived from (`enp94s0f0` for `enp94s0f0np0`). */
  netdevBase: string;
}

export interface KernelConfig {
  iommuEnabled: boolean;
  iommuUnits: string[];
  iommuDefaultDomain: string;
  vfioEnableSriov: boolean;
  vfDriversLoaded: boolean;
  timing: Timing;
  clock: () => number;
}

const PCI_DEVICES = '/sys/bus/pci/devices';
const PCI_DRIVERS = '/sys/bus/pci/drivers';

/** Relative symlink target from a directory to an absolute path, as sysfs writes them. */
export function relativeLink(fromDir: string, to: string): string {
  const a = fromDir.split('/').filter(Boolean);
  const b = to.split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  // kernfs_get_target_path() climbs to a strict ancestor of the target, so a link to an ancestor
  // (a netdev's `device`) reads ../../../0000:3b:00.0, not ../..
  if (i === b.length && i > 0) i--;
  return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
}

function hex(n: number, width: number): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

function hexUpper(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function fail(errno: ErrnoName, target: string, detail?: string): never {
  throw new KernelError(errno, 'write', target, detail);
}

/** Counters of a VF nothing has been sent through. */
export function zeroCounters(): VfCounters {
  return {
    rxBytes: 0,
    rxPackets: 0,
    rxMulticast: 0,
    rxBroadcast: 0,
    rxDropped: 0,
    txBytes: 0,
    txPackets: 0,
    txDropped: 0,
  };
}

/** A deterministic locally administered MAC for netdevs whose driver picks a random one. */
function pseudoRandomMac(seed: number): MacAddress {
  const b = [
    0x02 | ((seed * 7) & 0xfc),
    (seed >> 24) & 0xff,
    (seed >> 16) & 0xff,
    (seed >> 8) & 0xff,
    seed & 0xff,
    0x5a,
  ];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':') as MacAddress;
}

export class SimKernel {
  readonly vfs = new Vfs();
  readonly devices = new Map<string, SimPciDevice>();
  readonly netdevs = new Map<string, SimNetdev>();
  /** Drivers registered with the PCI bus (loaded modules). */
  readonly drivers = new Map<string, DriverDef>();
  /** new_id dynamic IDs per driver. */
  readonly dynIds = new Map<string, { vendor: number; device: number }[]>();
  private nextIfindex = 1;
  /** IOMMU group number → devices in it. */
  private readonly groupUsers = new Map<number, number>();
  private lowestFreeGroup = 0;
  private macSeed = 0x10000;
  private readonly deviceLocks = new Map<string, Promise<void>>();
  /** The netdevsim bus, once the module is loaded (`modprobe netdevsim`). */
  netdevsim: NetdevsimBus | null = null;

  constructor(readonly config: KernelConfig) {
    this.vfs.mkdirp(PCI_DEVICES);
    this.vfs.mkdirp(PCI_DRIVERS);
    this.vfs.mkdirp('/sys/class/net');
    this.vfs.mkdirp('/sys/kernel/iommu_groups');
    this.vfs.mkdirp('/sys/class/iommu');
    this.vfs.file('/sys/bus/pci/drivers_probe', { write: (v) => this.driversProbe(v) });
    this.vfs.file('/sys/bus/pci/drivers_autoprobe', { read: () => '1\n' });
    this.vfs.file('/sys/bus/pci/rescan', { write: () => undefined });
    this.addNetdev({
      name: 'lo',
      mac: ZERO_MAC,
      mtu: 65536,
      device: null,
      role: 'other',
      carrier: true,
      speedMbps: 0,
    });
  }

  /** Stops pending asynchronous work (late netdev registration) so a test can end cleanly. */
  dispose(): void {
    this.config.timing.dispose();
  }

  /**
   * Runs `work` after a scaled delay (asynchronous probes), at once when timing is off. `label`
   * names the work the same way every time the same calls schedule it (a journaled host replays
   * it by name).
   */
  schedule(ms: number, label: string, work: () => void): void {
    this.config.timing.defer(ms, label, work);
  }

  /** Whether a freshly created VF is still being reset by its driver (i40e answers EAGAIN). */
  vfInReset(st: VfState): boolean {
    return this.config.timing.within(st.readyAt, this.config.clock());
  }

  /** A locally administered unicast MAC, as eth_hw_addr_random() gives (deterministic here). */
  randomMac(): MacAddress {
    return pseudoRandomMac(this.macSeed++);
  }

  /** The name dev_alloc_name() gives an `eth%d` netdev: the lowest unused number. */
  allocEthName(): string {
    let n = 0;
    while (this.netdevs.has(`eth${n}`)) n++;
    return `eth${n}`;
  }

  // ---------------------------------------------------------------- drivers

  /** Registers a driver (as modprobe would) and creates its /sys/bus/pci/drivers directory. */
  registerDriver(name: string): void {
    const def = DRIVERS[name];
    if (!def) throw new Error(`sim: no driver model named ${name}`);
    if (this.drivers.has(name)) return;
    this.drivers.set(name, def);
    const dir = `${PCI_DRIVERS}/${name}`;
    this.vfs.mkdirp(dir);
    this.vfs.file(`${dir}/bind`, { write: (v) => this.bindFile(def, v) });
    this.vfs.file(`${dir}/unbind`, { write: (v) => this.unbindFile(def, v) });
    this.vfs.file(`${dir}/new_id`, { write: (v) => this.newId(def, v) });
    this.vfs.file(`${dir}/remove_id`, { write: (v) => this.removeId(def, v) });
    this.vfs.file(`${dir}/uevent`, { read: () => '', write: () => undefined });
    this.vfs.link(`${dir}/module`, relativeLink(dir, `/sys/module/${def.module}`));
    this.vfs.mkdirp(`/sys/module/${def.module}/drivers`);
    if (def.version) this.vfs.constant(`/sys/module/${def.module}/version`, `${def.version}\n`);
    if (name === 'vfio-pci') {
      this.vfs.file('/sys/module/vfio_pci/parameters/enable_sriov', {
        read: () => (this.config.vfioEnableSriov ? 'Y\n' : 'N\n'),
      });
      this.vfs.mkdirp('/dev/vfio');
      this.vfs.constant('/dev/vfio/vfio', '');
    }
  }

  /** pci_match_device(): driver_override first, then dynamic IDs, then the static table. */
  private matches(def: DriverDef, dev: SimPciDevice): boolean {
    if (dev.driverOverride !== null) return dev.driverOverride === def.name;
    const same = (id: { vendor: number; device: number }) =>
      id.vendor === dev.vendorId && id.device === dev.deviceId;
    if ((this.dynIds.get(def.name) ?? []).some(same)) return true;
    // Override-only tables (vfio-pci) match nothing without driver_override.
    if (def.overrideOnly) return false;
    if (def.ids.some(same)) return true;
    return def.classMatch !== undefined && def.classMatch === dev.classCode;
  }

  /** pci_device_can_probe(): VFs of a PF with autoprobe off stay unbound unless overridden. */
  private canAutoprobe(dev: SimPciDevice): boolean {
    return !dev.pf || (dev.pf.sriov?.autoprobe ?? true) || dev.driverOverride !== null;
  }

  /** really_probe(): the driver's probe; an errno when it refuses. */
  private probe(def: DriverDef, dev: SimPciDevice): ErrnoName | null {
    if (def.refusesPfWithVfs && dev.sriov && dev.sriov.numVfs > 0) return 'EBUSY';
    if (def.needsIommuGroup && dev.iommuGroup === null) return 'EINVAL';
    this.attach(def, dev);
    return null;
  }

  private attach(def: DriverDef, dev: SimPciDevice): void {
    dev.driver = def.name;
    const drvDir = `${PCI_DRIVERS}/${def.name}`;
    this.vfs.link(`${dev.sysDir}/driver`, relativeLink(dev.sysDir, drvDir));
    this.vfs.link(`${drvDir}/${dev.address}`, relativeLink(drvDir, dev.sysDir));
    if (dev.sriov && def.driverMaxVfs !== undefined) {
      dev.sriov.driverMaxVfs = Math.min(def.driverMaxVfs, dev.sriov.capTotalVfs);
    }
    if (def.name === 'vfio-pci' && dev.iommuGroup !== null) {
      this.vfs.constant(`/dev/vfio/${dev.iommuGroup}`, '');
    }
    if (def.netdev && dev.model.netdev) this.registerDeviceNetdev(dev);
    const failsAfter = dev.pf?.model.vfProbeFailsAfterMs;
    if (failsAfter !== undefined && def.name === dev.pf?.model.vfDriver)
      this.failProbeLater(dev, def, failsAfter);
  }

  /** The driver's asynchronous init fails and it releases the device (device_release_driver). */
  private failProbeLater(dev: SimPciDevice, def: DriverDef, ms: number): void {
    this.schedule(ms, `${def.name} releases ${dev.address}`, () => {
      if (dev.driver === def.name && this.devices.get(dev.address) === dev) this.detach(dev);
    });
  }

  private detach(dev: SimPciDevice): void {
    const name = dev.driver;
    if (!name) return;
    const def = this.drivers.get(name);
    // A PF driver's remove() disables SR-IOV first (pci_disable_sriov in ixgbe/i40e/ice/mlx5 remove).
    if (dev.sriov && dev.sriov.numVfs > 0 && def?.sriovConfigure) {
      this.removeVfDevices(dev);
      dev.sriov.numVfs = 0;
    }
    if (dev.netdev) this.unregisterNetdev(dev.netdev);
    dev.driver = null;
    this.vfs.remove(`${dev.sysDir}/driver`);
    this.vfs.remove(`${PCI_DRIVERS}/${name}/${dev.address}`);
    if (dev.sriov) dev.sriov.driverMaxVfs = null;
    if (name === 'vfio-pci' && dev.iommuGroup !== null) {
      const stillHeld = [...this.devices.values()].some(
        (d) => d !== dev && d.iommuGroup === dev.iommuGroup && d.driver === 'vfio-pci',
      );
      if (!stillHeld) this.vfs.remove(`/dev/vfio/${dev.iommuGroup}`);
    }
  }

  /** device_attach(): try every registered driver in registration order. */
  private deviceAttach(dev: SimPciDevice): void {
    if (dev.driver !== null) return;
    for (const def of this.drivers.values()) {
      if (this.matches(def, dev) && this.probe(def, dev) === null) return;
    }
  }

  private lookupDevice(value: string, target: string): SimPciDevice {
    const addr = (value.endsWith('\n') ? value.slice(0, -1) : value).trim();
    const dev = this.devices.get(addr);
    if (!dev) fail('ENODEV', target);
    return dev;
  }

  private bindFile(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/bind`;
    const dev = this.lookupDevice(value, target);
    if (!this.matches(def, dev)) fail('ENODEV', target);
    if (dev.driver !== null) fail('EBUSY', target);
    const errno = this.probe(def, dev);
    if (errno) fail(errno, target);
  }

  private unbindFile(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/unbind`;
    const dev = this.lookupDevice(value, target);
    if (dev.driver !== def.name) fail('ENODEV', target);
    this.detach(dev);
  }

  private driversProbe(value: string): void {
    const dev = this.lookupDevice(value, '/sys/bus/pci/drivers_probe');
    // Succeeds even when nothing binds; callers must check the driver link.
    if (dev.driver === null) this.deviceAttach(dev);
  }

  private newId(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/new_id`;
    const fields = value.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2 || !fields.every((f) => /^(0x)?[0-9a-fA-F]+$/.test(f)))
      fail('EINVAL', target);
    const vendor = parseInt(fields[0]!, 16);
    const device = parseInt(fields[1]!, 16);
    if (fields.length < 7 && def.ids.some((id) => id.vendor === vendor && id.device === device)) {
      fail('EEXIST', target);
    }
    const dyn = this.dynIds.get(def.name) ?? [];
    if (dyn.some((id) => id.vendor === vendor && id.device === device)) fail('EEXIST', target);
    dyn.push({ vendor, device });
    this.dynIds.set(def.name, dyn);
    // driver_attach(): every unbound device the driver now matches is probed.
    for (const dev of this.devices.values()) {
      if (dev.driver === null && this.canAutoprobe(dev) && this.matches(def, dev))
        this.probe(def, dev);
    }
  }

  private removeId(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/remove_id`;
    const fields = value.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) fail('EINVAL', target);
    const vendor = parseInt(fields[0]!, 16);
    const device = parseInt(fields[1]!, 16);
    const dyn = this.dynIds.get(def.name) ?? [];
    const i = dyn.findIndex((id) => id.vendor === vendor && id.device === device);
    if (i < 0) fail('ENODEV', target);
    dyn.splice(i, 1);
  }

  // ---------------------------------------------------------------- devices

  /** Adds a PCI device and its sysfs; binds it if `driver` is given and registered. */
  addDevice(dev: SimPciDevice, driver: string | null): void {
    this.devices.set(dev.address, dev);
    this.buildDeviceSysfs(dev);
    if (this.config.iommuEnabled) this.assignIommuGroup(dev);
    if (driver !== null) {
      const def = this.drivers.get(driver);
      if (def) this.probe(def, dev);
    }
  }

  private buildDeviceSysfs(dev: SimPciDevice): void {
    const d = dev.sysDir;
    const v = this.vfs;
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
    v.constant(`${d}/irq`, `${dev.pf ? 0 : 40 + (this.devices.size % 200)}\n`);
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
    const v = this.vfs;
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

  private assignIommuGroup(dev: SimPciDevice): void {
    let group: number;
    if (dev.sharedGroup && dev.pf?.iommuGroup != null) {
      group = dev.pf.iommuGroup;
    } else {
      // The kernel's IDA hands out the lowest free group number.
      group = this.lowestFreeGroup;
      while (this.groupUsers.has(group)) group++;
    }
    dev.iommuGroup = group;
    this.groupUsers.set(group, (this.groupUsers.get(group) ?? 0) + 1);
    if (group === this.lowestFreeGroup) this.lowestFreeGroup = group + 1;
    const gdir = `/sys/kernel/iommu_groups/${group}`;
    this.vfs.mkdirp(`${gdir}/devices`);
    this.vfs.file(`${gdir}/type`, { read: () => `${this.config.iommuDefaultDomain}\n` });
    this.vfs.constant(`${gdir}/reserved_regions`, '0x00000000fee00000 0x00000000feefffff msi\n');
    this.vfs.link(`${gdir}/devices/${dev.address}`, relativeLink(`${gdir}/devices`, dev.sysDir));
    this.vfs.link(`${dev.sysDir}/iommu_group`, relativeLink(dev.sysDir, gdir));
    const unit =
      this.config.iommuUnits[dev.numaNode > 0 ? dev.numaNode % this.config.iommuUnits.length : 0];
    if (unit)
      this.vfs.link(
        `${dev.sysDir}/iommu`,
        relativeLink(dev.sysDir, `/sys/devices/virtual/iommu/${unit}`),
      );
  }

  private removeIommuGroup(dev: SimPciDevice): void {
    if (dev.iommuGroup === null) return;
    const gdir = `/sys/kernel/iommu_groups/${dev.iommuGroup}`;
    this.vfs.remove(`${gdir}/devices/${dev.address}`);
    const users = (this.groupUsers.get(dev.iommuGroup) ?? 1) - 1;
    if (users > 0) this.groupUsers.set(dev.iommuGroup, users);
    else {
      this.groupUsers.delete(dev.iommuGroup);
      this.vfs.remove(gdir);
      this.lowestFreeGroup = Math.min(this.lowestFreeGroup, dev.iommuGroup);
    }
    dev.iommuGroup = null;
  }

  // ---------------------------------------------------------------- SR-IOV

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
      const def = dev.driver ? this.drivers.get(dev.driver) : undefined;
      if (!def) fail('ENOENT', target, 'no driver bound to device; cannot configure SR-IOV');
      if (!def.sriovConfigure)
        fail('ENOENT', target, 'driver does not support SR-IOV configuration via sysfs');
      const ctx = {
        requested: n,
        capTotalVfs: sr.capTotalVfs,
        resourceLimit: sr.resourceLimit,
        netdevUp: dev.netdev?.adminUp ?? true,
        vfsAssigned: sr.vfs.some((vf) => vf.assigned),
        vfioEnableSriov: this.config.vfioEnableSriov,
      };
      if (n === 0) {
        const r = def.sriovConfigure(ctx);
        if (typeof r === 'string') fail(r, target);
        if (r !== 0 || ctx.vfsAssigned) return; // bnxt keeps assigned VFs and reports success.
        // sriov_disable: the VFs go first, then VF Enable is cleared and the kernel sleeps 1 s.
        const count = sr.numVfs;
        this.removeVfDevices(dev);
        await this.config.timing.sleep(1000 + count * 5);
        sr.numVfs = 0;
        return;
      }
      if (sr.numVfs !== 0)
        fail('EBUSY', target, `${sr.numVfs} VFs already enabled. Disable before enabling ${n} VFs`);
      const r = def.sriovConfigure(ctx);
      if (typeof r === 'string') fail(r, target);
      if (r === 0) return; // bnxt with the interface down: success, nothing enabled.
      await this.config.timing.sleep(100);
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
    const now = this.config.clock();
    const resetMs = this.config.timing.scaled(def.vfResetMs ?? 0);
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
      this.devices.set(address, vf);
      this.buildDeviceSysfs(vf);
      if (this.config.iommuEnabled) this.assignIommuGroup(vf);
      this.vfs.link(`${pf.sysDir}/virtfn${i}`, relativeLink(pf.sysDir, vf.sysDir));
      sr.vfs[i] = vf;
      created.push(vf);
    }
    sr.vfs.length = n;
    for (const vf of created) {
      if (this.canAutoprobe(vf)) this.deviceAttach(vf);
      const probeMs = vf.driver ? (DRIVERS[vf.driver]?.vfProbeMs ?? def.vfProbeMs ?? 10) : 2;
      await this.config.timing.sleep(probeMs);
    }
    sr.numVfs = n;
    if (pf.board.eswitchMode === 'switchdev') this.createRepresentors(pf, sr);
  }

  /** Removes every VF device and its links; num_VFs is the caller's to clear. */
  private removeVfDevices(pf: SimPciDevice): void {
    const sr = pf.sriov;
    if (!sr) return;
    this.removeRepresentors(pf);
    for (const vf of sr.vfs) {
      this.vfs.remove(`${pf.sysDir}/virtfn${vf.vfIndex}`);
      this.vfs.remove(`${vf.sysDir}/physfn`);
      this.detach(vf);
      this.removeIommuGroup(vf);
      this.vfs.remove(vf.sysDir);
      this.vfs.remove(`${PCI_DEVICES}/${vf.address}`);
      this.devices.delete(vf.address);
    }
    sr.vfs = [];
    sr.vfState = [];
  }

  // ---------------------------------------------------------------- netdevs

  /** register_netdevice(): the netdev, its /sys/class/net link and attribute files. */
  addNetdev(spec: {
    name: string;
    mac: MacAddress;
    mtu: number;
    device: SimPciDevice | null;
    role: SimNetdev['role'];
    carrier: boolean;
    speedMbps: number;
    adminUp?: boolean;
    repOf?: { pf: SimPciDevice; vf: number };
    /** A non-PCI parent device directory (netdevsim's /sys/devices/netdevsim<ID>). */
    parentDir?: string;
    maxMtu?: number;
    nsim?: NsimPortRef;
    /** IFLA_PHYS_PORT_NAME when the driver reports one (devlink port attributes). */
    physPortName?: string;
  }): SimNetdev {
    const parentDir = spec.device?.sysDir ?? spec.parentDir;
    const sysDir = parentDir
      ? `${parentDir}/net/${spec.name}`
      : `/sys/devices/virtual/net/${spec.name}`;
    const nd: SimNetdev = {
      ifindex: this.nextIfindex++,
      name: spec.name,
      mac: spec.mac,
      mtu: spec.mtu,
      minMtu: spec.role === 'other' ? 0 : 68,
      maxMtu: spec.maxMtu ?? (spec.role === 'other' ? 0 : 9702),
      adminUp: spec.adminUp ?? true,
      carrier: spec.carrier,
      speedMbps: spec.speedMbps,
      device: spec.device,
      role: spec.role,
      sysDir,
      ...(spec.repOf ? { repOf: spec.repOf } : {}),
      ...(spec.nsim ? { nsim: spec.nsim } : {}),
    };
    this.netdevs.set(nd.name, nd);
    const v = this.vfs;
    v.mkdirp(sysDir);
    v.link(`/sys/class/net/${nd.name}`, relativeLink('/sys/class/net', sysDir));
    v.file(`${sysDir}/address`, { read: () => `${nd.mac}\n` });
    v.file(`${sysDir}/mtu`, { read: () => `${nd.mtu}\n` });
    v.file(`${sysDir}/ifindex`, { read: () => `${nd.ifindex}\n` });
    v.file(`${sysDir}/operstate`, { read: () => `${this.operstate(nd)}\n` });
    v.file(`${sysDir}/carrier`, {
      read: () => {
        if (!nd.adminUp) throw new KernelError('EINVAL', 'read', `${sysDir}/carrier`);
        return this.operstate(nd) === 'up' ? '1\n' : '0\n';
      },
    });
    v.file(`${sysDir}/speed`, {
      read: () => {
        // Down interface or no get_link_ksettings (lo, netdevsim): EINVAL; up without link: -1.
        if (!nd.adminUp || nd.role === 'other' || nd.nsim)
          throw new KernelError('EINVAL', 'read', `${sysDir}/speed`);
        return this.operstate(nd) === 'up' ? `${nd.speedMbps}\n` : '-1\n';
      },
    });
    v.constant(`${sysDir}/type`, nd.role === 'other' ? '772\n' : '1\n');
    if (parentDir) v.link(`${sysDir}/device`, relativeLink(sysDir, parentDir));
    if (nd.role === 'rep' && nd.repOf)
      v.constant(`${sysDir}/phys_port_name`, `pf0vf${nd.repOf.vf}\n`);
    if (spec.physPortName !== undefined)
      v.constant(`${sysDir}/phys_port_name`, `${spec.physPortName}\n`);
    return nd;
  }

  /** Operational state as RFC 2863 / IF_OPER_*: VFs follow the PF link unless forced. */
  operstate(nd: SimNetdev): string {
    if (nd.role === 'other') return 'unknown';
    if (!nd.adminUp) return 'down';
    // netdevsim never calls netif_carrier_on/off, so no linkwatch event ever moves an up port off
    // IF_OPER_UNKNOWN (like dummy).
    if (nd.nsim) return 'unknown';
    if (nd.role === 'vf' && nd.device?.pf) {
      const pf = nd.device.pf;
      const st = pf.sriov?.vfState[nd.device.vfIndex];
      if (st?.linkState === 'disable') return 'down';
      if (st?.linkState === 'enable') return 'up';
      return pf.board.linkUp && (pf.netdev?.adminUp ?? false) ? 'up' : 'down';
    }
    return nd.carrier ? 'up' : 'down';
  }

  private registerDeviceNetdev(dev: SimPciDevice): void {
    const register = () => {
      if (dev.netdev || !dev.driver) return;
      const st = dev.pf ? dev.pf.sriov?.vfState[dev.vfIndex] : undefined;
      // A host VF driver takes the admin MAC when one was set, else it makes up a random one.
      const mac = dev.pf
        ? st && st.mac !== ZERO_MAC
          ? st.mac
          : pseudoRandomMac(this.macSeed++)
        : dev.board.mac;
      dev.netdev = this.addNetdev({
        name: dev.netdevName,
        mac,
        mtu: 1500,
        device: dev,
        role: dev.pf ? 'vf' : 'pf',
        carrier: dev.pf ? true : dev.board.linkUp,
        speedMbps: dev.board.speedMbps,
      });
    };
    // VF netdevs are registered by the VF driver's asynchronous probe and renamed by udev later.
    if (dev.pf) this.schedule(250, `netdev ${dev.netdevName} registers`, register);
    else register();
  }

  /** unregister_netdevice(): removes the netdev and its sysfs. */
  unregisterNetdev(nd: SimNetdev): void {
    this.netdevs.delete(nd.name);
    this.vfs.remove(nd.sysDir);
    this.vfs.remove(`/sys/class/net/${nd.name}`);
    if (nd.device?.netdev === nd) nd.device.netdev = null;
  }

  private createRepresentors(pf: SimPciDevice, sr: SimSriov): void {
    for (let i = 0; i < sr.numVfs; i++) {
      this.addNetdev({
        name: `${pf.netdevBase}npf0vf${i}`.slice(0, 15),
        mac: this.randomMac(),
        mtu: 1500,
        device: pf,
        role: 'rep',
        carrier: true,
        speedMbps: 0,
        repOf: { pf, vf: i },
      });
    }
  }

  private removeRepresentors(pf: SimPciDevice): void {
    for (const nd of [...this.netdevs.values()]) {
      if (nd.role === 'rep' && nd.repOf?.pf === pf) this.unregisterNetdev(nd);
    }
  }

  /** devlink eswitch set: mode changes, with ice refusing while VFs exist. */
  setEswitchMode(pf: SimPciDevice, mode: EswitchMode): void {
    const target = `devlink pci/${pf.address}`;
    const def = pf.driver ? this.drivers.get(pf.driver) : undefined;
    if (!def?.eswitch) throw new KernelError('EOPNOTSUPP', 'devlink', target);
    if (pf.board.eswitchMode === mode) return;
    if (def.eswitch.needsNoVfs && (pf.sriov?.numVfs ?? 0) > 0) {
      throw new KernelError(
        'EOPNOTSUPP',
        'devlink',
        target,
        'Changing eswitch mode is allowed only if there is no VFs created',
      );
    }
    pf.board.eswitchMode = mode;
    if (pf.sriov && pf.sriov.numVfs > 0) {
      if (mode === 'switchdev') this.createRepresentors(pf, pf.sriov);
      else this.removeRepresentors(pf);
    }
  }

  /** Sets a link's admin state or MTU (RTM_NEWLINK without VF attributes). */
  setLink(nd: SimNetdev, up: boolean | undefined, mtu: number | undefined): ErrnoName | null {
    if (mtu !== undefined) {
      if (nd.role !== 'other' && (mtu < nd.minMtu || mtu > nd.maxMtu)) return 'EINVAL';
      nd.mtu = mtu;
    }
    if (up !== undefined) nd.adminUp = up;
    return null;
  }

  /** Current counters of a VF including simulated traffic up to now. */
  vfCounters(st: VfState): VfCounters {
    const t = st.traffic;
    if (!t) return { ...st.counters };
    const secs = Math.max(0, (this.config.clock() - st.trafficSince) / 1000);
    const c = st.counters;
    return {
      rxBytes: Math.floor(c.rxBytes + t.rxBytesPerSec * secs),
      rxPackets: Math.floor(c.rxPackets + t.rxPacketsPerSec * secs),
      rxMulticast: c.rxMulticast,
      rxBroadcast: c.rxBroadcast,
      rxDropped: Math.floor(c.rxDropped + t.rxDroppedPerSec * secs),
      txBytes: Math.floor(c.txBytes + t.txBytesPerSec * secs),
      txPackets: Math.floor(c.txPackets + t.txPacketsPerSec * secs),
      txDropped: Math.floor(c.txDropped + t.txDroppedPerSec * secs),
    };
  }

  /** Starts, changes or stops (null) simulated traffic on a VF; counters keep what they reached. */
  setTraffic(pf: SimPciDevice, vf: number, rates: TrafficRates | null): void {
    const st = pf.sriov?.vfState[vf];
    if (!st) throw new Error(`sim: ${pf.address} has no VF ${vf}`);
    st.counters = this.vfCounters(st);
    st.traffic = rates;
    st.trafficSince = this.config.clock();
  }

  /** Marks a VF as held by a VM through vfio (pci_vfs_assigned). */
  setAssigned(vf: SimPciDevice, assigned: boolean): void {
    vf.assigned = assigned;
  }

  /** Brings a PF's physical link up or down (cable, switch port). */
  setCarrier(pf: SimPciDevice, up: boolean): void {
    pf.board.linkUp = up;
    if (pf.netdev) pf.netdev.carrier = up;
  }

  /** The PF device behind a netdev name, if that netdev is a PF with VF ops. */
  pfByNetdev(name: string): SimPciDevice | null {
    const nd = this.netdevs.get(name);
    if (!nd || nd.role !== 'pf' || !nd.device?.sriov) return null;
    return nd.device;
  }
}
