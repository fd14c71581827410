/**
 * Discovery: one pass over the host seam that yields a frozen snapshot of every SR-IOV PF and VF.
 * Machine-wide reads (PCI device list, link dump, default routes, driver and IOMMU group lists) are
 * issued once and shared; PFs and their VFs are then read concurrently.
 */
import type { DefaultRoute, HostReader, LinkDump, LinkInfo } from '../host/host.js';
import { defaultRouteCarriers } from './default-route.js';
import { deepFreeze } from './freeze.js';
import { gatherHostFacts } from './host-facts.js';
import { failedReadIssue, issue } from './issues.js';
import { createManagementContext } from './managed-by.js';
import { discoverNetdevsim } from './netdevsim.js';
import { loadPciIds, lookupPciNames } from './pci-names.js';
import { scanForPfs } from './pci-scan.js';
import { readPf, type PfDraft, type PfReadContext } from './pf-reader.js';
import { isAbsent, tryCall, tryReadDir, type Outcome } from './seam-reads.js';
import { readVfioEnableSriov } from './sriov-drivers.js';
import { IOMMU_GROUPS_DIR, PCI_DRIVERS_DIR } from './sysfs-entries.js';
import type { DiscoveryIssue, Inventory, PfSnapshot } from './types.js';

export interface DiscoverOptions {
  /** Read PCI names from this pci.ids instead of the distribution's locations. */
  pciIdsPath?: string;
  /** Clock for `takenAt` (tests pin it). */
  now?: () => Date;
}

/** A directory listing as a set, or null (with an issue unless absent) when unreadable. */
async function listingSet<T>(
  listing: Promise<Outcome<string[]>>,
  dir: string,
  map: (name: string) => T | null,
  issues: DiscoveryIssue[] | null,
): Promise<Set<T> | null> {
  const read = await listing;
  if (!read.ok) {
    // No iommu_groups directory means no IOMMU: every group link would be dangling, and that is
    // exactly what an empty set reports.
    if (isAbsent(read)) return new Set();
    issues?.push(failedReadIssue(dir, read));
    return null;
  }
  const out = new Set<T>();
  for (const name of read.value) {
    const v = map(name);
    if (v !== null) out.add(v);
  }
  return out;
}

function indexLinks(dump: LinkDump | null): {
  byName: Map<string, LinkInfo>;
  byParent: Map<string, LinkInfo>;
} {
  const byName = new Map<string, LinkInfo>();
  const byParent = new Map<string, LinkInfo>();
  for (const link of dump?.links ?? []) {
    byName.set(link.ifname, link);
    // Representors share the PF as parent; the first link with a VF list is the PF itself.
    if (link.parentBus === 'pci' && link.parentDev !== undefined) {
      const prev = byParent.get(link.parentDev);
      if (!prev || (prev.vfs === undefined && link.vfs !== undefined))
        byParent.set(link.parentDev, link);
    }
  }
  return { byName, byParent };
}

/** Sorts issues gathered by concurrent reads so the same host always yields the same list. */
function byPath(a: DiscoveryIssue, b: DiscoveryIssue): number {
  return a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
}

/** Reads the host once and returns a deeply frozen inventory of every SR-IOV PF and VF. */
export async function discover(host: HostReader, opts: DiscoverOptions = {}): Promise<Inventory> {
  const takenAt = (opts.now ?? (() => new Date()))().toISOString();
  // Concurrent reads record into separate lists, joined in a fixed order at the end.
  const scanIssues: DiscoveryIssue[] = [];
  const hostIssues: DiscoveryIssue[] = [];
  const sharedIssues: DiscoveryIssue[] = [];

  // Listed once: host facts count the groups, PF and VF reads check group links against them.
  const groupsListing = tryReadDir(host, IOMMU_GROUPS_DIR);
  const [candidates, dumpRead, routesRead, drivers, iommuGroups] = await Promise.all([
    scanForPfs(host, scanIssues),
    tryCall(() => host.linkDump()),
    tryCall(() => host.defaultRoutes()),
    listingSet(tryReadDir(host, PCI_DRIVERS_DIR), PCI_DRIVERS_DIR, (n) => n, hostIssues),
    // Host facts report a failed listing; this use only needs the group numbers.
    listingSet(
      groupsListing,
      IOMMU_GROUPS_DIR,
      (n) => (/^[0-9]+$/.test(n) ? Number(n) : null),
      null,
    ),
  ]);

  if (!dumpRead.ok) {
    hostIssues.push(
      issue(
        'command-failed',
        'ip -j -d -s link show',
        `link dump failed; VF settings are unknown: ${dumpRead.message}`,
      ),
    );
  }
  let routes: DefaultRoute[] = [];
  if (routesRead.ok) routes = routesRead.value;
  else
    hostIssues.push(
      issue(
        'command-failed',
        'ip -j route show default',
        `could not list default routes: ${routesRead.message}`,
      ),
    );

  const { byName, byParent } = indexLinks(dumpRead.ok ? dumpRead.value : null);
  let vfioEnableSriov: Promise<boolean | null> | undefined;
  const [routeCarriers, hostFacts] = await Promise.all([
    defaultRouteCarriers(host, routes),
    gatherHostFacts(host, {
      issues: hostIssues,
      defaultRoutes: routes,
      iommuGroups: groupsListing,
    }),
  ]);
  const ctx: PfReadContext = {
    host,
    drivers,
    iommuGroups,
    linksByName: byName,
    linksByParent: byParent,
    routeCarriers,
    managers: createManagementContext(host, sharedIssues),
    vfioEnableSriov: () => (vfioEnableSriov ??= readVfioEnableSriov(host, sharedIssues)),
  };

  candidates.sort((a, b) => a.pci.localeCompare(b.pci));
  const nsimIssues: DiscoveryIssue[] = [];
  const [perPf, nsimPfs] = await Promise.all([
    Promise.all(
      candidates.map(async (c) => {
        const issues: DiscoveryIssue[] = [];
        const pf = await readPf(ctx, c, issues);
        return { pf, issues };
      }),
    ),
    // netdevsim devices are not PCI: they come after the PCI PFs, marked bus: 'netdevsim'.
    discoverNetdevsim(ctx, nsimIssues),
  ]);
  const drafts = perPf.map((p) => p.pf).filter((p): p is PfDraft => p !== null);

  // One pci.ids read for all PFs; VF names are not needed in the snapshot.
  const index = drafts.length > 0 ? await loadPciIds(host, opts.pciIdsPath) : null;
  if (drafts.length > 0 && index === null && opts.pciIdsPath !== undefined) {
    sharedIssues.push(
      issue('read-failed', opts.pciIdsPath, 'could not read pci.ids; using built-in names'),
    );
  }
  const pfs: PfSnapshot[] = drafts.map((d) => {
    const names = lookupPciNames(index, { vendorId: d.vendorId, deviceId: d.deviceId });
    // Names sit next to the IDs they describe, for readable JSON.
    const { pciAddress, vendorId, deviceId, subsystemVendorId, subsystemDeviceId, ...rest } = d;
    return {
      pciAddress,
      vendorId,
      deviceId,
      subsystemVendorId,
      subsystemDeviceId,
      vendorName: names.vendorName,
      deviceName: names.deviceName,
      ...rest,
    };
  });

  const inventory: Inventory = {
    takenAt,
    host: hostFacts,
    pfs: [...pfs, ...nsimPfs],
    issues: [
      ...scanIssues,
      ...hostIssues.sort(byPath),
      ...perPf.flatMap((p) => p.issues),
      ...nsimIssues,
      ...sharedIssues.sort(byPath),
    ],
  };
  return deepFreeze(inventory);
}
