/**
 * Attach+detach pairs per second over HTTP against the real daemon (`sriovctl serve`, its own
 * process) on a simulated host with 2048 VFs (8 E810 PFs × 256), the ledger in a SQLite file (every
 * answer waits for the fdatasync of the WAL that covers it: durable), the rate limiter on with a limit the load cannot
 * reach (so its cost is included). The load generator is autocannon: each connection attaches a
 * pod and detaches the attachment it got, over and over. The baseline, measured in the same run
 * against the same daemon, is the cheapest authenticated request (GET /api/v1/whoami): the ratio
 * says what an attach+detach pair costs in units of "one round trip through HTTP, auth and
 * routing".
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './harness.js';

const CONNECTIONS = 8;
const DURATION_S = 5;
const RUNS = 5;

interface Daemon {
  child: ChildProcess;
  url: string;
  token: string;
}

async function startDaemon(dir: string): Promise<Daemon> {
  const child = spawn(
    process.execPath,
    [
      'bin/sriovctl.js',
      '--sim',
      'e810-8x256',
      // Measured on a fresh simulated host, as before simulated hosts were kept between commands.
      '--sim-fresh',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--no-socket',
      '--db',
      join(dir, 'ledger.db'),
      '--rate-limit',
      '100000000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const keepOut = (d: Buffer) => (out += d.toString());
  const keepErr = (d: Buffer) => (err += d.toString());
  child.stdout!.on('data', keepOut);
  child.stderr!.on('data', keepErr);
  for (let i = 0; i < 300; i++) {
    const url = /"event":"listening","url":"([^"]+)"/.exec(out)?.[1];
    const token = /(sriovctl_[A-Za-z0-9_-]+)/.exec(err)?.[1];
    if (url && token && out.includes('"event":"ready"')) {
      // From here on the daemon logs a line per request: drained, not kept. Collecting them here
      // made this process (which also runs the load generator) slower as the string grew.
      child.stdout!.off('data', keepOut).resume();
      child.stderr!.off('data', keepErr).resume();
      return { child, url, token };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the daemon did not start:\n${err}\n${out}`);
}

async function call(d: Daemon, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(d.url + path, {
    method,
    headers: {
      authorization: `Bearer ${d.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

interface LoadResult {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

async function pairs(d: Daemon): Promise<LoadResult> {
  let n = 0;
  let failures = 0;
  const auth = { authorization: `Bearer ${d.token}` };
  const r = await autocannon({
    url: d.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/attachments',
        headers: { ...auth, 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            tenant: 'bench',
            pool: 'all',
            consumer: { kind: 'pod', name: `pod-${n++}` },
            vlan: 100,
            maxTxRate: 10_000,
          }),
        }),
        onResponse: (status, body, context) => {
          if (status !== 201) failures++;
          (context as { id: string | null }).id =
            status === 201
              ? (JSON.parse(body) as { attachments: { id: string }[] }).attachments[0]!.id
              : null;
        },
      },
      {
        method: 'DELETE',
        headers: auth,
        setupRequest: (req, context) => ({
          ...req,
          path: `/api/v1/attachments/${String((context as { id: string | null }).id)}`,
        }),
        onResponse: (status) => {
          if (status !== 200) failures++;
        },
      },
    ],
  });
  return {
    requestsPerS: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    failures: failures + r.errors + r.timeouts,
  };
}

async function whoami(d: Daemon): Promise<LoadResult> {
  const r = await autocannon({
    url: `${d.url}/api/v1/whoami`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${d.token}` },
  });
  return {
    requestsPerS: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

export interface ApiBench {
  pairsPerS: number;
  p50Ms: number;
  p99Ms: number;
  baselineRequestsPerS: number;
  baselineP99Ms: number;
  /** Cost of one pair in baseline requests (baseline req/s ÷ pairs/s). */
  ratio: number;
  runs: { pairsPerS: number; p99Ms: number; baseline: number; baselineP99Ms: number }[];
}

export async function benchApi(): Promise<ApiBench> {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-bench-'));
  const d = await startDaemon(dir);
  try {
    await call(d, 'PUT', '/api/v1/pools/all', {
      selector: { drivers: ['ice'] },
      vfDriver: 'vfio-pci',
    });
    await call(d, 'PUT', '/api/v1/tenants/bench', { pools: ['all'], vlans: '100-199' });
    const pool = (await call(d, 'GET', '/api/v1/pools/all/vfs')) as { items: unknown[] };
    if (pool.items.length !== 2048) throw new Error(`pool has ${pool.items.length} VFs, not 2048`);
    // Warm-up to the steady state a long-running daemon is in: JIT, statement caches, the first
    // vfio-pci binds, and the WAL file grown to the size it is then reused at (see
    // checkpointer.ts): while it still grows, each sync also writes the file's new size.
    await pairs(d);
    await pairs(d);
    await whoami(d);
    const runs: ApiBench['runs'] = [];
    const p50s: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so neither side always runs on a warmer machine.
      const [p, b] =
        i % 2 === 0
          ? [await pairs(d), await whoami(d)]
          : await (async () => {
              const b0 = await whoami(d);
              return [await pairs(d), b0] as const;
            })();
      if (p.failures || b.failures)
        throw new Error(`${p.failures + b.failures} requests failed during the benchmark`);
      runs.push({
        pairsPerS: p.requestsPerS / 2,
        p99Ms: p.p99Ms,
        baseline: b.requestsPerS,
        baselineP99Ms: b.p99Ms,
      });
      p50s.push(p.p50Ms);
    }
    const pairsPerS = median(runs.map((r) => r.pairsPerS));
    const baselineRequestsPerS = median(runs.map((r) => r.baseline));
    return {
      pairsPerS,
      p50Ms: median(p50s),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      baselineRequestsPerS,
      baselineP99Ms: median(runs.map((r) => r.baselineP99Ms)),
      ratio: baselineRequestsPerS / pairsPerS,
      runs,
    };
  } finally {
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeApi(r: ApiBench): string {
  return [
    `API: attach+detach pairs over HTTP, 2048 simulated VFs, durable SQLite, ${CONNECTIONS} connections, ${RUNS} runs of ${DURATION_S} s`,
    `  pairs/s (median)     ${r.pairsPerS.toFixed(0)}   (runs: ${r.runs.map((x) => x.pairsPerS.toFixed(0)).join(', ')})`,
    `  latency per request  p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms (median of runs)`,
    `  baseline GET whoami  ${r.baselineRequestsPerS.toFixed(0)} req/s, p99 ${r.baselineP99Ms.toFixed(1)} ms`,
    `  ratio                one pair costs ${r.ratio.toFixed(2)} baseline requests   (target: >= 1000 pairs/s, p99 < 20 ms)`,
  ].join('\n');
}
