/**
 * One Prometheus scrape of a simulated host with 2048 VFs (8 E810 PFs × 256), against the link
 * dump alone, measured in the same run (interleaved, medians). The host is set up like a busy
 * daemon's: 512 VFs attached to two tenants, traffic on every VF the PFs report counters for, the
 * health rules evaluated, process metrics on. Every scrape takes its own link dump (the sampler
 * shares nothing between runs), so the ratio is what rendering adds on top of reading the kernel.
 * Also measured: rendering alone (scrapes sharing one dump), and the scrape end to end over HTTP
 * (GET /metrics with a viewer token, a client in the same process that counts the bytes).
 */
import http from 'node:http';
import { buildApi } from '../src/api/server.js';
import { metricsRoutes } from '../src/api/routes/metrics.js';
import { loadSimHost } from '../src/host/sim/index.js';
import { InventoryCache } from '../src/ledger/inventory-cache.js';
import { Ledger } from '../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../src/ledger/sqlite/sqlite-store.js';
import { createToken } from '../src/ledger/tokens.js';
import { attachRequest } from '../src/ledger/types.js';
import { createObservability } from '../src/metrics/observability.js';
import { TrafficSampler } from '../src/metrics/traffic.js';
import { compare, fmtMs, type Comparison } from './harness.js';

export interface MetricsBench {
  vfs: number;
  scrape: Comparison;
  /** Rendering alone: scrapes that share one dump, against the same baseline. */
  render: Comparison;
  http: Comparison;
  bytes: number;
  series: number;
}

export async function benchMetrics(): Promise<MetricsBench> {
  const host = await loadSimHost('e810-8x256', { timing: 'off' });
  const store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const ledger = new Ledger({ store, host, inventory, hostname: inv.host.hostname });
  const root = { actor: { name: 'bench', tenant: null } };
  await ledger.putPool(root, 'all', { selector: { drivers: ['ice'] }, vfDriver: 'vfio-pci' });
  for (const t of ['team-a', 'team-b'])
    await ledger.putTenant(root, t, { pools: ['all'], vlans: '100-199', allowTrust: false });
  for (let i = 0; i < 16; i++)
    await ledger.attach(
      root,
      attachRequest.parse({
        tenant: i % 2 ? 'team-b' : 'team-a',
        pool: 'all',
        consumer: { kind: 'vm', name: `vm-${i}` },
        count: 32,
        vlan: 100 + i,
        minTxRate: 100,
      }),
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
  const obs = createObservability({ ledger, sampler });
  await obs.health!.evaluate();
  await obs.health!.evaluate();
  const text = await obs.exporter.scrapeText();

  const app = await buildApi({ ledger, transport: 'tcp', rateLimitPerMinute: 0 });
  await app.register(metricsRoutes({ exporter: obs.exporter, store }));
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
      ledger,
      sampler: new TrafficSampler(host, { maxAgeMs: Infinity }),
      health: false,
    });
    const renderOnce = async () => (await shared.exporter.scrape()).release();
    const render = await compare({ name: 'render', fn: renderOnce }, linkDump, {
      warmup: 10,
      runs: 41,
    });
    await shared.stop();
    const http = await compare({ name: 'GET /metrics', fn: get }, linkDump, {
      warmup: 10,
      runs: 41,
    });
    return {
      vfs: inv.pfs.reduce((n, p) => n + p.vfs.length, 0),
      scrape,
      render,
      http,
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

export function describeMetrics(b: MetricsBench): string {
  return [
    `metrics: one scrape of ${b.vfs} VFs — ${(b.bytes / 1024).toFixed(0)} KiB, ${b.series} series`,
    `  scrape (link dump + render): ${fmtMs(b.scrape.subject.medianMs)}; link dump alone ${fmtMs(b.scrape.baseline.medianMs)}; ratio ${b.scrape.ratio.toFixed(2)}× (target < 50 ms and ≤ 1.5×)`,
    `  render alone (dump shared): ${fmtMs(b.render.subject.medianMs)}; link dump alone ${fmtMs(b.render.baseline.medianMs)}`,
    `  GET /metrics over HTTP: ${fmtMs(b.http.subject.medianMs)}; link dump alone ${fmtMs(b.http.baseline.medianMs)}; ratio ${b.http.ratio.toFixed(2)}×`,
  ].join('\n');
}
