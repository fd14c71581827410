/**
 * The simulated kernel's objects (struct pci_dev with its SR-IOV state, struct net_device, netdevsim's
 * struct nsim_dev) and what every part of the kernel shares: sysfs, the device and netdev tables,
 * the registered drivers, configuration and deferred work. The parts (driver core, PCI/IOV, netdev,
 * IOMMU) and netdevsim import these; none of them imports another part's module to get them.
 */
import { KernelError, type ErrnoName } from '../../errors.js';
import type { EswitchMode, VfCounters, VfLinkState, VlanProto } from '../../host.js';
import type { MacAddress, PciAddress } from '../../names.js';
import type { DriverDef } from '../drivers.js';
import type { DeviceModel } from '../models.js';
import type { Timing } from '../timing.js';
import type { Vfs } from '../vfs.js';

export const PCI_DEVICES = '/sys/bus/pci/devices';
export const PCI_DRIVERS = '/sys/bus/pci/drivers';

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

/** What every part of the kernel reads and schedules on (SimKernel provides it). */
export interface KernelBase {
  readonly vfs: Vfs;
  readonly devices: Map<string, SimPciDevice>;
  readonly netdevs: Map<string, SimNetdev>;
  /** Drivers registered with the PCI bus (loaded modules). */
  readonly drivers: Map<string, DriverDef>;
  readonly config: KernelConfig;
  /** Runs `work` after a scaled delay; see SimKernel.schedule. */
  schedule(ms: number, label: string, work: () => void): void;
}

/** How port netdevs are named: the kernel's `eth%d` (no udev, as in the lab guest) or udev's. */
export type NsimNaming = 'kernel' | 'udev';

/** struct nsim_vf_config: what netdevsim stores per VF (u16 rates, raw VLAN protocol). */
export interface NsimVfConfig {
  mac: MacAddress;
  vlan: number;
  qos: number;
  /** The ethertype given to ndo_set_vf_vlan; 0 until a VLAN is first set. */
  vlanProto: number;
  minTxRate: number;
  maxTxRate: number;
  spoofchk: boolean;
  trust: boolean;
  queryRss: boolean;
  /** IFLA_VF_LINK_STATE_*: 0 auto, 1 enable, 2 disable. */
  linkState: number;
}

/** One netdevsim bus device (struct nsim_bus_dev + struct nsim_dev). */
export interface NsimDevice {
  id: number;
  /** /sys/devices/netdevsim<ID>. */
  sysDir: string;
  /** /sys/kernel/debug/netdevsim/netdevsim<ID>. */
  debugDir: string;
  portCount: number;
  numQueues: number;
  naming: NsimNaming;
  /** nsim_drv_probe ran: drvdata is set, ports exist, sriov_numvfs is served. */
  probed: boolean;
  numVfs: number;
  maxVfs: number;
  /** kcalloc(max_vfs): one zeroed config per possible VF, kept across disable and re-enable. */
  vfConfigs: NsimVfConfig[];
  eswitchMode: EswitchMode;
  /** PF ports by port index. */
  ports: Map<number, SimNetdev>;
  /** VF representors (switchdev) by VF index. */
  reps: Map<number, SimNetdev>;
}

/** Which netdevsim port a netdev is: a PF port (with VF ndos) or a VF representor (without). */
export type NsimPortRef =
  { dev: NsimDevice; kind: 'pf'; port: number } | { dev: NsimDevice; kind: 'vf'; vf: number };

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

/** A failed write to `target`, as the kernel answers it. */
export function fail(errno: ErrnoName, target: string, detail?: string): never {
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
