/**
 * Reads one PF: its PCI identity and SR-IOV state from sysfs, its netdev, its VFs, its netlink VF
 * settings, versions and who else manages it. A PF whose identity (vendor, device) is unreadable is
 * skipped with an issue; everything else degrades to null plus an issue.
 */
import { UnsafeInputError } from '../host/errors.js';
import type { HostReader, LinkInfo } from '../host/host.js';
import { ifName, pciParts, formatPci, type IfName, type PciAddress } from '../host/names.js';
import { readPfVersions } from './firmware.js';
import type { PfCandidate, VirtfnLink } from './pci-scan.js';
import { failedReadIssue, issue, parseOr } from './issues.js';
import { detectManagers, type ManagementContext } from './managed-by.js';
import { isAbsent, type Outcome } from './seam-reads.js';
import { sriovConfigurableByName } from './sriov-drivers.js';
import {
  CLASS_NET_DIR,
  PF_NETDEV_ENTRIES,
  PF_SYSFS_ENTRIES,
  pciDeviceDir,
  readEntries,
  VF_LINK_ENTRY_PREFIX,
} from './sysfs-entries.js';
import type { DiscoveryIssue, PfSnapshot, VfSnapshot } from './types.js';
import { matchVfConfigs } from './vf-config.js';
import {
  driverFromLink,
  iommuGroupFromLink,
  readVf,
  type VfParent,
  type VfReadContext,
  type VfReadResult,
  type VfSysfs,
} from './vf-reader.js';
import {
  parseBareHexId,
  parseDecimal,
  parseDriverOverride,
  parseHexId,
  parseMac,
  parseSignedDecimal,
  parseZeroOne,
} from './values.js';

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

/** The address offset/stride predict for VF `i` (RID = PF RID + offset + stride * i, §1.4). */
export function predictedVfAddress(
  pf: PciAddress,
  offset: number,
  stride: number,
  i: number,
): PciAddress | null {
  const { domain, bus, dev, fn } = pciParts(pf);
  const rid = ((bus << 8) | (dev << 3) | fn) + offset + stride * i;
  if (rid > 0xffff) return null;
  return formatPci(domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

/** Picks the PF's own netdev among net/ entries (switchdev adds VF representors there). */
function choosePfNetdev(names: readonly string[], ctx: PfReadContext): string | null {
  if (names.length <= 1) return names[0] ?? null;
  return names.find((n) => ctx.linksByName.get(n)?.vfs !== undefined) ?? names[0]!;
}

interface PfNetdevState {
  mac: string | null;
  mtu: number | null;
  linkUp: boolean | null;
  speedMbps: number | null;
}

async function readPfNetdev(
  host: HostReader,
  netdev: string,
  pci: PciAddress,
  issues: DiscoveryIssue[],
): Promise<PfNetdevState> {
  const dir = `${CLASS_NET_DIR}/${netdev}`;
  const r = await readEntries(host, dir, PF_NETDEV_ENTRIES);
  const text = (o: Outcome<string>, name: string): string | null => {
    if (o.ok) return o.value;
    issues.push(failedReadIssue(`${dir}/${name}`, o, pci));
    return null;
  };
  const address = text(r.address, 'address');
  const mtu = text(r.mtu, 'mtu');
  const operstate = text(r.operstate, 'operstate');

  // speed fails with EINVAL while the interface is down and prints -1 when the link is unknown.
  let speedMbps: number | null = null;
  const speedPath = `${dir}/speed`;
  if (r.speed.ok) {
    const v = parseOr(issues, parseSignedDecimal, r.speed.value, speedPath, null, pci);
    speedMbps = v !== null && v > 0 ? v : null;
  } else if (r.speed.errno !== 'EINVAL') {
    issues.push(failedReadIssue(speedPath, r.speed, pci));
  }

  return {
    mac: address === null ? null : parseOr(issues, parseMac, address, `${dir}/address`, null, pci),
    mtu: mtu === null ? null : parseOr(issues, parseDecimal, mtu, `${dir}/mtu`, null, pci),
    linkUp: operstate === null ? null : operstate.trim() === 'up',
    speedMbps,
  };
}

/** Folds per-VF "missing entry" reports into one issue per entry name. */
function missingEntryIssues(
  missing: ReadonlyMap<string, { firstPath: string; vfs: number[] }>,
  pci: PciAddress,
): DiscoveryIssue[] {
  const out: DiscoveryIssue[] = [];
  for (const [name, { firstPath, vfs }] of missing) {
    const more = vfs.length > 1 ? ` (also missing on ${vfs.length - 1} more VFs of this PF)` : '';
    out.push(
      issue(
        'missing-entry',
        firstPath,
        `expected the VF's ${name} to exist; it is missing${more}`,
        pci,
      ),
    );
  }
  return out;
}

/**
 * Reads a PF's VFs one after another. Both seam implementations answer sysfs reads synchronously
 * (the Linux host uses readFileSync on purpose), so running hundreds of VF reads at once gains
 * nothing and keeps them all alive together, which measured ~15% slower at 8 x 256 VFs. The PF's
 * slow work (devlink, ethtool) still overlaps with this loop.
 */
async function readVfsInOrder(
  ctx: PfReadContext,
  parent: VfParent,
  virtfns: readonly VirtfnLink[],
): Promise<VfReadResult[]> {
  const out: VfReadResult[] = [];
  for (const link of virtfns) out.push(await readVf(ctx, parent, link));
  return out;
}

/** Reads one PF the scan found; returns null (with issues) when unusable. */
export async function readPf(
  ctx: PfReadContext,
  candidate: PfCandidate,
  issues: DiscoveryIssue[],
): Promise<PfDraft | null> {
  const { pci, totalVfs } = candidate;
  const { host } = ctx;
  const dir = pciDeviceDir(pci);
  const r = await readEntries(host, dir, PF_SYSFS_ENTRIES);
  const path = (name: string) => `${dir}/${name}`;

  // Identity: without vendor and device the PF cannot be named, matched by policy or trusted.
  const identity = (o: Outcome<string>, name: string): string | null => {
    if (!o.ok) {
      issues.push(failedReadIssue(path(name), o, pci));
      return null;
    }
    return parseOr(issues, parseHexId, o.value, path(name), null, pci);
  };
  const vendorId = identity(r.vendor, 'vendor');
  const deviceId = identity(r.device, 'device');
  if (vendorId === null || deviceId === null) {
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

  const optionalHex = (o: Outcome<string>, name: string, width: number): string | null => {
    if (!o.ok) {
      issues.push(failedReadIssue(path(name), o, pci));
      return null;
    }
    return parseOr(issues, (t, p) => parseHexId(t, p, width), o.value, path(name), null, pci);
  };
  const subsystemVendorId = optionalHex(r.subsystem_vendor, 'subsystem_vendor', 4);
  const subsystemDeviceId = optionalHex(r.subsystem_device, 'subsystem_device', 4);
  const classCode = optionalHex(r.class, 'class', 6);

  const driver = driverFromLink(r.driver, path('driver'), ctx.drivers, issues, pci);
  let driverOverride: string | null = null;
  if (r.driver_override.ok) {
    driverOverride = parseOr(
      issues,
      parseDriverOverride,
      r.driver_override.value,
      path('driver_override'),
      null,
      pci,
    );
  } else issues.push(failedReadIssue(path('driver_override'), r.driver_override, pci));

  let numaNode = -1;
  if (r.numa_node.ok)
    numaNode = parseOr(issues, parseSignedDecimal, r.numa_node.value, path('numa_node'), -1, pci);
  else issues.push(failedReadIssue(path('numa_node'), r.numa_node, pci));

  const iommuGroup = iommuGroupFromLink(
    r.iommu_group,
    path('iommu_group'),
    ctx.iommuGroups,
    issues,
    pci,
  );

  const sriovNumber = (o: Outcome<string>, name: string): number | null => {
    if (!o.ok) {
      issues.push(failedReadIssue(path(name), o, pci));
      return null;
    }
    return parseOr(issues, parseDecimal, o.value, path(name), null, pci);
  };
  const numVfsRead = sriovNumber(r.sriov_numvfs, 'sriov_numvfs');
  const offsetRead = sriovNumber(r.sriov_offset, 'sriov_offset');
  const strideRead = sriovNumber(r.sriov_stride, 'sriov_stride');

  let vfDeviceId: string | null = null;
  if (r.sriov_vf_device.ok) {
    vfDeviceId = parseOr(
      issues,
      parseBareHexId,
      r.sriov_vf_device.value,
      path('sriov_vf_device'),
      null,
      pci,
    );
  } else issues.push(failedReadIssue(path('sriov_vf_device'), r.sriov_vf_device, pci));

  let driversAutoprobe = true; // the kernel's default
  if (r.sriov_drivers_autoprobe.ok) {
    const v = parseOr(
      issues,
      parseZeroOne,
      r.sriov_drivers_autoprobe.value,
      path('sriov_drivers_autoprobe'),
      null,
      pci,
    );
    if (v !== null) driversAutoprobe = v;
  } else
    issues.push(failedReadIssue(path('sriov_drivers_autoprobe'), r.sriov_drivers_autoprobe, pci));

  const netNames = r.net.ok ? r.net.value : [];
  if (!r.net.ok && !isAbsent(r.net)) issues.push(failedReadIssue(path('net'), r.net, pci));
  let netdev: IfName | null = null;
  const chosen = choosePfNetdev(netNames, ctx);
  if (chosen !== null) {
    try {
      netdev = ifName(chosen);
    } catch (err) {
      if (!(err instanceof UnsafeInputError)) throw err;
      issues.push(
        issue(
          'malformed-value',
          `${path('net')}/${chosen}`,
          `expected an interface name, found ${JSON.stringify(chosen)}`,
          pci,
        ),
      );
    }
  }

  if (!candidate.listing.ok) issues.push(failedReadIssue(dir, candidate.listing, pci));
  const indexes = candidate.virtfns.map((v) => v.vfIndex);
  // numvfs is state, not identity: if it is garbage the virtfn links still say how many VFs exist.
  const numVfs = numVfsRead ?? indexes.length;
  const contiguous = indexes.every((v, i) => v === i);
  if (numVfsRead !== null && (numVfsRead !== indexes.length || !contiguous)) {
    issues.push(
      issue(
        'vf-count-mismatch',
        path('sriov_numvfs'),
        `sriov_numvfs says ${numVfsRead} but the PF has ${indexes.length} virtfn links${contiguous ? '' : ' with gaps'}; VFs may be changing (re-run discovery)`,
        pci,
      ),
    );
  }

  const link =
    netdev === null ? null : (ctx.linksByName.get(netdev) ?? ctx.linksByParent.get(pci) ?? null);
  const vfParent = { pci, dir, numaNode, vfDeviceId };
  // The concurrent reads below keep their issues apart so the final order does not depend on timing.
  const netIssues: DiscoveryIssue[] = [];
  const versionIssues: DiscoveryIssue[] = [];

  const [vfReads, netState, versions, managedBy, sriovConfigurable] = await Promise.all([
    readVfsInOrder(ctx, vfParent, candidate.virtfns),
    netdev === null
      ? Promise.resolve<PfNetdevState>({ mac: null, mtu: null, linkUp: null, speedMbps: null })
      : readPfNetdev(host, netdev, pci, netIssues),
    readPfVersions(host, pci, netdev, driver, versionIssues),
    netdev === null
      ? Promise.resolve([])
      : detectManagers(host, ctx.managers, netdev, link?.ifindex ?? null),
    (async () => {
      const byName = sriovConfigurableByName(driver);
      return byName === 'vfio-pci' ? ctx.vfioEnableSriov() : byName;
    })(),
  ]);

  issues.push(...netIssues, ...versionIssues);
  const missing = new Map<string, { firstPath: string; vfs: number[] }>();
  const readVfs: VfSysfs[] = [];
  for (const res of vfReads) {
    issues.push(...res.issues);
    if (!res.ok) continue;
    readVfs.push(res.vf);
    for (const name of res.missing) {
      const m = missing.get(name);
      if (m) m.vfs.push(res.vf.vfIndex);
      else
        missing.set(name, {
          firstPath: `${pciDeviceDir(res.vf.pciAddress)}/${name}`,
          vfs: [res.vf.vfIndex],
        });
    }
  }
  issues.push(...missingEntryIssues(missing, pci));

  const offset = offsetRead ?? 0;
  const stride = strideRead ?? 0;
  if (offsetRead !== null && strideRead !== null) {
    const odd = readVfs.filter(
      (v) => predictedVfAddress(pci, offset, stride, v.vfIndex) !== v.pciAddress,
    );
    if (odd.length > 0) {
      const first = odd[0]!;
      issues.push(
        issue(
          'vf-address-mismatch',
          `${dir}/${VF_LINK_ENTRY_PREFIX}${first.vfIndex}`,
          `points to ${first.pciAddress} but offset ${offset} / stride ${stride} predict ${predictedVfAddress(pci, offset, stride, first.vfIndex) ?? 'an address beyond the bus range'}${odd.length > 1 ? ` (${odd.length} VFs disagree)` : ''}; the link is trusted`,
          pci,
        ),
      );
    }
  }

  const configs = matchVfConfigs(
    pci,
    netdev,
    link,
    readVfs.map((v) => v.vfIndex),
    issues,
  );
  const vfs: VfSnapshot[] = readVfs.map((v) => ({
    ...v,
    // The VF netdev's own MTU, from the same link dump (no extra read per VF).
    netdevMtu: v.netdev === null ? null : (ctx.linksByName.get(v.netdev)?.mtu ?? null),
    config: configs.byIndex.get(v.vfIndex) ?? null,
  }));

  const carriesDefaultRoute =
    (netdev !== null && ctx.routeCarriers.has(netdev)) ||
    // Changing numVfs destroys VF netdevs, so a VF carrying the default route counts too.
    vfs.some((v) => v.netdev !== null && ctx.routeCarriers.has(v.netdev));

  return {
    pciAddress: pci,
    vendorId,
    deviceId,
    subsystemVendorId,
    subsystemDeviceId,
    classCode,
    vfDeviceId,
    driver,
    driverOverride,
    sriovConfigurable,
    driverVersion: versions.driverVersion,
    firmware: versions.firmware,
    netdev,
    mac: netState.mac,
    mtu: netState.mtu,
    adminUp: link?.adminUp ?? null,
    linkUp: netState.linkUp,
    speedMbps: netState.speedMbps,
    numaNode,
    iommuGroup,
    totalVfs,
    numVfs,
    vfOffset: offset,
    vfStride: stride,
    driversAutoprobe,
    eswitchMode: versions.eswitchMode,
    carriesDefaultRoute,
    managedBy,
    vfListTruncated: configs.vfListTruncated,
    unreadableVfs: configs.unreadableVfs,
    vfs,
  };
}
