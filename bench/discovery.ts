/**
 * Discovery of a simulated host with 8 PFs x 256 VFs, against a floor measured in the same run:
 * a minimal loop that issues the same seam reads discovery needs (the same sysfs entries from
 * src/inventory/sysfs-entries.ts, one link dump) and does nothing with the answers.
 */
import type { Host } from '../src/host/host.js';
import { loadSimHost } from '../src/host/sim/index.js';
import { discover } from '../src/inventory/discover.js';
import {
  CLASS_NET_DIR,
  PCI_DEVICES_DIR,
  PF_MARKER_ENTRY,
  PF_NETDEV_ENTRIES,
  PF_SYSFS_ENTRIES,
  VF_SYSFS_ENTRIES,
  entryPath,
  pciDeviceDir,
  readEntry,
} from '../src/inventory/sysfs-entries.js';
import { compare, fmtMs, type Comparison } from './harness.js';

/** The same reads as discovery, in the same order, without parsing or building a snapshot. */
async function floor(host: Host): Promise<number> {
  let reads = 0;
  const devices = await host.readDir(PCI_DEVICES_DIR);
  const vfs = new Set<string>();
  await host.linkDump();
  for (const name of devices) {
    if (vfs.has(name)) continue;
    const dir = pciDeviceDir(name);
    reads++;
    if ((await host.entryKind(`${dir}/${PF_MARKER_ENTRY.name}`)) === null) continue;
    await host.readFile(`${dir}/${PF_MARKER_ENTRY.name}`);
    const listing = await host.readDir(dir);
    const links: string[] = [];
    for (const e of listing) {
      if (!e.startsWith('virtfn')) continue;
      const target = await host.readLink(`${dir}/${e}`);
      links.push(target.slice(target.lastIndexOf('/') + 1));
      reads++;
    }
    for (const e of PF_SYSFS_ENTRIES) {
      await readEntry(host, entryPath(dir, e), e.kind);
      reads++;
    }
    const net = await host.readDir(`${dir}/net`);
    for (const e of PF_NETDEV_ENTRIES) {
      await readEntry(host, `${CLASS_NET_DIR}/${net[0]}/${e.name}`, e.kind);
      reads++;
    }
    for (const vf of links) {
      vfs.add(vf);
      for (const e of VF_SYSFS_ENTRIES) {
        await readEntry(host, entryPath(pciDeviceDir(vf), e), e.kind);
        reads++;
      }
    }
  }
  return reads;
}

/** Runs the discovery benchmark and returns its comparison. */
export async function benchDiscovery(): Promise<
  Comparison & { vfs: number; pfs: number; reads: number }
> {
  const host = await loadSimHost('e810-8x256', { timing: 'off' });
  try {
    const inv = await discover(host);
    const reads = await floor(host);
    const result = await compare(
      { name: 'discover(8 PFs x 256 VFs)', fn: () => discover(host) },
      { name: 'floor: same seam reads', fn: () => floor(host) },
      { warmup: 3, runs: 15 },
    );
    return {
      ...result,
      pfs: inv.pfs.length,
      vfs: inv.pfs.reduce((n, p) => n + p.vfs.length, 0),
      reads,
    };
  } finally {
    host.close();
  }
}

export function describeDiscovery(r: Awaited<ReturnType<typeof benchDiscovery>>): string {
  return [
    `discovery: ${r.pfs} PFs, ${r.vfs} VFs, ${r.reads} sysfs reads in the floor loop`,
    `  ${r.subject.name.padEnd(32)} median ${fmtMs(r.subject.medianMs)}`,
    `  ${r.baseline.name.padEnd(32)} median ${fmtMs(r.baseline.medianMs)}`,
    `  ratio discovery/floor ${r.ratio.toFixed(2)}x (target <= 3x; absolute target < 150 ms)`,
  ].join('\n');
}
