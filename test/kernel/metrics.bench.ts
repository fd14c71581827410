/**
 * The metrics benchmark on the real 6.1 kernel (runs inside the lab guest; `npm run bench --
 * metrics-kernel` boots it): one /metrics scrape of 2048 real VFs — eight netdevsim devices with
 * 256 VFs each — through sriovctl's Linux implementation (`ip -j -d -s link show` and its parser),
 * against that link dump alone, interleaved in the same run. The kernel truncates each PF's VF list
 * as it does on a 256-VF E810, so the scrape renders counters for the VFs the kernel reports and an
 * info series for every VF. Under QEMU's software emulation only the ratio means anything.
 *
 * Writes its figures as JSON to the path given as the first argument (the lab's results share).
 * `SRIOVCTL_LAB_HOST=sim` runs it against the simulator's mirror of the guest, for development.
 */
import { observed } from '../support/allocation.js';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { busyLedger } from '../../bench/busy-ledger.js';
import { compare, type Comparison } from '../../bench/harness.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import { createObservability } from '../../src/metrics/observability.js';
import { TrafficSampler } from '../../src/metrics/traffic.js';
import { labHost, netdevsim, teardownNetdevsim } from './support.js';

export interface KernelMetricsBench {
  kernel: string;
  host: 'lab-guest' | 'sim';
  pfs: number;
  vfs: number;
  /** VFs the kernel's truncated VF lists reported counters for. */
  vfsWithCounters: number;
  bytes: number;
  series: number;
  scrape: Comparison;
  render: Comparison;
}

const IDS = [30, 31, 32, 33, 34, 35, 36, 37];
const VFS_PER_PF = 256;
const out = process.argv[2];
if (!out) throw new Error('usage: metrics.bench.js <result.json>');

const host = await labHost();
try {
  for (const id of IDS) {
    await netdevsim(host, id, VFS_PER_PF);
    await host.writeFile(`/sys/bus/netdevsim/devices/netdevsim${id}/sriov_numvfs`, '256');
  }
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const pfs = inv.pfs.filter((p) => p.bus === 'netdevsim');
  const vfs = pfs.reduce((n, p) => n + p.vfs.length, 0);
  if (vfs !== IDS.length * VFS_PER_PF)
    throw new Error(`expected ${IDS.length * VFS_PER_PF} netdevsim VFs, discovery found ${vfs}`);

  // A busy daemon's ledger: 512 of the VFs attached to two tenants (VLAN and MAC set through the
  // executor, so the info series carry tenant and consumer).
  const { ledger, allocation, store } = await busyLedger(host, inventory, {
    selector: { pciAddresses: pfs.map((p) => p.pciAddress) },
    vfDriver: 'host',
  });

  // Every scrape takes its own dump (maxAgeMs 0), as the simulator benchmark does.
  const sampler = new TrafficSampler(host, { maxAgeMs: 0 });
  const obs = createObservability({ ...observed({ ledger, allocation }), sampler });
  await obs.health!.evaluate();
  const text = await obs.exporter.scrapeText();
  const linkDump = { name: 'link dump', fn: () => host.linkDump() };
  const scrape = await compare(
    { name: 'scrape', fn: async () => (await obs.exporter.scrape()).release() },
    linkDump,
    { warmup: 10, runs: 21 },
  );
  const shared = createObservability({
    ...observed({ ledger, allocation }),
    sampler: new TrafficSampler(host, { maxAgeMs: Infinity }),
    health: false,
  });
  const render = await compare(
    { name: 'render', fn: async () => (await shared.exporter.scrape()).release() },
    linkDump,
    { warmup: 10, runs: 21 },
  );
  const dump = await host.linkDump();
  const names = new Set(pfs.map((p) => p.netdev));
  const result: KernelMetricsBench = {
    kernel: os.release(),
    host: process.env.SRIOVCTL_LAB_HOST === 'sim' ? 'sim' : 'lab-guest',
    pfs: pfs.length,
    vfs,
    vfsWithCounters: dump.links
      .filter((l) => names.has(l.ifname))
      .reduce((n, l) => n + (l.vfs ?? []).filter((v) => v.counters).length, 0),
    bytes: Buffer.byteLength(text),
    series: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
    scrape,
    render,
  };
  await shared.stop();
  await obs.stop();
  await store.close();
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(
    `metrics on ${result.kernel}: scrape ${scrape.subject.medianMs.toFixed(1)} ms, link dump ${scrape.baseline.medianMs.toFixed(1)} ms, ratio ${scrape.ratio.toFixed(2)}`,
  );
} finally {
  for (const id of IDS) await teardownNetdevsim(host, id);
}
