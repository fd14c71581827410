/**
 * One Prometheus scrape of a simulated host with 2048 VFs (8 E810 PFs × 256), against the link
 * dump alone, measured in the same run (interleaved, medians). The host is set up like a busy
 * daemon's: 512 VFs attached to two tenants, traffic on every VF the PFs report counters for, the
 * health rules evaluated, process metrics on. Every scrape takes its own link dump (the sampler
 * shares nothing between runs), so the ratio is what rendering adds on top of reading the kernel.
 * Also measured: rendering alone (scrapes sharing one dump), and the scrape end to end over HTTP
 * (GET /metrics with a viewer token, a client in the same process that counts the bytes).
 *
 * The simulator's dump is a walk over objects in memory; on Linux the same dump is `ip -j -d -s
 * link show` and its JSON. So the rendering is also compared with the Linux implementation's dump of
 * this machine's real kernel, in a throwaway network namespace holding as many netdevs as the
 * simulated host (veth ends; no VF lists, so a floor for the real dump): what a scrape adds to
 * reading the kernel on a real host of this size. `npm run bench -- metrics-kernel` measures the
 * whole scrape on a real kernel with real VFs (the lab).
 */
import { observed } from '../test/support/allocation.js';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { buildApi } from '../src/api/server.js';
import { metricsRoutes } from '../src/api/routes/metrics.js';
import { createLinuxHost } from '../src/host/linux/index.js';
import { loadSimHost } from '../src/host/sim/index.js';
import { InventoryCache } from '../src/inventory/inventory-cache.js';
import { createToken } from '../src/ledger/tokens.js';
import { createObservability } from '../src/metrics/observability.js';
import { TrafficSampler } from '../src/metrics/traffic.js';
import { busyLedger } from './busy-ledger.js';
import { compare, fmtMs, type Comparison } from './harness.js';

export interface MetricsBench {
  vfs: number;
  scrape: Comparison;
  /** Rendering alone: scrapes that share one dump, against the same baseline. */
  render: Comparison;
  http: Comparison;
  /** Rendering alone against the Linux implementation's dump of a real kernel's link table. */
  linux: Comparison & { links: number };
  bytes: number;
  series: number;
}

export async function benchMetrics(): Promise<MetricsBench> {
  const host = await loadSimHost('e810-8x256', { timing: 'off' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const { ledger, allocation, store } = await busyLedger(
    host,
    inventory,
    { selector: { drivers: ['ice'] }, vfDriver: 'vfio-pci' },
    100,
  );
  const dump = await host.linkDump();
  for (const l of dump.links)
    for (const v of l.vfs ?? [])
      host.setTraffic(l.ifname, v.vf, {
        rxBytesPerSec: 1e6 + v.vf,
        txBytesPerSec: 2e6,
        rxPacketsPerSec: 1000,
        txPacketsPerSec: 2000,
        rxDroppedPerSec: v.vf % 7 === 0 ? 20 : 0,
        txDroppedPerSec: 0,
      });

  const sampler = new TrafficSampler(host, { maxAgeMs: 0 });
  const obs = createObservability({ ...observed({ ledger, allocation }), sampler });
  await obs.health!.evaluate();
  await obs.health!.evaluate();
  const text = await obs.exporter.scrapeText();

  const app = await buildApi({ ledger, allocation, transport: 'tcp', rateLimitPerMinute: 0 });
  await app.register(metricsRoutes({ exporter: obs.exporter, ledger }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { secret } = await createToken(
    store,
    { name: 'prometheus', role: 'viewer' },
    'bench',
    new Date().toISOString(),
  );
  // A client that counts the bytes and keeps none: what the scrape costs the daemon, not a JS
  // client's buffering (Prometheus runs in its own process).
  const agent = new http.Agent({ keepAlive: true });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = http.get(
        `${url}/metrics`,
        { agent, headers: { authorization: `Bearer ${secret}` } },
        (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(n)
              : reject(new Error(`GET /metrics: ${res.statusCode}`)),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
  try {
    const linkDump = { name: 'link dump', fn: () => host.linkDump() };
    const scrapeOnce = async () => (await obs.exporter.scrape()).release();
    const scrape = await compare({ name: 'scrape', fn: scrapeOnce }, linkDump, {
      warmup: 10,
      runs: 41,
    });
    // The same exporter on a sampler that never takes a second dump: what rendering costs.
    const shared = createObservability({
      ...observed({ ledger, allocation }),
      sampler: new TrafficSampler(host, { maxAgeMs: Infinity }),
      health: false,
    });
    const renderOnce = async () => (await shared.exporter.scrape()).release();
    const render = await compare({ name: 'render', fn: renderOnce }, linkDump, {
      warmup: 10,
      runs: 41,
    });
    const http = await compare({ name: 'GET /metrics', fn: get }, linkDump, {
      warmup: 10,
      runs: 41,
    });
    const linux = await withNetdevs(dump.links.length, async (netns) => {
      const real = createLinuxHost({ netns });
      return compare(
        { name: 'render', fn: renderOnce },
        { name: 'ip link dump (Linux)', fn: () => real.linkDump() },
        { warmup: 5, runs: 21 },
      );
    });
    await shared.stop();
    return {
      vfs: inv.pfs.reduce((n, p) => n + p.vfs.length, 0),
      scrape,
      render,
      http,
      linux: { ...linux, links: dump.links.length },
      bytes: Buffer.byteLength(text),
      series: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
    };
  } finally {
    agent.destroy();
    await app.close();
    await obs.stop();
    await store.close();
  }
}

/** Runs fn with a throwaway network namespace holding `links` netdevs (veth pairs and lo). */
async function withNetdevs<T>(links: number, fn: (netns: string) => Promise<T>): Promise<T> {
  const ns = `sriovctl-bench-${randomBytes(4).toString('hex')}`;
  const ip = (args: string[], input?: string) =>
    execFileSync('ip', args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
  try {
    ip(['netns', 'add', ns]);
  } catch (err) {
    throw new Error(
      `the metrics benchmark compares with a real kernel's link dump and needs to create a network namespace (root): ${String(err)}`,
      { cause: err },
    );
  }
  try {
    const pairs = Math.floor((links - 1) / 2);
    let batch = '';
    for (let i = 0; i < pairs; i++) batch += `link add v${i} type veth peer name p${i}\n`;
    ip(['-n', ns, '-batch', '-'], batch);
    return await fn(ns);
  } finally {
    ip(['netns', 'del', ns]);
  }
}

export function describeMetrics(b: MetricsBench): string {
  const linuxScrape = b.linux.baseline.medianMs + b.linux.subject.medianMs;
  return [
    `metrics: one scrape of ${b.vfs} VFs — ${(b.bytes / 1024).toFixed(0)} KiB, ${b.series} series`,
    `  scrape (link dump + render): ${fmtMs(b.scrape.subject.medianMs)}; link dump alone ${fmtMs(b.scrape.baseline.medianMs)}; ratio ${b.scrape.ratio.toFixed(2)}× (target < 50 ms and ≤ 1.5×)`,
    `  render alone (dump shared): ${fmtMs(b.render.subject.medianMs)}; link dump alone ${fmtMs(b.render.baseline.medianMs)}`,
    `  GET /metrics over HTTP: ${fmtMs(b.http.subject.medianMs)}; link dump alone ${fmtMs(b.http.baseline.medianMs)}; ratio ${b.http.ratio.toFixed(2)}×`,
    `  on Linux: ip link dump of ${b.linux.links} netdevs on this machine's kernel ${fmtMs(b.linux.baseline.medianMs)} (the simulator's: ${fmtMs(b.scrape.baseline.medianMs)}); render ${fmtMs(b.linux.subject.medianMs)} on top → scrape ≈ ${(linuxScrape / b.linux.baseline.medianMs).toFixed(2)}× the dump`,
  ].join('\n');
}
