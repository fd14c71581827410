/**
 * What a PF's own sysfs directory says: its identity (vendor, device), where it sits (class,
 * subsystem, NUMA node, IOMMU group), its driver, and its SR-IOV numbers. Every unreadable or
 * malformed entry becomes null (or the kernel's default) plus an issue.
 */
import type { PciAddress } from '../host/names.js';
import { issue, readOr } from './issues.js';
import { type EntryReads, PF_SYSFS_ENTRIES } from './sysfs-entries.js';
import type { DiscoveryIssue } from './types.js';
import {
  parseBareHexId,
  parseDecimal,
  parseDriverOverride,
  parseHexId,
  parseSignedDecimal,
  parseZeroOne,
} from './values.js';
import { driverFromLink, iommuGroupFromLink, type VfReadContext } from './vf-reader.js';

/** The reads of a PF's sysfs directory. */
export type PfEntryReads = EntryReads<typeof PF_SYSFS_ENTRIES>;

/** Who made the PF: without it the PF cannot be named, matched by policy or trusted. */
export interface PfIdentity {
  vendorId: string;
  deviceId: string;
}

/** The rest of what the PF's sysfs directory says. */
export interface PfSysfs {
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  classCode: string | null;
  driver: string | null;
  driverOverride: string | null;
  numaNode: number;
  iommuGroup: number | null;
  /** sriov_numvfs, offset and stride as read (null: unreadable). */
  numVfsRead: number | null;
  offsetRead: number | null;
  strideRead: number | null;
  vfDeviceId: string | null;
  driversAutoprobe: boolean;
}

/** The PF's vendor and device; null (with a `pf-skipped` issue) when either cannot be read. */
export function readPfIdentity(
  r: PfEntryReads,
  dir: string,
  pci: PciAddress,
  issues: DiscoveryIssue[],
): PfIdentity | null {
  const vendorId = readOr(issues, r.vendor, parseHexId, `${dir}/vendor`, null, pci);
  const deviceId = readOr(issues, r.device, parseHexId, `${dir}/device`, null, pci);
  if (vendorId !== null && deviceId !== null) return { vendorId, deviceId };
  issues.push(
    issue(
      'pf-skipped',
      dir,
      'PF skipped: its vendor/device identity could not be read (see the issues above)',
      pci,
    ),
  );
  return null;
}

/** Everything else the PF's sysfs directory says, in the order its issues are reported. */
export function readPfSysfs(
  ctx: VfReadContext,
  r: PfEntryReads,
  dir: string,
  pci: PciAddress,
  issues: DiscoveryIssue[],
): PfSysfs {
  const path = (name: string) => `${dir}/${name}`;
  const hex = (width: number) => (t: string, p: string) => parseHexId(t, p, width);
  return {
    subsystemVendorId: readOr(
      issues,
      r.subsystem_vendor,
      hex(4),
      path('subsystem_vendor'),
      null,
      pci,
    ),
    subsystemDeviceId: readOr(
      issues,
      r.subsystem_device,
      hex(4),
      path('subsystem_device'),
      null,
      pci,
    ),
    classCode: readOr(issues, r.class, hex(6), path('class'), null, pci),
    driver: driverFromLink(r.driver, path('driver'), ctx.drivers, issues, pci),
    driverOverride: readOr(
      issues,
      r.driver_override,
      parseDriverOverride,
      path('driver_override'),
      null,
      pci,
    ),
    numaNode: readOr(issues, r.numa_node, parseSignedDecimal, path('numa_node'), -1, pci),
    iommuGroup: iommuGroupFromLink(
      r.iommu_group,
      path('iommu_group'),
      ctx.iommuGroups,
      issues,
      pci,
    ),
    numVfsRead: readOr(issues, r.sriov_numvfs, parseDecimal, path('sriov_numvfs'), null, pci),
    offsetRead: readOr(issues, r.sriov_offset, parseDecimal, path('sriov_offset'), null, pci),
    strideRead: readOr(issues, r.sriov_stride, parseDecimal, path('sriov_stride'), null, pci),
    vfDeviceId: readOr(
      issues,
      r.sriov_vf_device,
      parseBareHexId,
      path('sriov_vf_device'),
      null,
      pci,
    ),
    // An unreadable or malformed value leaves the kernel's default.
    driversAutoprobe: readOr(
      issues,
      r.sriov_drivers_autoprobe,
      parseZeroOne,
      path('sriov_drivers_autoprobe'),
      true,
      pci,
    ),
  };
}
