// The console's host views over real HTTP against the daemon on the simulated dual-socket host:
// who may see them, the inventory and doctor as discovery and doctor say, capacity numbers checked
// against the ledger's rows and the inventory, traffic scoped to a tenant's own VFs, and large
// answers gzip-compressed for clients that accept it (never the Prometheus exposition).
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capacity } from '../../../src/metrics/capacity.js';
import type { CheckResult } from '../../../src/doctor/types.js';
import { ifName } from '../../../src/host/names.js';
import { discover } from '../../../src/inventory/discover.js';
import type { Inventory } from '../../../src/inventory/types.js';
import type { Attachment } from '../../../src/ledger/types.js';
import type { TrafficView } from '../../../src/contract/index.js';
import type { ProblemBody } from '../../support/api-fixture.js';
import { openConsoleFixture, PRINCIPALS, type ConsoleFixture } from './console-fixture.js';

let f: ConsoleFixture;
let a1: Attachment;
let a2: Attachment;
let b1: Attachment;

beforeAll(async () => {
  f = await openConsoleFixture();
  await f.arrangeTenants();
  // team-a: two VFs of pa (ens1f0) with guaranteed rates, one of shared (ens2f0np0); team-b: one.
  a1 = await f.attach('team-a', 'pa', 'vm-a1', { minTxRate: 1000, maxTxRate: 5000 });
  a2 = await f.attach('team-a', 'pa', 'vm-a2', { minTxRate: 2500 });
  await f.attach('team-a', 'shared', 'vm-a3', { minTxRate: 500 });
  b1 = await f.attach('team-b', 'pb', 'vm-b1');
});

afterAll(async () => {
  await f.close();
});

describe('who may see the host views', () => {
  for (const path of ['/inventory', '/doctor', '/capacity'])
    it(`${path}: viewer and up; tenant tokens 403; no token 401`, async () => {
      for (const p of PRINCIPALS) {
        const r = await f.as(p, 'GET', path);
        if (p.includes('-')) {
          expect(r.status, p).toBe(403);
          expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
          const body = r.body as ProblemBody;
          expect(body.type).toBe('https://sriovctl.dev/problems/forbidden');
          expect(body.detail).toContain('confined to tenant');
        } else expect(r.status, p).toBe(200);
      }
      expect((await f.as(null, 'GET', path)).status).toBe(401);
    });

  it('/traffic: every principal, tenants scoped', async () => {
    for (const p of PRINCIPALS) expect((await f.as(p, 'GET', '/traffic')).status, p).toBe(200);
    expect((await f.as(null, 'GET', '/traffic')).status).toBe(401);
  });
});

describe('GET /inventory and /doctor', () => {
  it('is the host as discovery sees it, including settings the ledger just made', async () => {
    const inv = (await f.as('viewer', 'GET', '/inventory')).body as Inventory;
    // The fixture's hostname and layout (fixtures/hosts/dual-socket-e810-cx6.yaml).
    expect(inv.host.hostname).toBe('compute-17');
    expect(inv.pfs.map((p) => [p.netdev, p.numVfs, p.vfs.length])).toEqual([
      ['ens1f0', 8, 8],
      ['ens1f1', 0, 0],
      ['ens2f0np0', 4, 4],
      ['ens2f1np1', 0, 0],
      ['ens3f0', 0, 0],
      ['ens3f1', 0, 0],
    ]);
    // The attach configured the VF's MAC and rate: the console must not show a stale snapshot.
    const vf = inv.pfs
      .find((p) => p.pciAddress === a1.pf)!
      .vfs.find((v) => v.vfIndex === a1.vfIndex)!;
    expect(vf.config?.mac).toBe(a1.mac);
    expect(vf.config?.maxTxRate).toBe(5000);
  });

  it('answers gzip to a client that accepts it: the same JSON, smaller; small answers and /metrics as they are', async () => {
    const get = (path: string, token: string | null) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.get(
          `${f.url}${path}`,
          {
            headers: {
              'accept-encoding': 'gzip, deflate, br',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
      });
    const plain = await f.as('viewer', 'GET', '/inventory');
    const zipped = await get('/api/v1/inventory', f.tokens.viewer);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toMatch(/^application\/json/);
    expect(zipped.body.length).toBeLessThan(plain.text.length / 4);
    expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(plain.body);
    const small = await get('/api/v1/whoami', f.tokens.viewer);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString())).toMatchObject({ role: 'viewer' });
    const metrics = await get('/metrics', f.tokens.viewer);
    expect(metrics.body.length).toBeGreaterThan(4096);
    expect(metrics.headers['content-encoding']).toBeUndefined();
    expect(metrics.body.toString()).toContain('# TYPE sriov_vf_info gauge');
  });

  it('shows an out-of-band change made after the last look', async () => {
    await f.as('viewer', 'GET', '/inventory');
    f.host.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: 7, trust: true }]);
    const inv = (await f.as('viewer', 'GET', '/inventory')).body as Inventory;
    const vf = inv.pfs.find((p) => p.netdev === 'ens1f0')!.vfs.find((v) => v.vfIndex === 7)!;
    expect(vf.config?.trust).toBe(true);
    f.host.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: 7, trust: false }]);
  });

  it('/doctor checks the host as it is now: ens3f1 without carrier warns until its link comes up', async () => {
    const doctor = async () =>
      (await f.as('viewer', 'GET', '/doctor')).body as { results: CheckResult[]; worst: string };
    const link = (r: { results: CheckResult[] }) =>
      r.results.find((c) => c.id === 'pf.link' && c.scope === '0000:86:00.1');
    const down = await doctor();
    // The host checks, then each of the fixture's six SR-IOV PFs.
    expect([...new Set(down.results.map((c) => c.scope))]).toEqual([
      'host',
      '0000:3b:00.0',
      '0000:3b:00.1',
      '0000:5e:00.0',
      '0000:5e:00.1',
      '0000:86:00.0',
      '0000:86:00.1',
    ]);
    expect(down.results.find((c) => c.id === 'iommu.enabled')?.status).toBe('pass');
    expect(down.worst).toBe('warn');
    expect(link(down)).toMatchObject({
      status: 'warn',
      title: 'ens3f1 has no carrier: its VFs report link down',
    });
    expect(link(down)?.fix).toBeTruthy();
    f.host.setCarrier('ens3f1', true);
    try {
      expect(link(await doctor())?.status).toBe('pass');
    } finally {
      f.host.setCarrier('ens3f1', false);
    }
  });
});

describe('GET /capacity', () => {
  it('counts VFs and guaranteed bandwidth per PF as the ledger and the inventory say', async () => {
    const cap = (await f.as('admin', 'GET', '/capacity')).body as Capacity;
    const inv = await discover(f.host);
    const atts = await f.daemon.ledger.store.listAttachments();
    expect(cap.pfs.map((p) => p.pf)).toEqual(inv.pfs.map((p) => p.pciAddress));
    for (const pf of inv.pfs) {
      const c = cap.pfs.find((x) => x.pf === pf.pciAddress)!;
      const mine = atts.filter((a) => a.pf === pf.pciAddress);
      expect(c, pf.netdev ?? '').toMatchObject({
        netdev: pf.netdev,
        numaNode: pf.numaNode,
        driver: pf.driver,
        totalVfs: pf.totalVfs,
        numVfs: pf.numVfs,
        allocatedVfs: mine.length,
        freeVfs: pf.vfs.length - mine.length,
        guaranteedMbps: mine.reduce((s, a) => s + a.minTxRate, 0),
        guaranteeCapMbps: pf.speedMbps,
      });
    }
    const e810 = cap.pfs.find((p) => p.netdev === 'ens1f0')!;
    // pa and pb together claim all 8 VFs; team-a holds 2 (3500 Mbit/s guaranteed), team-b 1.
    expect(e810).toMatchObject({ pooledVfs: 8, allocatedVfs: 3, freeVfs: 5, guaranteedMbps: 3500 });
    const cx6 = cap.pfs.find((p) => p.netdev === 'ens2f0np0')!;
    expect(cx6).toMatchObject({ pooledVfs: 4, allocatedVfs: 1, freeVfs: 3, guaranteedMbps: 500 });
    // A PF no pool selects has VFs, none pooled.
    expect(
      cap.pfs
        .filter((x) => x.netdev !== 'ens1f0' && x.netdev !== 'ens2f0np0')
        .map((p) => [p.netdev, p.pooledVfs]),
    ).toEqual([
      ['ens1f1', 0],
      ['ens2f1np1', 0],
      ['ens3f0', 0],
      ['ens3f1', 0],
    ]);
  });

  it('sums the PFs of each NUMA node', async () => {
    const cap = (await f.as('admin', 'GET', '/capacity')).body as Capacity;
    const nodes = [...new Set(cap.pfs.map((p) => p.numaNode))].sort();
    expect(cap.numa.map((n) => n.node)).toEqual(nodes);
    for (const n of cap.numa) {
      const pfs = cap.pfs.filter((p) => p.numaNode === n.node);
      for (const k of [
        'totalVfs',
        'numVfs',
        'pooledVfs',
        'allocatedVfs',
        'freeVfs',
        'guaranteedMbps',
      ] as const)
        expect(n[k], `${k} of node ${n.node}`).toBe(pfs.reduce((s, p) => s + p[k], 0));
      const caps = pfs.map((p) => p.guaranteeCapMbps).filter((c): c is number => c !== null);
      expect(n.guaranteeCapMbps).toBe(caps.length ? caps.reduce((s, c) => s + c, 0) : null);
    }
    expect(cap.numa.reduce((s, n) => s + n.allocatedVfs, 0)).toBe(4);
  });

  it('follows a detach and a link going down', async () => {
    await f.daemon.allocation.detach(f.root, b1.id);
    f.host.setCarrier('ens2f0np0', false);
    try {
      const cap = (await f.as('admin', 'GET', '/capacity')).body as Capacity;
      expect(cap.pfs.find((p) => p.netdev === 'ens1f0')).toMatchObject({
        allocatedVfs: 2,
        freeVfs: 6,
      });
      // Link down: no speed, so nothing more can be guaranteed there.
      expect(cap.pfs.find((p) => p.netdev === 'ens2f0np0')).toMatchObject({
        linkUp: false,
        guaranteeCapMbps: null,
        guaranteedMbps: 500,
      });
    } finally {
      f.host.setCarrier('ens2f0np0', true);
      b1 = await f.attach('team-b', 'pb', 'vm-b1');
    }
  });
});

describe('GET /traffic', () => {
  /** Sets traffic on the four attached VFs and waits for rates that show all of it. */
  async function withTraffic(): Promise<void> {
    const atts = await f.daemon.ledger.store.listAttachments();
    for (const a of atts)
      f.host.setTraffic(a.pfNetdev!, a.vfIndex, {
        rxBytesPerSec: 1_000_000 * (a.vfIndex + 1),
        txBytesPerSec: 500_000,
        rxPacketsPerSec: 1000,
        txPacketsPerSec: 500,
        rxDroppedPerSec: 0,
        txDroppedPerSec: 0,
      });
    // The daemon samples every 40 ms: wait for a pair of samples both taken after the change.
    const since = Date.now();
    for (;;) {
      await f.daemon.sampler.sample();
      const r = f.daemon.sampler.rates();
      if (r && r.at - r.intervalMs > since) return;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  it('admins see every VF with counters and per-PF sums', async () => {
    await withTraffic();
    const t = (await f.as('viewer', 'GET', '/traffic')).body as TrafficView;
    expect(t.intervalMs).toBeGreaterThan(0);
    const dump = await f.host.linkDump();
    const withCounters = dump.links.flatMap((l) => (l.vfs ?? []).map((v) => `${l.ifname}#${v.vf}`));
    expect(t.vfs.map((v) => `${v.pf}#${v.vf}`).sort()).toEqual(withCounters.sort());
    const e810 = t.pfs!.find((p) => p.pf === 'ens1f0')!;
    const sum = t.vfs.filter((v) => v.pf === 'ens1f0').reduce((s, v) => s + v.rxBytesPerS, 0);
    expect(Math.abs(e810.rxBytesPerS - sum)).toBeLessThanOrEqual(8);
    const vf = t.vfs.find((v) => v.pf === a1.pfNetdev && v.vf === a1.vfIndex)!;
    expect(vf.rxBytesPerS).toBeGreaterThan(0);
  });

  it("a tenant sees its own attachments' VFs only, and no PF totals", async () => {
    await withTraffic();
    const t = (await f.as('a-viewer', 'GET', '/traffic')).body as TrafficView;
    expect(t).not.toHaveProperty('pfs');
    const mine = (await f.daemon.ledger.store.listAttachments({ tenant: 'team-a' })).map(
      (a) => `${a.pfNetdev}#${a.vfIndex}`,
    );
    expect(t.vfs.map((v) => `${v.pf}#${v.vf}`).sort()).toEqual(mine.sort());
    expect(
      t.vfs.find((v) => v.pf === a2.pfNetdev && v.vf === a2.vfIndex)!.rxBytesPerS,
    ).toBeGreaterThan(0);
    const b = (await f.as('b-operator', 'GET', '/traffic')).body as TrafficView;
    expect(b.vfs.map((v) => `${v.pf}#${v.vf}`)).toEqual([`${b1.pfNetdev}#${b1.vfIndex}`]);
  });
});
