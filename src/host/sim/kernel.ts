/**
 * The simulated Linux 6.1 kernel: PCI devices with SR-IOV capabilities, the driver core (match,
 * probe, bind, unbind, driver_override, new_id), sriov_numvfs in the kernel's check order, IOMMU
 * groups, netdevs and per-VF state. Its sysfs is a Vfs tree kept in step with the model, so code that
 * reads /sys sees what it would see on a real host (linux-sriov-abi.md §1-§3, §9).
 *
 * SimKernel holds what the parts share and is what the rest of the simulator calls; the work is
 * done by the parts in kernel/, split as the kernel is: driver core (driver-core.ts), PCI and
 * SR-IOV (pci-iov.ts), network devices (netdev.ts) and IOMMU groups with VFIO (iommu.ts), over the
 * objects they share (objects.ts).
 */
import type { ErrnoName } from '../errors.js';
import type { EswitchMode, VfCounters } from '../host.js';
import { ZERO_MAC, type MacAddress, type PciAddress } from '../names.js';
import type { DriverDef } from './drivers.js';
import { DriverCore } from './kernel/driver-core.js';
import { Iommu } from './kernel/iommu.js';
import { NetCore, type NetdevSpec } from './kernel/netdev.js';
import {
  PCI_DEVICES,
  PCI_DRIVERS,
  type KernelBase,
  type KernelConfig,
  type SimNetdev,
  type SimPciDevice,
  type SimSriov,
  type TrafficRates,
  type VfState,
} from './kernel/objects.js';
import { PciIov } from './kernel/pci-iov.js';
import type { NetdevsimBus } from './netdevsim.js';
import { Vfs } from './vfs.js';

export { relativeLink, zeroCounters } from './kernel/objects.js';
export type {
  BoardInfo,
  KernelConfig,
  SimNetdev,
  SimPciDevice,
  SimSriov,
  TrafficRates,
  VfState,
} from './kernel/objects.js';

export class SimKernel implements KernelBase {
  readonly vfs = new Vfs();
  readonly devices = new Map<string, SimPciDevice>();
  readonly netdevs = new Map<string, SimNetdev>();
  /** Drivers registered with the PCI bus (loaded modules). */
  readonly drivers = new Map<string, DriverDef>();
  /** The netdevsim bus, once the module is loaded (`modprobe netdevsim`). */
  netdevsim: NetdevsimBus | null = null;
  private readonly net: NetCore;
  private readonly iommu: Iommu;
  private readonly driverCore: DriverCore;
  private readonly pci: PciIov;

  constructor(readonly config: KernelConfig) {
    this.net = new NetCore(this);
    this.iommu = new Iommu(this);
    // The driver core and PCI/IOV call each other (probe creates VFs' netdevs, a PF's remove
    // disables SR-IOV): the driver core reaches PCI/IOV through this link.
    this.driverCore = new DriverCore(this, this.net, this.iommu, {
      removeVfDevices: (pf) => this.pci.removeVfDevices(pf),
    });
    this.pci = new PciIov(this, this.driverCore, this.net, this.iommu);
    this.vfs.mkdirp(PCI_DEVICES);
    this.vfs.mkdirp(PCI_DRIVERS);
    this.vfs.mkdirp('/sys/class/net');
    this.vfs.mkdirp('/sys/kernel/iommu_groups');
    this.vfs.mkdirp('/sys/class/iommu');
    this.vfs.file('/sys/bus/pci/drivers_probe', { write: (v) => this.driverCore.driversProbe(v) });
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

  /** new_id dynamic IDs per driver. */
  get dynIds(): Map<string, { vendor: number; device: number }[]> {
    return this.driverCore.dynIds;
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

  // ---------------------------------------------------------------- driver core

  /** Registers a driver (as modprobe would) and creates its /sys/bus/pci/drivers directory. */
  registerDriver(name: string): void {
    this.driverCore.registerDriver(name);
  }

  // ---------------------------------------------------------------- PCI / SR-IOV

  /** Adds a PCI device and its sysfs; binds it if `driver` is given and registered. */
  addDevice(dev: SimPciDevice, driver: string | null): void {
    this.pci.addDevice(dev, driver);
  }

  /** The VF's routing ID and address: RID = PF RID + offset + stride * i (abi §1.4). */
  vfAddress(pf: SimPciDevice, sr: SimSriov, i: number): PciAddress {
    return this.pci.vfAddress(pf, sr, i);
  }

  // ---------------------------------------------------------------- IOMMU / VFIO

  /** Marks a VF as held by a VM through vfio (pci_vfs_assigned). */
  setAssigned(vf: SimPciDevice, assigned: boolean): void {
    this.iommu.setAssigned(vf, assigned);
  }

  // ---------------------------------------------------------------- netdevs

  /** A locally administered unicast MAC, as eth_hw_addr_random() gives (deterministic here). */
  randomMac(): MacAddress {
    return this.net.randomMac();
  }

  /** The name dev_alloc_name() gives an `eth%d` netdev: the lowest unused number. */
  allocEthName(): string {
    return this.net.allocEthName();
  }

  /** register_netdevice(): the netdev, its /sys/class/net link and attribute files. */
  addNetdev(spec: NetdevSpec): SimNetdev {
    return this.net.addNetdev(spec);
  }

  /** Operational state as RFC 2863 / IF_OPER_*: VFs follow the PF link unless forced. */
  operstate(nd: SimNetdev): string {
    return this.net.operstate(nd);
  }

  /** unregister_netdevice(): removes the netdev and its sysfs. */
  unregisterNetdev(nd: SimNetdev): void {
    this.net.unregisterNetdev(nd);
  }

  /** devlink eswitch set: mode changes, with ice refusing while VFs exist. */
  setEswitchMode(pf: SimPciDevice, mode: EswitchMode): void {
    this.net.setEswitchMode(pf, mode);
  }

  /** Sets a link's admin state or MTU (RTM_NEWLINK without VF attributes). */
  setLink(nd: SimNetdev, up: boolean | undefined, mtu: number | undefined): ErrnoName | null {
    return this.net.setLink(nd, up, mtu);
  }

  /** Current counters of a VF including simulated traffic up to now. */
  vfCounters(st: VfState): VfCounters {
    return this.net.vfCounters(st);
  }

  /** Starts, changes or stops (null) simulated traffic on a VF; counters keep what they reached. */
  setTraffic(pf: SimPciDevice, vf: number, rates: TrafficRates | null): void {
    this.net.setTraffic(pf, vf, rates);
  }

  /** Brings a PF's physical link up or down (cable, switch port). */
  setCarrier(pf: SimPciDevice, up: boolean): void {
    this.net.setCarrier(pf, up);
  }

  /** The PF device behind a netdev name, if that netdev is a PF with VF ops. */
  pfByNetdev(name: string): SimPciDevice | null {
    return this.net.pfByNetdev(name);
  }
}
