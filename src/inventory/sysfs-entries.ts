/**
 * The sysfs entries discovery reads, in one place. Discovery's readers use these lists, and a
 * benchmark's "floor" loop (the same reads with no parsing) can be written from them, so the two
 * stay comparable when a read is added.
 */
import type { HostReader } from '../host/host.js';
import { tryReadDir, tryReadFile, tryReadLink, type Outcome } from './seam-reads.js';

export const PCI_DEVICES_DIR = '/sys/bus/pci/devices';
export const PCI_DRIVERS_DIR = '/sys/bus/pci/drivers';
export const IOMMU_GROUPS_DIR = '/sys/kernel/iommu_groups';
export const CLASS_NET_DIR = '/sys/class/net';

export type EntryReadKind = 'file' | 'link' | 'dir';

export interface SysfsEntry {
  readonly name: string;
  readonly kind: EntryReadKind;
}

/**
 * Probed with entryKind for each PCI device under PCI_DEVICES_DIR that no PF's virtfn link has
 * claimed yet, to tell PFs apart (only PFs have it); read as a file for the PFs. On a host whose
 * VFs all sort after their PFs (always: a VF's RID is the PF's plus a non-zero offset), VFs are
 * never probed.
 */
export const PF_MARKER_ENTRY: SysfsEntry = { name: 'sriov_totalvfs', kind: 'file' };

/**
 * Read once per PF, relative to its device directory. The directory itself is also listed once, by
 * the scan, to find its `virtfnN` links.
 */
export const PF_SYSFS_ENTRIES = [
  { name: 'vendor', kind: 'file' },
  { name: 'device', kind: 'file' },
  { name: 'subsystem_vendor', kind: 'file' },
  { name: 'subsystem_device', kind: 'file' },
  { name: 'class', kind: 'file' },
  { name: 'driver', kind: 'link' },
  { name: 'driver_override', kind: 'file' },
  { name: 'numa_node', kind: 'file' },
  { name: 'iommu_group', kind: 'link' },
  { name: 'sriov_numvfs', kind: 'file' },
  { name: 'sriov_offset', kind: 'file' },
  { name: 'sriov_stride', kind: 'file' },
  { name: 'sriov_vf_device', kind: 'file' },
  { name: 'sriov_drivers_autoprobe', kind: 'file' },
  { name: 'net', kind: 'dir' },
] as const satisfies readonly SysfsEntry[];

/** Read once per PF netdev, relative to /sys/class/net/<ifname>. */
export const PF_NETDEV_ENTRIES = [
  { name: 'address', kind: 'file' },
  { name: 'mtu', kind: 'file' },
  { name: 'operstate', kind: 'file' },
  { name: 'speed', kind: 'file' },
] as const satisfies readonly SysfsEntry[];

/**
 * Read once per VF: the PF's `virtfnN` link (relative to the PF directory, during the scan), then
 * these, relative to the VF's own directory. Nothing else is read per VF, which keeps discovery
 * linear in VFs.
 */
export const VF_LINK_ENTRY_PREFIX = 'virtfn';
export const VF_SYSFS_ENTRIES = [
  { name: 'device', kind: 'file' },
  { name: 'driver', kind: 'link' },
  { name: 'driver_override', kind: 'file' },
  { name: 'iommu_group', kind: 'link' },
  { name: 'numa_node', kind: 'file' },
  { name: 'net', kind: 'dir' },
] as const satisfies readonly SysfsEntry[];

/** The device directory of a PCI function. */
export function pciDeviceDir(pci: string): string {
  return `${PCI_DEVICES_DIR}/${pci}`;
}

type ValueOf<K extends EntryReadKind> = K extends 'dir' ? string[] : string;

/** The outcome of every entry in a list, keyed by entry name. */
export type EntryReads<E extends readonly SysfsEntry[]> = {
  [X in E[number] as X['name']]: Outcome<ValueOf<X['kind']>>;
};

/** The path of an entry relative to a directory (`.` is the directory itself). */
export function entryPath(dir: string, entry: SysfsEntry): string {
  return entry.name === '.' ? dir : `${dir}/${entry.name}`;
}

/** Reads one entry through the seam the way its kind says (cat, readlink or ls). */
export function readEntry(
  host: HostReader,
  path: string,
  kind: EntryReadKind,
): Promise<Outcome<string | string[]>> {
  switch (kind) {
    case 'file':
      return tryReadFile(host, path);
    case 'link':
      return tryReadLink(host, path);
    case 'dir':
      return tryReadDir(host, path);
  }
}

/** Reads every entry of a list under `dir` concurrently; never throws. */
export async function readEntries<const E extends readonly SysfsEntry[]>(
  host: HostReader,
  dir: string,
  entries: E,
): Promise<EntryReads<E>> {
  const outcomes = await Promise.all(
    entries.map((e) => readEntry(host, entryPath(dir, e), e.kind)),
  );
  const out: Record<string, Outcome<string | string[]>> = {};
  entries.forEach((e, i) => {
    out[e.name] = outcomes[i]!;
  });
  return out as EntryReads<E>;
}
