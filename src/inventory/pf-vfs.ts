/**
 * A PF's VFs as discovery reads them: one after another, with per-VF missing entries folded into one
 * issue per entry, the VF count and addresses checked against what the PF says, and each VF's
 * netlink settings and netdev MTU joined in.
 */
import type { LinkInfo } from '../host/host.js';
import { formatPci, pciParts, type IfName, type PciAddress } from '../host/names.js';
import { issue } from './issues.js';
import type { PfCandidate, VirtfnLink } from './pci-scan.js';
import { pciDeviceDir, VF_LINK_ENTRY_PREFIX } from './sysfs-entries.js';
import type { DiscoveryIssue, VfSnapshot } from './types.js';
import { matchVfConfigs } from './vf-config.js';
import {
  readVf,
  type VfParent,
  type VfReadContext,
  type VfReadResult,
  type VfSysfs,
} from './vf-reader.js';

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

/**
 * Reads a PF's VFs one after another. Both seam implementations answer sysfs reads synchronously
 * (the Linux host uses readFileSync on purpose), so running hundreds of VF reads at once gains
 * nothing and keeps them all alive together, which measured ~15% slower at 8 x 256 VFs. The PF's
 * slow work (devlink, ethtool) still overlaps with this loop.
 */
export async function readVfsInOrder(
  ctx: VfReadContext,
  parent: VfParent,
  virtfns: readonly VirtfnLink[],
): Promise<VfReadResult[]> {
  const out: VfReadResult[] = [];
  for (const link of virtfns) out.push(await readVf(ctx, parent, link));
  return out;
}

/** A `vf-count-mismatch` issue when sriov_numvfs disagrees with the virtfn links (or they have gaps). */
export function vfCountIssue(
  candidate: PfCandidate,
  numVfsRead: number | null,
  dir: string,
): DiscoveryIssue | null {
  const indexes = candidate.virtfns.map((v) => v.vfIndex);
  const contiguous = indexes.every((v, i) => v === i);
  if (numVfsRead === null || (numVfsRead === indexes.length && contiguous)) return null;
  return issue(
    'vf-count-mismatch',
    `${dir}/sriov_numvfs`,
    `sriov_numvfs says ${numVfsRead} but the PF has ${indexes.length} virtfn links${contiguous ? '' : ' with gaps'}; VFs may be changing (re-run discovery)`,
    candidate.pci,
  );
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

/** The VFs that could be read, with their issues (missing entries folded) added to `issues`. */
export function readableVfs(
  vfReads: readonly VfReadResult[],
  pci: PciAddress,
  issues: DiscoveryIssue[],
): VfSysfs[] {
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
  return readVfs;
}

/** A `vf-address-mismatch` issue when virtfn links disagree with offset/stride (the link is trusted). */
export function vfAddressIssue(
  pci: PciAddress,
  dir: string,
  offset: number,
  stride: number,
  vfs: readonly VfSysfs[],
): DiscoveryIssue | null {
  const odd = vfs.filter(
    (v) => predictedVfAddress(pci, offset, stride, v.vfIndex) !== v.pciAddress,
  );
  if (odd.length === 0) return null;
  const first = odd[0]!;
  return issue(
    'vf-address-mismatch',
    `${dir}/${VF_LINK_ENTRY_PREFIX}${first.vfIndex}`,
    `points to ${first.pciAddress} but offset ${offset} / stride ${stride} predict ${predictedVfAddress(pci, offset, stride, first.vfIndex) ?? 'an address beyond the bus range'}${odd.length > 1 ? ` (${odd.length} VFs disagree)` : ''}; the link is trusted`,
    pci,
  );
}

/** The VFs' snapshots: sysfs joined with the PF's netlink VF list and each VF netdev's MTU. */
export function vfSnapshots(
  pci: PciAddress,
  netdev: IfName | null,
  link: LinkInfo | null,
  readVfs: readonly VfSysfs[],
  linksByName: ReadonlyMap<string, LinkInfo>,
  issues: DiscoveryIssue[],
): { vfs: VfSnapshot[]; configs: ReturnType<typeof matchVfConfigs> } {
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
    netdevMtu: v.netdev === null ? null : (linksByName.get(v.netdev)?.mtu ?? null),
    config: configs.byIndex.get(v.vfIndex) ?? null,
  }));
  return { vfs, configs };
}
