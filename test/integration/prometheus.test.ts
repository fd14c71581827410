// A real Prometheus (Debian package `prometheus`) on loopback scrapes the daemon's /metrics on a
// simulated host whose VFs carry traffic, with the bearer token a remote scraper would use; then
// its HTTP API answers rate() over the per-VF counters, and a join of a counter with the VF info
// series attributes the traffic to its tenant — what a dashboard does.
import { observed, openLedger } from '../support/allocation.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsRoutes, requestMetrics } from '../../src/api/routes/metrics.js';
import { buildApi, type Api } from '../../src/api/server.js';
import { loadSimHost, type SimHost } from '../../src/host/sim/index.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { createToken } from '../../src/ledger/tokens.js';
import { attachRequest } from '../../src/contract/index.js';
import { createObservability, type Observability } from '../../src/metrics/observability.js';
import { TrafficSampler } from '../../src/metrics/traffic.js';

const TX_BYTES_PER_S = 2_000_000;

function needPrometheus(): void {
  const r = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      `the prometheus server is needed for this test and could not be run (${r.error?.message ?? `exit ${r.status}`}): install the Debian package "prometheus" (apt-get install prometheus; .ci/run does)`,
    );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

let dir: string;
let host: SimHost;
let store: SqliteLedgerStore;
let obs: Observability;
let app: Api;
let prom: ChildProcess | null = null;
let promUrl = '';
let promLog = '';

async function query(q: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    status: string;
    data?: { result: Sample[] };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? res.status}`);
  return body.data!.result;
}

/** Polls until `q` has a result `ok` accepts; the deadline only bounds a broken setup. */
async function eventually(q: string, ok: (r: Sample[]) => boolean): Promise<Sample[]> {
  const deadline = Date.now() + 45_000;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    try {
      last = await query(q);
      if (ok(last)) return last;
    } catch {
      // Not ready yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `Prometheus never answered ${q} as expected; last answer ${JSON.stringify(last)}\n${promLog}`,
  );
}

beforeAll(async () => {
  needPrometheus();
  dir = mkdtempSync(join(tmpdir(), 'sriovctl-prom-'));
  host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
  });
  const root = { actor: { name: 'test', tenant: null } };
  await ledger.putPool(root, 'p', { selector: { pfNames: ['ens1f0'] }, vfDriver: 'vfio-pci' });
  await ledger.putTenant(root, 'team-a', { pools: ['p'], vlans: '100', allowTrust: false });
  const a = await allocation.attach(
    root,
    attachRequest.parse({ tenant: 'team-a', pool: 'p', consumer: { kind: 'vm', name: 'vm-7' } }),
  );
  host.setTraffic('ens1f0', a.attachments[0]!.vfIndex, {
    rxBytesPerSec: TX_BYTES_PER_S / 2,
    txBytesPerSec: TX_BYTES_PER_S,
    rxPacketsPerSec: 1000,
    txPacketsPerSec: 2000,
    rxDroppedPerSec: 0,
    txDroppedPerSec: 0,
  });
  obs = createObservability({
    ...observed({ ledger, allocation }),
    sampler: new TrafficSampler(host),
  });
  app = await buildApi({ ledger, allocation, transport: 'tcp', rateLimitPerMinute: 0 });
  await app.register(requestMetrics(obs.exporter.daemon));
  await app.register(metricsRoutes({ exporter: obs.exporter, ledger }));
  const target = new URL(await app.listen({ host: '127.0.0.1', port: 0 })).host;

  const { secret } = await createToken(
    store,
    { name: 'prometheus', role: 'viewer' },
    'test',
    new Date().toISOString(),
  );
  writeFileSync(join(dir, 'token'), secret, { mode: 0o600 });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 500ms',
      'scrape_configs:',
      '  - job_name: sriovctl',
      '    authorization:',
      `      credentials_file: ${join(dir, 'token')}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prom.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
  prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
}, 60_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  await app?.close();
  await obs?.stop();
  await store?.close();
  host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scraping sriovctl', () => {
  it('scrapes with a viewer token and computes per-VF rates in the proportion the VF moves', async () => {
    const up = await eventually('up{job="sriovctl"}', (r) => r[0]?.value[1] === '1');
    expect(up).toHaveLength(1);
    // rate() divides by the whole range: ask once the range holds enough scrapes to cover it.
    await eventually(
      'count_over_time(sriov_vf_tx_bytes{pf="ens1f0",vf="0"}[3s])',
      (r) => Number(r[0]?.value[1] ?? 0) >= 5,
    );
    const rate = await query('rate(sriov_vf_tx_bytes{pf="ens1f0",vf="0"}[3s])');
    expect(rate).toHaveLength(1);
    expect(rate[0]!.metric).toMatchObject({ pf: 'ens1f0', vf: '0', pciAddr: '0000:3b:01.0' });
    expect(Number(rate[0]!.value[1])).toBeGreaterThan(0);
    // The simulator moves the counters by wall time and Prometheus divides by its own scrape
    // timestamps, so on a loaded machine the absolute rate is only roughly 2 MB/s. Both directions
    // come from the same scrapes, though, so their rates keep the VF's 2:1 exactly.
    const ratio = await query(
      'rate(sriov_vf_tx_bytes{pf="ens1f0",vf="0"}[3s]) / rate(sriov_vf_rx_bytes{pf="ens1f0",vf="0"}[3s])',
    );
    expect(ratio).toHaveLength(1);
    expect(Number(ratio[0]!.value[1])).toBeCloseTo(2, 2);
  }, 60_000);

  it('attributes traffic to tenants by joining the counters with sriov_vf_info', async () => {
    const byTenant = await eventually(
      'sum by (tenant, consumer) (rate(sriov_vf_tx_bytes[3s]) * on (pf, vf) group_left (tenant, consumer) sriov_vf_info{tenant!=""})',
      (r) => r.length === 1 && Number(r[0]!.value[1]) > 0,
    );
    expect(byTenant[0]!.metric).toEqual({ tenant: 'team-a', consumer: 'vm-7' });
    const link = await query('sriovctl_pf_link_up{pf="ens1f0"}');
    expect(link[0]!.value[1]).toBe('1');
    // Each scrape counts the ones before it (a request is counted once answered).
    const scrapes = await query('sriovctl_api_requests_total{route="/metrics",status="200"}');
    expect(Number(scrapes[0]!.value[1])).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
