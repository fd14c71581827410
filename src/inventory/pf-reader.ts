/**
 * Reads one PF: its PCI identity and SR-IOV state from sysfs (pf-sysfs.ts), its netdev
 * (pf-netdev.ts), its VFs and their netlink VF settings (pf-vfs.ts), versions and who else manages
 * it. A PF whose identity (vendor, device) is unreadable is skipped with an issue; everything else
 * degrades to null plus an issue.
 */
import type { LinkInfo } from '../host/host.js';
import type { IfName } from '../host/names.js';
import { readPfVersions } from './firmware.js';
import { failedReadIssue } from './issues.js';
import { detectManagers, type ManagementContext } from './managed-by.js';
import type { PfCandidate } from './pci-scan.js';
import { NO_NETDEV, pfNetdevName, readPfNetdev } from './pf-netdev.js';
import { readPfIdentity, readPfSysfs, type PfSysfs } from './pf-sysfs.js';
import {
  readableVfs,
  readVfsInOrder,
  vfAddressIssue,
  vfCountIssue,
  vfSnapshots,
} from './pf-vfs.js';
import { sriovConfigurableByName } from './sriov-drivers.js';
import { pciDeviceDir, PF_SYSFS_ENTRIES, readEntries } from './sysfs-entries.js';
import type { DiscoveryIssue, PfSnapshot } from './types.js';
import type { VfReadContext } from './vf-reader.js';

/** A PF without its human names, which discovery resolves for all PFs at once. */
export type PfDraft = Omit<PfSnapshot, 'vendorName' | 'deviceName'>;

/** What the whole discovery pass shares with each PF read. */
export interface PfReadContext extends VfReadContext {
  linksByName: ReadonlyMap<string, LinkInfo>;
  linksByParent: ReadonlyMap<string, LinkInfo>;
  routeCarriers: ReadonlySet<string>;
  managers: ManagementContext;
  /** vfio-pci's enable_sriov, read at most once per discovery. */
  vfioEnableSriov: () => Promise<boolean | null>;
}

/**
 * The PF's slow reads, run together: its VFs, netdev state, versions, managers and whether its
 * driver configures SR-IOV. Each keeps its issues apart so the final order does not depend on timing.
 */
async function readPfConcurrently(
  ctx: PfReadContext,
  candidate: PfCandidate,
  sysfs: PfSysfs,
  dir: string,
  netdev: IfName | null,
  link: LinkInfo | null,
) {
  const { pci } = candidate;
  const netIssues: DiscoveryIssue[] = [];
  const versionIssues: DiscoveryIssue[] = [];
  const vfParent = { pci, dir, numaNode: sysfs.numaNode, vfDeviceId: sysfs.vfDeviceId };
  const [vfReads, netState, versions, managedBy, sriovConfigurable] = await Promise.all([
    readVfsInOrder(ctx, vfParent, candidate.virtfns),
    netdev === null ? Promise.resolve(NO_NETDEV) : readPfNetdev(ctx.host, netdev, pci, netIssues),
    readPfVersions(ctx.host, pci, netdev, sysfs.driver, versionIssues),
    netdev === null
      ? Promise.resolve([])
      : detectManagers(ctx.host, ctx.managers, netdev, link?.ifindex ?? null),
    (async () => {
      const byName = sriovConfigurableByName(sysfs.driver);
      return byName === 'vfio-pci' ? ctx.vfioEnableSriov() : byName;
    })(),
  ]);
  return { vfReads, netState, versions, managedBy, sriovConfigurable, netIssues, versionIssues };
}

/** Whether the PF, or one of its VFs (destroyed by a numVfs change), carries the default route. */
function carriesDefaultRoute(
  ctx: PfReadContext,
  netdev: IfName | null,
  vfs: readonly { netdev: string | null }[],
): boolean {
  return (
    (netdev !== null && ctx.routeCarriers.has(netdev)) ||
    vfs.some((v) => v.netdev !== null && ctx.routeCarriers.has(v.netdev))
  );
}

/** Reads one PF the scan found; returns null (with issues) when unusable. */
export async function readPf(
  ctx: PfReadContext,
  candidate: PfCandidate,
  issues: DiscoveryIssue[],
): Promise<PfDraft | null> {
  const { pci, totalVfs } = candidate;
  const dir = pciDeviceDir(pci);
  const r = await readEntries(ctx.host, dir, PF_SYSFS_ENTRIES);
  const identity = readPfIdentity(r, dir, pci, issues);
  if (identity === null) return null;
  const sysfs = readPfSysfs(ctx, r, dir, pci, issues);
  const netdev = pfNetdevName(r.net, dir, ctx.linksByName, pci, issues);
  if (!candidate.listing.ok) issues.push(failedReadIssue(dir, candidate.listing, pci));
  const countIssue = vfCountIssue(candidate, sysfs.numVfsRead, dir);
  if (countIssue) issues.push(countIssue);

  const link =
    netdev === null ? null : (ctx.linksByName.get(netdev) ?? ctx.linksByParent.get(pci) ?? null);
  const slow = await readPfConcurrently(ctx, candidate, sysfs, dir, netdev, link);
  issues.push(...slow.netIssues, ...slow.versionIssues);
  const readVfs = readableVfs(slow.vfReads, pci, issues);
  const offset = sysfs.offsetRead ?? 0;
  const stride = sysfs.strideRead ?? 0;
  if (sysfs.offsetRead !== null && sysfs.strideRead !== null) {
    const addressIssue = vfAddressIssue(pci, dir, offset, stride, readVfs);
    if (addressIssue) issues.push(addressIssue);
  }
  const { vfs, configs } = vfSnapshots(pci, netdev, link, readVfs, ctx.linksByName, issues);

  return {
    pciAddress: pci,
    ...identity,
    subsystemVendorId: sysfs.subsystemVendorId,
    subsystemDeviceId: sysfs.subsystemDeviceId,
    classCode: sysfs.classCode,
    vfDeviceId: sysfs.vfDeviceId,
    driver: sysfs.driver,
    driverOverride: sysfs.driverOverride,
    sriovConfigurable: slow.sriovConfigurable,
    driverVersion: slow.versions.driverVersion,
    firmware: slow.versions.firmware,
    netdev,
    mac: slow.netState.mac,
    mtu: slow.netState.mtu,
    adminUp: link?.adminUp ?? null,
    linkUp: slow.netState.linkUp,
    speedMbps: slow.netState.speedMbps,
    numaNode: sysfs.numaNode,
    iommuGroup: sysfs.iommuGroup,
    totalVfs,
    // numvfs is state, not identity: if it is garbage the virtfn links still say how many VFs exist.
    numVfs: sysfs.numVfsRead ?? candidate.virtfns.length,
    vfOffset: offset,
    vfStride: stride,
    driversAutoprobe: sysfs.driversAutoprobe,
    eswitchMode: slow.versions.eswitchMode,
    carriesDefaultRoute: carriesDefaultRoute(ctx, netdev, vfs),
    managedBy: slow.managedBy,
    vfListTruncated: configs.vfListTruncated,
    unreadableVfs: configs.unreadableVfs,
    vfs,
  };
}
