// 64 clients, each on its own keep-alive connection, attach at the same moment against a pool of
// 40 VFs, then keep attaching and detaching in rounds. No VF may ever be handed to two attachments:
// checked in the answers, in the ledger and in the simulated kernel (MACs and VLANs per VF).
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../../src/ledger/types.js';
import {
  openApiFixture,
  type ApiFixture,
  type HttpAnswer,
  type ProblemBody,
} from '../../support/api-fixture.js';

const CLIENTS = 64;
const POOL_PFS = ['ens1f0', 'ens2f0'];
const PER_PF = 20;
const POOL_VFS = POOL_PFS.length * PER_PF;
const ROUNDS = 5;
const ZERO_MAC = '00:00:00:00:00:00';

let f: ApiFixture;
let operator: string;
const agents: http.Agent[] = [];
const sockets = new Set<string>();

beforeAll(async () => {
  f = await openApiFixture({ fixture: 'e810-8x256' });
  const admin = (await f.token('admin', 'admin')).secret;
  operator = (await f.token('racer', 'operator')).secret;
  const pool = await f.req('PUT', '/api/v1/pools/small', {
    token: admin,
    json: { selector: { pfNames: POOL_PFS.map((p) => `${p}#0-${PER_PF - 1}`) } },
  });
  expect(pool.status).toBe(200);
  const tenant = await f.req('PUT', '/api/v1/tenants/crowd', {
    token: admin,
    json: { pools: ['small'], vlans: '100' },
  });
  expect(tenant.status).toBe(200);
  // Count the distinct client connections the server sees.
  f.app.server.on('connection', (s: Socket) => {
    const a = s.remoteAddress + ':' + String(s.remotePort);
    sockets.add(a);
  });
  for (let i = 0; i < CLIENTS; i++) agents.push(new http.Agent({ keepAlive: true, maxSockets: 1 }));
});

afterAll(async () => {
  for (const a of agents) a.destroy();
  await f.close();
});

/** A small deterministic PRNG (mulberry32), so a failing round can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function attach(i: number, count: number): Promise<HttpAnswer> {
  return f.req('POST', '/api/v1/attachments', {
    token: operator,
    agent: agents[i]!,
    json: { tenant: 'crowd', pool: 'small', consumer: { kind: 'vm', name: `vm-${i}` }, count },
  });
}

function detach(i: number, id: string): Promise<HttpAnswer> {
  return f.req('DELETE', `/api/v1/attachments/${id}`, { token: operator, agent: agents[i]! });
}

/** What each client holds, from its own answers. */
const held = new Map<number, Attachment[]>();

/** Checks a 422 no-capacity refusal carries the numbers that explain it. */
function expectNoCapacity(r: HttpAnswer, wanted: number): void {
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = r.body as ProblemBody & {
    code: string;
    placement: { poolVfs: number; candidates: number; excluded: { rule: string; count: number }[] };
  };
  expect(p).toMatchObject({ status: 422, code: 'no-capacity', field: 'count' });
  expect(p.placement.poolVfs).toBe(POOL_VFS);
  expect(p.placement.candidates).toBeLessThan(wanted);
  const attached = p.placement.excluded.find((e) => e.rule === 'attached to a consumer');
  expect((attached?.count ?? 0) + p.placement.candidates).toBe(POOL_VFS);
  expect(p.detail).toContain(
    `pool small has ${p.placement.candidates} VF${p.placement.candidates === 1 ? '' : 's'} that fit this request, ${wanted} wanted`,
  );
}

/** Answers, ledger and kernel agree, and no VF or MAC belongs to two attachments. */
async function expectConsistent(): Promise<void> {
  const mine = [...held.values()].flat();
  const vfKey = (a: Attachment) => `${a.pfNetdev}#${a.vfIndex}`;
  expect(new Set(mine.map(vfKey)).size).toBe(mine.length);
  expect(new Set(mine.map((a) => a.mac)).size).toBe(mine.length);

  const rows = await f.store.listAttachments();
  expect(rows.every((a) => a.state === 'attached')).toBe(true);
  expect(rows.map((a) => a.id).sort()).toEqual(mine.map((a) => a.id).sort());
  expect(new Set(rows.map(vfKey)).size).toBe(rows.length);
  for (const a of rows) {
    const answered = mine.find((m) => m.id === a.id)!;
    expect(vfKey(a)).toBe(vfKey(answered));
    expect(a.mac).toBe(answered.mac);
  }

  // The kernel: every pool VF carries its attachment's MAC and VLAN, or is scrubbed.
  const byVf = new Map(rows.map((a) => [vfKey(a), a]));
  const kernelMacs: string[] = [];
  for (const pf of POOL_PFS) {
    const state = f.host.pf(pf).sriov!.vfState;
    for (let i = 0; i < PER_PF; i++) {
      const a = byVf.get(`${pf}#${i}`);
      const k = state[i]!;
      if (a) {
        expect([k.mac, k.vlan]).toEqual([a.mac, 100]);
        kernelMacs.push(k.mac);
      } else expect([k.mac, k.vlan]).toEqual([ZERO_MAC, 0]);
    }
  }
  expect(new Set(kernelMacs).size).toBe(kernelMacs.length);
  expect(kernelMacs.length).toBe(rows.length);
}

describe('64 concurrent clients against a 40-VF pool', () => {
  it('the first wave: exactly 40 attach, 24 are refused 422 no-capacity, no VF twice', async () => {
    const answers = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => attach(i, 1)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBe(POOL_VFS);
    expect(statuses.filter((s) => s === 422).length).toBe(CLIENTS - POOL_VFS);
    answers.forEach((r, i) => {
      if (r.status === 201) held.set(i, (r.body as { attachments: Attachment[] }).attachments);
      else {
        expectNoCapacity(r, 1);
        // The pool was full when this one ran.
        expect((r.body as { placement: { candidates: number } }).placement.candidates).toBe(0);
      }
    });
    await expectConsistent();
    expect(sockets.size).toBe(CLIENTS);
  });

  it(`then ${ROUNDS} rounds of simultaneous attaches and detaches stay consistent`, async () => {
    const rnd = prng(0x5eed);
    let attached = 0;
    let refused = 0;
    let detached = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ops = Array.from({ length: CLIENTS }, async (_, i) => {
        const mine = held.get(i) ?? [];
        if (mine.length && rnd() < 0.6) {
          const victim = mine[Math.floor(rnd() * mine.length)]!;
          const r = await detach(i, victim.id);
          expect(r.status).toBe(200);
          expect((r.body as Attachment).id).toBe(victim.id);
          held.set(
            i,
            mine.filter((a) => a.id !== victim.id),
          );
          detached++;
          return;
        }
        const count = 1 + Math.floor(rnd() * 3);
        const r = await attach(i, count);
        if (r.status === 201) {
          const got = (r.body as { attachments: Attachment[] }).attachments;
          expect(got).toHaveLength(count);
          held.set(i, [...mine, ...got]);
          attached++;
        } else {
          expect(r.status).toBe(422);
          expectNoCapacity(r, count);
          refused++;
        }
      });
      await Promise.all(ops);
      await expectConsistent();
    }
    // The rounds exercised both outcomes and both directions.
    expect(attached).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(detached).toBeGreaterThan(0);
    // Still one connection per client: the load really came from 64 concurrent sockets.
    expect(sockets.size).toBe(CLIENTS);
  });

  it('the end state: after every client detaches, the pool is whole and the kernel scrubbed', async () => {
    await Promise.all(
      [...held.entries()].map(async ([i, mine]) => {
        for (const a of mine) expect((await detach(i, a.id)).status).toBe(200);
        held.set(i, []);
      }),
    );
    await expectConsistent();
    expect(await f.store.listAttachments()).toEqual([]);
    const vfs = await f.req('GET', '/api/v1/pools/small/vfs', { token: operator });
    const items = (vfs.body as { items: { status: string }[] }).items;
    expect(items).toHaveLength(POOL_VFS);
    expect(items.every((v) => v.status === 'free')).toBe(true);
    // Every attach and detach that was answered left exactly one audit entry per VF.
    const audit = await f.store.listAudit({ limit: 100_000 });
    const creates = audit.filter((e) => e.action === 'attachment.create').length;
    const deletes = audit.filter((e) => e.action === 'attachment.delete').length;
    expect(creates).toBe(deletes);
    expect(creates).toBeGreaterThanOrEqual(POOL_VFS);
  });
});

describe('requests racing for the same attachment', () => {
  let g: ApiFixture;
  let admin: string;
  const call = (method: string, path: string, json?: unknown) =>
    g.req(method, `/api/v1${path}`, { token: admin, ...(json !== undefined ? { json } : {}) });
  const attachBody = (name: string) => ({
    tenant: 'team-a',
    pool: 'fast',
    consumer: { kind: 'vm', name },
    vlan: 100,
  });
  /** Resolves once the simulated kernel is holding `n` operations (a hang fault fired). */
  async function hung(n: number): Promise<void> {
    while (g.host.faults.fired.length < n) await new Promise((r) => setTimeout(r, 2));
  }

  beforeAll(async () => {
    g = await openApiFixture();
    admin = (await g.token('admin', 'admin')).secret;
    expect((await call('PUT', '/pools/fast', { selector: { pfNames: ['ens1f0'] } })).status).toBe(
      200,
    );
    expect((await call('PUT', '/tenants/team-a', { pools: ['fast'], vlans: '100' })).status).toBe(
      200,
    );
  });

  afterAll(async () => {
    await g.close();
  });

  it('a second detach of an attachment being detached is 409; the VF is scrubbed once, audited once', async () => {
    const a = (
      (await call('POST', '/attachments', attachBody('vm-d'))).body as {
        attachments: Attachment[];
      }
    ).attachments[0]!;
    const target = `${a.pfNetdev} vf ${a.vfIndex}`;
    const journalFrom = g.host.journal.length;
    // The first detach's scrub reaches the kernel and is held there.
    g.host.faults.add({ op: 'netlink', target, hang: true });
    const first = call('DELETE', `/attachments/${a.id}`);
    await hung(1);
    const second = await call('DELETE', `/attachments/${a.id}`);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      detail: `attachment ${a.id} is already being detached or reconciled`,
      fix: 'retry in a moment',
    });
    g.host.faults.clear();
    g.host.faults.releaseHangs();
    expect((await first).status).toBe(200);
    expect((await call('DELETE', `/attachments/${a.id}`)).status).toBe(404);
    const scrubs = g.host.journal
      .slice(journalFrom)
      .filter((e) => e.target === target && e.value.includes(`mac ${ZERO_MAC}`));
    expect(scrubs).toHaveLength(1);
    const audit = await g.store.listAudit({ limit: 100, target: `attachment/${a.id}` });
    expect(audit.map((e) => e.action)).toEqual(['attachment.delete', 'attachment.create']);
  });

  it('POST /reconcile while an attach is in flight leaves it to the attach, which completes', async () => {
    g.host.faults.fired.length = 0;
    // The attach's settings reach the kernel, and its answer is held there.
    g.host.faults.add({ op: 'netlink', target: /^ens1f0 vf \d+$/, hang: true });
    const attach = call('POST', '/attachments', attachBody('vm-r'));
    await hung(1);
    g.host.faults.clear();
    const [row] = await g.store.listAttachments({ consumerName: 'vm-r' });
    expect(row!.state).toBe('attaching');
    const rec = await call('POST', '/reconcile');
    expect(rec.status).toBe(200);
    expect(rec.body).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    });
    g.host.faults.releaseHangs();
    const r = await attach;
    expect(r.status).toBe(201);
    const a = (r.body as { attachments: Attachment[] }).attachments[0]!;
    expect(a).toMatchObject({ id: row!.id, state: 'attached' });
    expect(await g.store.getAttachment(a.id)).toMatchObject({ state: 'attached', mac: a.mac });
    expect(g.host.pf('ens1f0').sriov!.vfState[a.vfIndex]!.mac).toBe(a.mac);
    expect((await call('DELETE', `/attachments/${a.id}`)).status).toBe(200);
  });

  it('a detach while reconcile is re-applying that attachment is 409 until reconcile is done', async () => {
    const a = (
      (await call('POST', '/attachments', attachBody('vm-x'))).body as {
        attachments: Attachment[];
      }
    ).attachments[0]!;
    g.host.outOfBand([
      {
        kind: 'vf',
        pf: a.pfNetdev as never,
        vf: a.vfIndex,
        vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
      },
    ]);
    g.host.faults.fired.length = 0;
    g.host.faults.add({ op: 'netlink', target: `${a.pfNetdev} vf ${a.vfIndex}`, hang: true });
    const rec = call('POST', '/reconcile');
    await hung(1);
    g.host.faults.clear();
    expect((await call('DELETE', `/attachments/${a.id}`)).status).toBe(409);
    g.host.faults.releaseHangs();
    expect(((await rec).body as { reapplied: string[] }).reapplied).toEqual([a.id]);
    expect(g.host.pf(a.pfNetdev!).sriov!.vfState[a.vfIndex]!.vlan).toBe(100);
    expect((await call('DELETE', `/attachments/${a.id}`)).status).toBe(200);
  });
});
