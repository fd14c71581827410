/**
 * The host seam: the one interface through which sriovctl reads and changes the machine. It mirrors
 * the kernel's own boundaries (files under /sys, /proc and /dev; rtnetlink; devlink; ethtool) so that
 * discovery and the executor run unchanged on the real kernel (`linux/`) and the simulated one (`sim/`).
 *
 * Paths are absolute as on the machine (`/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs`); each
 * implementation maps them under its own root. Every method that fails because the kernel said no
 * throws a KernelError carrying the errno.
 */
import type { DevlinkHandle, IfName, MacAddress, PciAddress } from './names.js';

export type VfLinkState = 'auto' | 'enable' | 'disable';
export type VlanProto = '802.1Q' | '802.1ad';
export type EswitchMode = 'legacy' | 'switchdev';

/** What kind of entry a path is, as lstat(2) sees it. */
export type EntryKind = 'file' | 'dir' | 'link';

/** Per-VF traffic counters as IFLA_VF_STATS reports them through the PF. */
export interface VfCounters {
  rxBytes: number;
  rxPackets: number;
  rxMulticast: number;
  rxBroadcast: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txDropped: number;
}

/**
 * One VF as the PF reports it in IFLA_VFINFO_LIST. Optional booleans are absent when the driver
 * left them at -1 ("not reported"), exactly as iproute2 omits them.
 */
export interface VfInfo {
  vf: number;
  mac: MacAddress;
  vlan: number;
  qos: number;
  vlanProto: VlanProto;
  /** Mbit/s; 0 means unlimited / no guarantee. */
  minTxRate: number;
  maxTxRate: number;
  spoofchk?: boolean;
  trust?: boolean;
  queryRss?: boolean;
  linkState: VfLinkState;
  counters?: VfCounters;
}

/** One network interface from the rtnetlink link dump (`ip -j -d -s link show`). */
export interface LinkInfo {
  ifindex: number;
  ifname: IfName;
  /** IFF_UP: administratively up. */
  adminUp: boolean;
  /** IFF_LOWER_UP: carrier. */
  lowerUp: boolean;
  operstate: string;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  mac?: MacAddress;
  /** `pci` for PCI netdevs, `netdevsim` for netdevsim ports. */
  parentBus?: string;
  /** PCI address or bus device name of the parent device. */
  parentDev?: string;
  /**
   * The VFs this link reports, in the order the kernel emitted them. Absent when the link has no VF
   * ndo (not a PF). With more than ~220 VFs the kernel's nested list overflows and only a prefix
   * arrives: `vfListTruncated` is then true and the missing VFs are simply not here.
   */
  vfs?: VfInfo[];
  vfListTruncated?: boolean;
}

/** The whole link dump: every link plus what iproute2 warned about (e.g. "Truncated VF list: eth0"). */
export interface LinkDump {
  links: LinkInfo[];
  warnings: string[];
}

/** A default route as `ip -j route show default` reports it. */
export interface LinkDumpOptions {
  ifname?: IfName;
  /**
   * Only these VFs' entries are wanted: others may be left out of each link's `vfs` (the kernel
   * still reports them all; a caller reading back a few VFs of a 256-VF PF need not receive them).
   * `vfListTruncated` still says whether the list was cut short.
   */
  vfs?: readonly number[];
}

export interface DefaultRoute {
  family: 'inet' | 'inet6';
  dev: IfName;
  gateway?: string;
}

/** Changes to one VF, applied in the kernel's fixed order (MAC, VLAN, rate, spoofchk, state, trust). */
export interface VfChange {
  kind: 'vf';
  pf: IfName;
  vf: number;
  mac?: MacAddress;
  vlan?: { vlan: number; qos: number; proto: VlanProto };
  /** Either side may be omitted; iproute2 then fills it from a fresh dump (see LinkInfo.vfs). */
  rate?: { minTxRate?: number; maxTxRate?: number };
  /**
   * The maximum rate alone, as the legacy IFLA_VF_TX_RATE (`vf N rate M`): the kernel reads the
   * VF's current minimum itself and keeps it, so it works on VFs a truncated dump leaves out.
   * Never together with `rate` (iproute2 would fold it into IFLA_VF_RATE).
   */
  txRate?: number;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
}

/** Changes to a link itself: admin state and MTU. */
export interface LinkChange {
  kind: 'link';
  ifname: IfName;
  up?: boolean;
  mtu?: number;
}

export type NetlinkChange = VfChange | LinkChange;

/** The outcome of one change in a batch: applied, or refused with the kernel's (or iproute2's) answer. */
export type NetlinkResult =
  { ok: true } | { ok: false; errno?: import('./errors.js').ErrnoName; message: string };

/** devlink `dev info`: driver, serials and firmware versions. */
export interface DevlinkInfo {
  handle: string;
  driver: string;
  serialNumber?: string;
  fixed: Record<string, string>;
  running: Record<string, string>;
  stored: Record<string, string>;
}

/** ethtool -i: what the driver says about itself. */
export interface EthtoolDriverInfo {
  driver: string;
  version: string;
  firmwareVersion: string;
  busInfo: string;
}

export interface HostDescription {
  kind: 'linux' | 'sim';
  /** Human label: hostname, or the fixture name on the simulator. */
  name: string;
  /** For the simulator: the fixture path it was built from. */
  fixture?: string;
}

export interface WriteOptions {
  /** Give up (HostTimeoutError) if the write has not returned by then. */
  timeoutMs?: number;
}

/** How writeConfigFile creates a file. */
export interface ConfigFileOptions {
  /** Permission bits (default 0o644). */
  mode?: number;
}

/**
 * The reading half of the seam: files, link dumps, routes, devlink and ethtool queries. Everything
 * that decides (discovery, doctor, planning, placement, metrics) gets only this, so the compiler
 * refuses a write there.
 */
export interface HostReader {
  readonly description: HostDescription;

  /** Equivalent to `cat PATH`: a file's whole contents (sysfs, procfs or a config file). */
  readFile(path: string): Promise<string>;
  /** Equivalent to `readlink PATH`: the raw (usually relative) target of a symlink. */
  readLink(path: string): Promise<string>;
  /** Equivalent to `ls PATH`: entry names of a directory, sorted. */
  readDir(path: string): Promise<string[]>;
  /** Equivalent to `stat -c %F` on lstat: what the entry is, or null if nothing is there. */
  entryKind(path: string): Promise<EntryKind | null>;

  /**
   * Equivalent to `ip -j -d -s link show [dev IFNAME]` (VF info and stats); with `ifname`, only
   * that link (a missing one is a HostCommandError, as `ip` says "Device does not exist").
   */
  linkDump(opts?: LinkDumpOptions): Promise<LinkDump>;
  /** Equivalent to `ip -j route show default` for IPv4 and IPv6. */
  defaultRoutes(): Promise<DefaultRoute[]>;

  /*
   * devlink methods take the device as a PCI address (meaning `pci/ADDR`, the original form) or a
   * DevlinkHandle (`pci/ADDR`, `netdevsim/netdevsim<ID>`) for devices that are not on PCI.
   */
  /** Equivalent to `devlink -j dev eswitch show HANDLE`; null when the driver has no eswitch ops. */
  devlinkEswitchMode(dev: PciAddress | DevlinkHandle): Promise<EswitchMode | null>;
  /** Equivalent to `devlink -j dev info HANDLE`; null when the driver has no info op. */
  devlinkInfo(dev: PciAddress | DevlinkHandle): Promise<DevlinkInfo | null>;

  /**
   * Equivalent to `ip monitor link`: calls `onChange` whenever the kernel announces a link change
   * (VF settings, carrier, netdevs appearing or going); returns a function that stops watching.
   * Optional: a host that cannot deliver events is polled instead.
   */
  watchLinks?(onChange: () => void): () => void;

  /** Equivalent to `ethtool -i IFNAME`. */
  ethtoolDriverInfo(ifname: IfName): Promise<EthtoolDriverInfo>;
}

/**
 * The writing half of the seam: sysfs writes, sriovctl's own files, netlink changes and the
 * devlink eswitch mode. Only the executor (src/executor/) calls these.
 */
export interface HostWriter {
  /** Equivalent to `echo -n VALUE > PATH` with the errno of write(2) surfaced as a KernelError. */
  writeFile(path: string, value: string, opts?: WriteOptions): Promise<void>;
  /**
   * Atomically replaces one of sriovctl's own files (temp file, fsync, rename), creating missing
   * parent directories: config under /etc/sriovctl/, state under /var/lib/sriovctl/, and
   * `sriovctl*` units in /etc/systemd/system/. Any other path is refused with UnsafeInputError.
   */
  writeConfigFile(path: string, content: string, opts?: ConfigFileOptions): Promise<void>;
  /** Removes such a file (or an empty directory of them); false when nothing was there. */
  removeConfigFile(path: string): Promise<boolean>;
  /** Equivalent to `ip -force -batch -` with one line per change; one result per change, in order. */
  linkApply(changes: readonly NetlinkChange[], opts?: WriteOptions): Promise<NetlinkResult[]>;
  /** Equivalent to `devlink dev eswitch set HANDLE mode MODE`. */
  devlinkSetEswitchMode(
    dev: PciAddress | DevlinkHandle,
    mode: EswitchMode,
    opts?: WriteOptions,
  ): Promise<void>;
}

/**
 * The whole seam (see the module comment): what the implementations provide, and what composition
 * roots hand to the executor.
 */
export type Host = HostReader & HostWriter;
