/**
 * Finding PFs: list /sys/bus/pci/devices and keep the functions with `sriov_totalvfs` (only PFs
 * have sriov_* files, linux-sriov-abi.md §1.1). Most PCI functions on an SR-IOV host are VFs, so the
 * scan reads each PF's directory and `virtfnN` links as soon as it meets the PF and then skips the
 * VFs those links name instead of probing them too.
 */
import type { HostReader } from '../host/host.js';
import { isPciAddress, type PciAddress } from '../host/names.js';
import { failedReadIssue, issue, parseOr } from './issues.js';
import {
  isAbsent,
  tryCall,
  tryReadDir,
  tryReadFile,
  tryReadLink,
  type Outcome,
} from './seam-reads.js';
import {
  PCI_DEVICES_DIR,
  PF_MARKER_ENTRY,
  pciDeviceDir,
  VF_LINK_ENTRY_PREFIX,
} from './sysfs-entries.js';
import type { DiscoveryIssue } from './types.js';
import { linkBasename, parseDecimal } from './values.js';

/** One `virtfnN` link of a PF, read during the scan. */
export interface VirtfnLink {
  vfIndex: number;
  path: string;
  target: Outcome<string>;
}

/** A PF found by the scan: its totalvfs, its directory listing and its virtfn links. */
export interface PfCandidate {
  pci: PciAddress;
  totalVfs: number;
  listing: Outcome<string[]>;
  virtfns: VirtfnLink[];
}

const VIRTFN_RE = new RegExp(`^${VF_LINK_ENTRY_PREFIX}([0-9]+)$`);

/** The VF indexes a PF directory listing shows (`virtfn0`, `virtfn1`, ...), ascending. */
export function virtfnIndexes(entries: readonly string[]): number[] {
  const out: number[] = [];
  for (const e of entries) {
    const m = VIRTFN_RE.exec(e);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** Reads a PF's directory listing and each of its virtfn links. */
async function readVirtfns(
  host: HostReader,
  pci: PciAddress,
): Promise<Pick<PfCandidate, 'listing' | 'virtfns'>> {
  const dir = pciDeviceDir(pci);
  const listing = await tryReadDir(host, dir);
  const indexes = listing.ok ? virtfnIndexes(listing.value) : [];
  const virtfns = await Promise.all(
    indexes.map(async (vfIndex) => {
      const path = `${dir}/${VF_LINK_ENTRY_PREFIX}${vfIndex}`;
      return { vfIndex, path, target: await tryReadLink(host, path) };
    }),
  );
  return { listing, virtfns };
}

/**
 * Scans the PCI devices in listing order. A VF's routing ID is its PF's plus a non-zero offset, so
 * in the sorted listing a PF comes before its VFs and its links let the scan skip them. Each
 * device costs one lstat of the marker only when no PF has claimed it. (A virtfn link naming
 * another PF would hide that PF; the kernel never makes one, and readPf flags links that disagree
 * with offset/stride.)
 */
export async function scanForPfs(
  host: HostReader,
  issues: DiscoveryIssue[],
): Promise<PfCandidate[]> {
  const list = await tryReadDir(host, PCI_DEVICES_DIR);
  if (!list.ok) {
    issues.push(failedReadIssue(PCI_DEVICES_DIR, list));
    return [];
  }
  const knownVfs = new Set<string>();
  const found: PfCandidate[] = [];
  for (const name of list.value) {
    if (knownVfs.has(name)) continue;
    if (!isPciAddress(name)) {
      issues.push(
        issue(
          'malformed-value',
          `${PCI_DEVICES_DIR}/${name}`,
          'expected a PCI address like 0000:3b:00.0 as the entry name',
        ),
      );
      continue;
    }
    const path = `${pciDeviceDir(name)}/${PF_MARKER_ENTRY.name}`;
    // lstat answers "absent" without an error, which is cheaper than a failed read on every VF.
    const kind = await tryCall(() => host.entryKind(path));
    if (kind.ok && kind.value === null) continue;
    const read = await tryReadFile(host, path);
    if (!read.ok) {
      if (!isAbsent(read)) issues.push(failedReadIssue(path, read, name));
      continue;
    }
    const totalVfs = parseOr(issues, parseDecimal, read.value, path, null, name);
    if (totalVfs === null) {
      issues.push(
        issue('pf-skipped', pciDeviceDir(name), 'PF skipped: sriov_totalvfs is unreadable', name),
      );
      continue;
    }
    const { listing, virtfns } = await readVirtfns(host, name);
    for (const v of virtfns) if (v.target.ok) knownVfs.add(linkBasename(v.target.value));
    found.push({ pci: name, totalVfs, listing, virtfns });
  }
  return found;
}
