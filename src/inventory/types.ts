/** The inventory snapshot: everything discovery learned about a host in one pass, as plain data. */
import type { EswitchMode, HostDescription, VfCounters } from '../host/host.js';
import type { PciAddress, PfId } from '../host/names.js';
import type { KernelVfSettings } from '../host/vf-settings.js';

/** Which tool other than sriovctl configures a PF, and the evidence (a file path). */
export interface NetworkManagerClaim {
  manager: 'NetworkManager' | 'netplan' | 'systemd-networkd';
  evidence: string;
}

export interface IommuFacts {
  /** ACPI DMAR (Intel) or IVRS (AMD) table present: the platform can do it. */
  acpiTable: 'DMAR' | 'IVRS' | null;
  /** /sys/class/iommu units (dmar0, ivhd0, ...). */
  units: string[];
  /** Number of /sys/kernel/iommu_groups entries: > 0 means the kernel is translating. */
  groupCount: number;
  /** Default domain type of the groups (DMA, DMA-FQ, identity, ...), when readable. */
  defaultDomainType: string | null;
  /** Interrupt remapping, from the Intel `ecap` IR bit or AMD features; null when unknown. */
  interruptRemapping: boolean | null;
}

export interface HostFacts {
  description: HostDescription;
  hostname: string;
  kernelRelease: string;
  kernelCmdline: string;
  /** `vmx`, `svm` or null from /proc/cpuinfo flags. */
  cpuVirtualization: 'vmx' | 'svm' | null;
  cpuVendor: string;
  iommu: IommuFacts;
  /** vfio-pci is loaded (driver dir exists) or can be loaded (module file / builtin). */
  vfioPci: { loaded: boolean; available: boolean; evidence: string };
  /** Interfaces that carry a default route. */
  defaultRouteIfnames: string[];
}

/** What kind of problem a DiscoveryIssue reports, so checks can match on it without parsing text. */
export type DiscoveryIssueCode =
  /** A file held something that is not what Linux prints there. */
  | 'malformed-value'
  /** A file or link Linux always provides was absent. */
  | 'missing-entry'
  /** A link points at something that does not exist. */
  | 'dangling-link'
  /** A read failed for a reason other than absence (EACCES, EIO, ...). */
  | 'read-failed'
  /** A netlink, devlink or ethtool query failed. */
  | 'command-failed'
  /** A PF was left out of the snapshot because its identity could not be read. */
  | 'pf-skipped'
  /** A VF was left out of the snapshot (its virtfn link led nowhere usable). */
  | 'vf-skipped'
  /** The kernel truncated the PF's netlink VF list: some VFs' settings are unknown. */
  | 'vf-list-truncated'
  /** Some VFs' netlink settings could not be read for another reason. */
  | 'vf-config-unreadable'
  /** sriov_numvfs and the virtfn links disagree (usually a change in progress). */
  | 'vf-count-mismatch'
  /** A virtfn link disagrees with the address sriov_offset/sriov_stride predict. */
  | 'vf-address-mismatch';

/** A problem found while reading the host: the path, what was expected, what was there. */
export interface DiscoveryIssue {
  path: string;
  message: string;
  code?: DiscoveryIssueCode;
  /** The PF the issue is about, when it is about one. */
  pciAddress?: PfId;
}

export interface VfSnapshot {
  vfIndex: number;
  /** null for netdevsim VFs, which have no PCI function. */
  pciAddress: PciAddress | null;
  /** The VF's own PCI device ID, hex without 0x (`154c`). */
  deviceId: string;
  driver: string | null;
  driverOverride: string | null;
  netdev: string | null;
  /** MTU of the VF's host netdev (from the link dump), null without one. */
  netdevMtu?: number | null;
  iommuGroup: number | null;
  numaNode: number;
  /**
   * The PF's view of the VF (netlink). `null` when the PF's VF list was truncated by the kernel and
   * this VF was not in it: its settings are unknown, not unset.
   */
  config: VfConfig | null;
}

/** The PF's view of one VF: its settings (the one VF settings model) and its traffic counters. */
export interface VfConfig extends KernelVfSettings {
  counters: VfCounters | null;
}

export interface FirmwareInfo {
  /** The version string users compare: ethtool firmware-version or devlink's running fw. */
  version: string | null;
  /** devlink running/stored versions when the driver reports them. */
  running: Record<string, string>;
  stored: Record<string, string>;
  source: 'devlink' | 'ethtool' | 'none';
}

export interface PfSnapshot {
  /** The PCI address; for a netdevsim device (bus: 'netdevsim') its name, `netdevsim<ID>`. */
  pciAddress: PfId;
  /** Set only for netdevsim devices: not PCI, sriov_numvfs under /sys/bus/netdevsim/devices. */
  bus?: 'netdevsim';
  vendorId: string;
  deviceId: string;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  vendorName: string;
  deviceName: string;
  /** PCI class code, 6 hex digits without 0x (`020000` Ethernet, `010802` NVMe). */
  classCode?: string | null;
  vfDeviceId: string | null;
  driver: string | null;
  /** The PF's own driver_override (null when unset). */
  driverOverride?: string | null;
  /** The driver implements sriov_configure (numVfs can be changed through sysfs). */
  sriovConfigurable: boolean | null;
  driverVersion: string | null;
  firmware: FirmwareInfo;
  netdev: string | null;
  mac: string | null;
  mtu: number | null;
  adminUp: boolean | null;
  /** Carrier: operstate up. */
  linkUp: boolean | null;
  /** Mbit/s; null when down or unknown. */
  speedMbps: number | null;
  numaNode: number;
  iommuGroup: number | null;
  totalVfs: number;
  numVfs: number;
  vfOffset: number;
  vfStride: number;
  driversAutoprobe: boolean;
  eswitchMode: EswitchMode | null;
  carriesDefaultRoute: boolean;
  managedBy: NetworkManagerClaim[];
  /** True when the kernel's VF list from netlink did not cover every VF. */
  vfListTruncated: boolean;
  /** VF indexes whose netlink settings could not be read (not in the truncated list). */
  unreadableVfs: number[];
  vfs: VfSnapshot[];
}

export interface Inventory {
  takenAt: string;
  host: HostFacts;
  pfs: PfSnapshot[];
  /** Non-fatal problems: a VF whose link is dangling, a value that did not parse, ... */
  issues: DiscoveryIssue[];
}
