/**
 * Reads one VF: its `virtfnN` link from the PF, then exactly VF_SYSFS_ENTRIES from its own
 * directory, all at once. Nothing here lists a directory that grows with the number of VFs, so
 * discovery stays linear in VFs.
 */
import type { HostReader } from '../host/host.js';
import type { PciAddress } from '../host/names.js';
import { failedReadIssue, issue, malformedIssue, parseOr } from './issues.js';
import type { VirtfnLink } from './pci-scan.js';
import { isAbsent, type Outcome } from './seam-reads.js';
import { pciDeviceDir, readEntries, VF_SYSFS_ENTRIES } from './sysfs-entries.js';
import type { DiscoveryIssue } from './types.js';
import {
  parseDriverLink,
  parseDriverOverride,
  parseHexId,
  parseIommuGroupLink,
  parseSignedDecimal,
  parseVirtfnLink,
} from './values.js';

/** What the whole discovery pass knows that a VF read needs (read once, not per VF). */
export interface VfReadContext {
  host: HostReader;
  /** Names under /sys/bus/pci/drivers, to catch dangling driver links; null if unreadable. */
  drivers: ReadonlySet<string> | null;
  /** Groups under /sys/kernel/iommu_groups, to catch dangling group links; null if unreadable. */
  iommuGroups: ReadonlySet<number> | null;
}

/** What the PF contributes to each of its VFs' reads. */
export interface VfParent {
  pci: PciAddress;
  dir: string;
  numaNode: number;
  vfDeviceId: string | null;
}

/** A VF as sysfs shows it, before netlink settings are attached. */
export interface VfSysfs {
  vfIndex: number;
  pciAddress: PciAddress;
  deviceId: string;
  driver: string | null;
  driverOverride: string | null;
  netdev: string | null;
  iommuGroup: number | null;
  numaNode: number;
}

export type VfReadResult =
  | {
      ok: true;
      vf: VfSysfs;
      issues: DiscoveryIssue[];
      /** Entries Linux always provides that were absent; the PF folds these into one issue each. */
      missing: string[];
    }
  | { ok: false; issues: DiscoveryIssue[] };

/** Driver name from a `driver` link outcome; null when unbound, dangling or malformed. */
export function driverFromLink(
  read: Outcome<string>,
  path: string,
  drivers: ReadonlySet<string> | null,
  issues: DiscoveryIssue[],
  pci: PciAddress,
): string | null {
  if (!read.ok) {
    if (!isAbsent(read)) issues.push(failedReadIssue(path, read, pci));
    return null;
  }
  const name = parseOr(issues, parseDriverLink, read.value, path, null, pci);
  if (name !== null && drivers !== null && !drivers.has(name)) {
    issues.push(
      issue(
        'dangling-link',
        path,
        `points to driver ${name}, which is not in /sys/bus/pci/drivers; treating the device as unbound`,
        pci,
      ),
    );
    return null;
  }
  return name;
}

/** IOMMU group from an `iommu_group` link outcome; null when absent (IOMMU off), dangling or malformed. */
export function iommuGroupFromLink(
  read: Outcome<string>,
  path: string,
  groups: ReadonlySet<number> | null,
  issues: DiscoveryIssue[],
  pci: PciAddress,
): number | null {
  if (!read.ok) {
    if (!isAbsent(read)) issues.push(failedReadIssue(path, read, pci));
    return null;
  }
  const group = parseOr(issues, parseIommuGroupLink, read.value, path, null, pci);
  if (group !== null && groups !== null && !groups.has(group)) {
    issues.push(
      issue('dangling-link', path, `points to IOMMU group ${group}, which does not exist`, pci),
    );
    return null;
  }
  return group;
}

/** Reads the VF a PF's `virtfnN` link (read by the scan) names; never throws. */
export async function readVf(
  ctx: VfReadContext,
  parent: VfParent,
  virtfn: VirtfnLink,
): Promise<VfReadResult> {
  const { host } = ctx;
  const pfPci = parent.pci;
  const { vfIndex, path: linkPath, target: link } = virtfn;
  if (!link.ok) {
    return {
      ok: false,
      issues: [issue('vf-skipped', linkPath, `VF ${vfIndex} skipped: ${link.message}`, pfPci)],
    };
  }
  let pci: PciAddress;
  try {
    pci = parseVirtfnLink(link.value, linkPath);
  } catch (err) {
    const bad = malformedIssue(err, linkPath, pfPci);
    return { ok: false, issues: [{ ...bad, message: `VF ${vfIndex} skipped: ${bad.message}` }] };
  }

  const dir = pciDeviceDir(pci);
  const r = await readEntries(host, dir, VF_SYSFS_ENTRIES);
  const issues: DiscoveryIssue[] = [];
  const missing: string[] = [];

  // Every PCI device has `device` and `numa_node`; with neither, the link leads to no device
  // directory (the VF was removed, or the link dangles). Nothing about this VF can be trusted.
  if (isAbsent(r.device) && isAbsent(r.numa_node)) {
    return {
      ok: false,
      issues: [
        issue(
          'dangling-link',
          linkPath,
          `VF ${vfIndex} skipped: points to ${pci}, which has no readable device directory`,
          pfPci,
        ),
      ],
    };
  }

  let deviceId = parent.vfDeviceId;
  const devicePath = `${dir}/device`;
  if (r.device.ok) {
    deviceId = parseOr(issues, parseHexId, r.device.value, devicePath, parent.vfDeviceId, pfPci);
  } else if (isAbsent(r.device)) missing.push('device');
  else issues.push(failedReadIssue(devicePath, r.device, pfPci));
  if (deviceId === null) {
    issues.push(
      issue(
        'vf-skipped',
        devicePath,
        `VF ${vfIndex} skipped: no usable device ID here or in the PF's sriov_vf_device`,
        pfPci,
      ),
    );
    return { ok: false, issues };
  }

  const driver = driverFromLink(r.driver, `${dir}/driver`, ctx.drivers, issues, pfPci);

  let driverOverride: string | null = null;
  const overridePath = `${dir}/driver_override`;
  if (r.driver_override.ok) {
    driverOverride = parseOr(
      issues,
      parseDriverOverride,
      r.driver_override.value,
      overridePath,
      null,
      pfPci,
    );
  } else if (isAbsent(r.driver_override)) missing.push('driver_override');
  else issues.push(failedReadIssue(overridePath, r.driver_override, pfPci));

  const iommuGroup = iommuGroupFromLink(
    r.iommu_group,
    `${dir}/iommu_group`,
    ctx.iommuGroups,
    issues,
    pfPci,
  );

  // A VF sits on the PF's bus, so the PF's node is the right fallback.
  let numaNode = parent.numaNode;
  const numaPath = `${dir}/numa_node`;
  if (r.numa_node.ok) {
    numaNode = parseOr(
      issues,
      parseSignedDecimal,
      r.numa_node.value,
      numaPath,
      parent.numaNode,
      pfPci,
    );
  } else if (isAbsent(r.numa_node)) missing.push('numa_node');
  else issues.push(failedReadIssue(numaPath, r.numa_node, pfPci));

  // net/ exists only while a netdev driver is bound; a VF has at most one netdev.
  let netdev: string | null = null;
  if (r.net.ok) netdev = r.net.value[0] ?? null;
  else if (!isAbsent(r.net)) issues.push(failedReadIssue(`${dir}/net`, r.net, pfPci));

  return {
    ok: true,
    vf: {
      vfIndex,
      pciAddress: pci,
      deviceId,
      driver,
      driverOverride,
      netdev,
      iommuGroup,
      numaNode,
    },
    issues,
    missing,
  };
}
