// Every route of the REST API over real HTTP against a real ledger (SQLite in a temp dir) on the
// simulated dual-socket host: the happy paths, and each error as problem+json with the field it is
// about and the fix.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../src/api/server.js';
import { listenUnix } from '../../../src/api/unix-socket.js';
import type {
  Attachment,
  AuditEntry,
  Pool,
  Tenant,
  TokenRecord,
} from '../../../src/ledger/types.js';
import { parsePolicyDocuments } from '../../../src/policy/index.js';
import {
  openApiFixture,
  request,
  type ApiFixture,
  type HttpAnswer,
  type ProblemBody,
} from '../../support/api-fixture.js';

const V1 = '/api/v1';

/** Asserts an answer is a problem+json of `status` and `type` and returns its body. */
function problem(r: HttpAnswer, status: number, type: string): ProblemBody {
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(r.status).toBe(status);
  const p = r.body as ProblemBody;
  expect(p.status).toBe(status);
  expect(p.type).toBe(`https://sriovctl.dev/problems/${type}`);
  expect(typeof p.title).toBe('string');
  expect(p.detail.length).toBeGreaterThan(0);
  return p;
}

async function vfOf(f: ApiFixture, pf: string, vf: number) {
  const link = (await f.host.linkDump()).links.find((l) => l.ifname === pf);
  return link!.vfs!.find((v) => v.vf === vf)!;
}

let f: ApiFixture;
let admin: string;

beforeAll(async () => {
  f = await openApiFixture();
  admin = (await f.token('root-admin', 'admin')).secret;
  // fast: the E810's 8 VFs on vfio-pci; mlx: the ConnectX-6's 4 VFs on their host driver.
  for (const [name, spec] of [
    ['fast', { selector: { pfNames: ['ens1f0'] } }],
    ['mlx', { selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' }],
  ] as const) {
    const r = await f.req('PUT', `${V1}/pools/${name}`, { token: admin, json: spec });
    expect(r.status).toBe(200);
  }
  const t = await f.req('PUT', `${V1}/tenants/team-a`, {
    token: admin,
    json: { pools: ['fast', 'mlx'], vlans: '100-199' },
  });
  expect(t.status).toBe(200);
});

afterAll(async () => {
  await f.close();
});

const as = (method: string, path: string, json?: unknown) =>
  f.req(method, `${V1}${path}`, { token: admin, ...(json !== undefined ? { json } : {}) });

describe('tenants', () => {
  it('PUT creates then replaces a tenant; GET and the list show it; the audit says create then update', async () => {
    const created = await as('PUT', '/tenants/team-x', { vlans: '300', description: 'first' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'team-x',
      vlans: '300',
      pools: [],
      allowTrust: false,
      description: 'first',
    });
    const replaced = await as('PUT', '/tenants/team-x', { vlans: '300-301', maxVfs: 2 });
    expect(replaced.status).toBe(200);
    const got = (await as('GET', '/tenants/team-x')).body as Tenant;
    expect(got).toMatchObject({ name: 'team-x', vlans: '300-301', maxVfs: 2 });
    // Replace means replace: the old description is gone.
    expect(got.description).toBeUndefined();
    const list = (await as('GET', '/tenants')).body as { items: Tenant[] };
    expect(list.items.map((t) => t.name)).toEqual(['team-a', 'team-x']);
    const audit = (await as('GET', '/audit?target=tenant/team-x')).body as { items: AuditEntry[] };
    expect(audit.items.map((e) => e.action)).toEqual(['tenant.update', 'tenant.create']);
    expect(audit.items[0]!.actor).toBe('root-admin');
  });

  it('PUT refuses a pool that does not exist: 422 on field pools with the fix', async () => {
    const p = problem(
      await as('PUT', '/tenants/team-y', { pools: ['nope'], vlans: '1' }),
      422,
      'refused',
    );
    expect(p).toMatchObject({
      field: 'pools',
      fix: 'create the pool first',
      instance: '/api/v1/tenants/team-y',
    });
    expect(p.detail).toBe('pool nope does not exist');
    expect(problem(await as('GET', '/tenants/team-y'), 404, 'not-found').detail).toBe(
      'tenant team-y does not exist',
    );
  });

  it.each([
    ['/tenants/Team_B', { vlans: '1' }, 'params.name'],
    ['/tenants/team-b', { vlans: '5000' }, 'body.vlans'],
    ['/tenants/team-b', { vlans: '1-x' }, 'body.vlans'],
    ['/tenants/team-b', {}, 'body.vlans'],
    ['/tenants/team-b', { vlans: '1', maxVfs: -1 }, 'body.maxVfs'],
    ['/tenants/team-b', { vlans: '1', maxGuaranteedMbps: 1e12 }, 'body.maxGuaranteedMbps'],
    ['/tenants/team-b', { vlans: '1', pools: ['Bad Name'] }, 'body.pools.0'],
    ['/tenants/team-b', { vlans: '1', allowTrust: 'yes' }, 'body.allowTrust'],
    ['/tenants/team-b', { vlans: '1', owner: 'me' }, 'body'],
  ])('PUT %s %j is 400 naming %s', async (path, body, field) => {
    const p = problem(await as('PUT', path, body), 400, 'invalid-request');
    expect(p.field).toBe(field);
    expect(p.errors?.[0]?.field).toBe(field);
    expect(p.detail).toContain(`${field}: `);
  });

  it('DELETE removes an empty tenant (204), answers 404 the second time, and 409 while it holds VFs', async () => {
    expect((await as('PUT', '/tenants/team-z', { vlans: '1' })).status).toBe(200);
    const del = await as('DELETE', '/tenants/team-z');
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    problem(await as('DELETE', '/tenants/team-z'), 404, 'not-found');

    const a = await as('POST', '/attachments', {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'holder' },
      vlan: 100,
    });
    expect(a.status).toBe(201);
    const p = problem(await as('DELETE', '/tenants/team-a'), 409, 'conflict');
    expect(p.detail).toBe('tenant team-a still holds 1 attachment');
    expect(p.fix).toBe('detach them first');
    const id = (a.body as { attachments: Attachment[] }).attachments[0]!.id;
    expect((await as('DELETE', `/attachments/${id}`)).status).toBe(200);
  });
});

describe('pools', () => {
  it('PUT defaults vfDriver to vfio-pci; GET, the list and /vfs show the pool and its VFs', async () => {
    const r = await as('PUT', '/pools/spare', { selector: { pfNames: ['ens1f0#6-7'] } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'spare', vfDriver: 'vfio-pci' });
    expect(((await as('GET', '/pools/spare')).body as Pool).selector).toEqual({
      pfNames: ['ens1f0#6-7'],
    });
    const list = (await as('GET', '/pools')).body as { items: Pool[] };
    expect(list.items.map((p) => p.name)).toEqual(['fast', 'mlx', 'spare']);
    const vfs = (await as('GET', '/pools/spare/vfs')).body as {
      items: { pfNetdev: string; vfIndex: number; pciAddress: string; status: string }[];
    };
    expect(vfs.items.map((v) => [v.pfNetdev, v.vfIndex, v.pciAddress, v.status])).toEqual([
      ['ens1f0', 6, '0000:3b:01.6', 'free'],
      ['ens1f0', 7, '0000:3b:01.7', 'free'],
    ]);
    expect((await as('DELETE', '/pools/spare')).status).toBe(204);
    problem(await as('GET', '/pools/spare'), 404, 'not-found');
    problem(await as('GET', '/pools/spare/vfs'), 404, 'not-found');
    problem(await as('DELETE', '/pools/spare'), 404, 'not-found');
  });

  it.each([
    [{ selector: {} }, 'body.selector'],
    [{ selector: { vendor: 'INTEL' } }, 'body.selector.vendor'],
    [{ selector: { pfNames: ['ens1f0'], vfRange: '7-3' } }, 'body.selector.vfRange'],
    [{ selector: { pfNames: ['ens1f0'] }, vfDriver: 'igb_uio' }, 'body.vfDriver'],
    [{}, 'body.selector'],
  ])('PUT %j is 400 naming %s', async (body, field) => {
    const p = problem(await as('PUT', '/pools/broken', body), 400, 'invalid-request');
    expect(p.field).toBe(field);
    problem(await as('GET', '/pools/broken'), 404, 'not-found');
  });

  it.each([
    ['ens1f0\nlink set dev ens2f0 vf 0 mac 02:00:00:00:00:66'],
    ['$(reboot)'],
    [' ens1f0'],
    ['..'],
  ])(
    'PUT refuses pfNames %j, which no PF could match: 400 on the entry, with the policy message',
    async (bad) => {
      const p = problem(
        await as('PUT', '/pools/broken', { selector: { pfNames: ['ens1f1', bad] } }),
        400,
        'invalid-request',
      );
      const message = `is not a PF name — it has the interface name ${JSON.stringify(bad)}, which Linux would not accept; write names like ens1f0 or ens1f0#0-7,12`;
      expect(p.errors).toEqual([{ field: 'body.selector.pfNames.1', message }]);
      // The same rule and words as a policy's selector (which puts the value in front).
      const policy = parsePolicyDocuments(
        `apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: a }\nspec:\n  selector: { pfNames: [ens1f1, ${JSON.stringify(bad)}] }\n`,
        'a.yaml',
      );
      expect(policy.errors.map((e) => [e.field, e.message])).toEqual([
        ['spec.selector.pfNames[1]', `${JSON.stringify(bad)} ${message}`],
      ]);
      problem(await as('GET', '/pools/broken'), 404, 'not-found');
    },
  );

  it('PUT refuses other selector entries with the policy rules, and normalises addresses as policies do', async () => {
    const bad = problem(
      await as('PUT', '/pools/broken', {
        selector: { pciAddresses: ['0000:3b:00.0/../x'], drivers: ['ice; reboot'] },
      }),
      400,
      'invalid-request',
    );
    expect(bad.errors).toEqual([
      {
        field: 'body.selector.pciAddresses.0',
        message: 'a PF PCI address like 0000:3b:00.0 (or a netdevsim device like netdevsim10)',
      },
      { field: 'body.selector.drivers.0', message: 'a driver name like ice' },
    ]);
    const ok = await as('PUT', '/pools/upper', {
      selector: { pciAddresses: ['3B:00.1', 'netdevsim10'], vendor: '0x8086' },
    });
    expect(ok.status).toBe(200);
    expect((ok.body as Pool).selector).toEqual({
      pciAddresses: ['0000:3b:00.1', 'netdevsim10'],
      vendor: '8086',
    });
    expect(((await as('GET', '/pools/upper/vfs')).body as { items: unknown[] }).items).toHaveLength(
      0,
    );
    expect((await as('DELETE', '/pools/upper')).status).toBe(204);
  });

  it('DELETE refuses a pool a tenant may use: 409 with the tenant and the fix', async () => {
    const p = problem(await as('DELETE', '/pools/fast'), 409, 'conflict');
    expect(p.detail).toBe('pool fast is allowed to tenant team-a');
    expect(p.fix).toBe('remove it from those tenants first');
  });
});

describe('attachments', () => {
  it('POST attaches: 201, the kernel VF carries the MAC and VLAN, GET and the pool view show it', async () => {
    const r = await as('POST', '/attachments', {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-1' },
      vlan: 120,
      maxTxRate: 5000,
    });
    expect(r.status).toBe(201);
    const body = r.body as { attachments: Attachment[]; reasons: string[] };
    expect(body.attachments).toHaveLength(1);
    const a = body.attachments[0]!;
    expect(a).toMatchObject({
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-1', host: 'compute-17' },
      interface: 'net0',
      pfNetdev: 'ens1f0',
      vlan: 120,
      maxTxRate: 5000,
      spoofchk: true,
      state: 'attached',
      requestedBy: 'root-admin',
    });
    expect(body.reasons[0]).toMatch(/NUMA node 0/);
    const k = await vfOf(f, 'ens1f0', a.vfIndex);
    expect([k.mac, k.vlan, k.maxTxRate]).toEqual([a.mac, 120, 5000]);

    expect((await as('GET', `/attachments/${a.id}`)).body).toEqual(a);
    const list = (await as('GET', '/attachments?tenant=team-a&consumer=vm-1')).body as {
      items: Attachment[];
    };
    expect(list.items.map((x) => x.id)).toEqual([a.id]);
    const none = (await as('GET', '/attachments?pool=mlx')).body as { items: Attachment[] };
    expect(none.items).toEqual([]);
    const vfs = (await as('GET', '/pools/fast/vfs')).body as {
      items: { vfIndex: number; status: string; attachment?: string }[];
    };
    expect(vfs.items.find((v) => v.vfIndex === a.vfIndex)).toMatchObject({
      status: 'taken',
      attachment: a.id,
    });

    // Detach: 200 with what was released, the VF scrubbed, the attachment gone.
    const d = await as('DELETE', `/attachments/${a.id}`);
    expect(d.status).toBe(200);
    expect((d.body as Attachment).id).toBe(a.id);
    const s = await vfOf(f, 'ens1f0', a.vfIndex);
    expect([s.mac, s.vlan, s.maxTxRate]).toEqual(['00:00:00:00:00:00', 0, 0]);
    problem(await as('GET', `/attachments/${a.id}`), 404, 'not-found');
    problem(await as('DELETE', `/attachments/${a.id}`), 404, 'not-found');
  });

  it.each([
    [{ minTxRate: 5000, maxTxRate: 1000 }, 'body.minTxRate'],
    [{ consumer: { kind: 'vm', name: '../etc/passwd' } }, 'body.consumer.name'],
    [{ consumer: { kind: 'lxc', name: 'c1' } }, 'body.consumer.kind'],
    [{ consumer: { kind: 'vm', name: 'c1', host: 'a b' } }, 'body.consumer.host'],
    [{ count: 0 }, 'body.count'],
    [{ count: 2, interfaces: ['net0'] }, 'body.count'],
    [{ interfaces: ['net0', 'net0'] }, 'body.interfaces'],
    [{ interfaces: ['0bad'] }, 'body.interfaces.0'],
    [{ mac: '01:00:5e:00:00:01' }, 'body.mac'],
    [{ vlan: 4095 }, 'body.vlan'],
    [{ qos: 8 }, 'body.qos'],
    [{ numa: { node: 0, mode: 'always' } }, 'body.numa.mode'],
    [{ tenant: 'Team A' }, 'body.tenant'],
    [{ gpu: true }, 'body'],
  ])('POST /attachments with %j is 400 naming %s', async (patch, field) => {
    const p = problem(
      await as('POST', '/attachments', {
        tenant: 'team-a',
        pool: 'fast',
        consumer: { kind: 'vm', name: 'vm-2' },
        vlan: 100,
        ...patch,
      }),
      400,
      'invalid-request',
    );
    expect(p.field).toBe(field);
    expect(p.errors?.map((e) => e.field)).toContain(field);
  });

  it('refusals by a rule are 422 naming the field, with the numbers', async () => {
    const base = { tenant: 'team-a', pool: 'fast', consumer: { kind: 'vm', name: 'vm-3' } };
    const noVlan = problem(await as('POST', '/attachments', base), 422, 'refused');
    expect(noVlan.field).toBe('vlan');
    expect(noVlan.detail).toBe(
      'tenant team-a has several VLANs (100-199); say which one with vlan',
    );

    const outside = problem(
      await as('POST', '/attachments', { ...base, vlan: 200 }),
      422,
      'refused',
    );
    expect(outside.field).toBe('vlan');

    const full = problem(
      await as('POST', '/attachments', { ...base, vlan: 100, count: 9 }),
      422,
      'refused',
    );
    expect(full).toMatchObject({
      field: 'count',
      code: 'no-capacity',
      placement: { poolVfs: 8, candidates: 8, excluded: [], strategy: 'spread' },
    });
    expect(full.detail).toBe(
      'pool fast has 8 VFs that fit this request, 9 wanted (8 found); 8 in the pool',
    );

    const trust = problem(
      await as('POST', '/attachments', { ...base, vlan: 100, trust: true }),
      422,
      'refused',
    );
    expect(trust).toMatchObject({ field: 'trust', code: 'trust-not-allowed' });

    const unknownTenant = problem(
      await as('POST', '/attachments', { ...base, tenant: 'nobody', vlan: 100 }),
      404,
      'not-found',
    );
    expect(unknownTenant.field).toBe('tenant');
    const unknownPool = problem(
      await as('POST', '/attachments', { ...base, pool: 'nopool', vlan: 100 }),
      404,
      'not-found',
    );
    expect(unknownPool.field).toBe('pool');
    expect((await f.store.listAttachments()).length).toBe(0);
  });

  it('an interface a consumer already has is 409 on field interfaces; a taken MAC is 409 on mac', async () => {
    const base = {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'pod', name: 'default/web-0' },
      vlan: 100,
    };
    const first = await as('POST', '/attachments', { ...base, interfaces: ['eth1'] });
    expect(first.status).toBe(201);
    const dup = problem(
      await as('POST', '/attachments', { ...base, interfaces: ['eth1'] }),
      409,
      'conflict',
    );
    expect(dup.field).toBe('interfaces');
    expect(dup.fix).toBe('detach it first or use another interface name');
    const mac = (first.body as { attachments: Attachment[] }).attachments[0]!.mac;
    const macDup = problem(
      await as('POST', '/attachments', {
        ...base,
        consumer: { kind: 'pod', name: 'default/web-1' },
        mac,
      }),
      409,
      'conflict',
    );
    expect(macDup.field).toBe('mac');
    const id = (first.body as { attachments: Attachment[] }).attachments[0]!.id;
    expect((await as('DELETE', `/attachments/${id}`)).status).toBe(200);
  });

  it('Idempotency-Key: a retry answers the first result; another body with the key is 409; a bad key is 400', async () => {
    const body = {
      tenant: 'team-a',
      pool: 'mlx',
      consumer: { kind: 'vm', name: 'vm-idem' },
      vlan: 150,
    };
    const key = '5b0b3a8e-6a55-4c3e-9a1e-1d1e1c0f0a01';
    const post = (b: unknown, k: string) =>
      f.req('POST', `${V1}/attachments`, {
        token: admin,
        json: b,
        headers: { 'idempotency-key': k },
      });
    const one = await post(body, key);
    const two = await post(body, key);
    expect(one.status).toBe(201);
    expect(two.status).toBe(201);
    expect(two.body).toEqual(one.body);
    expect((await f.store.listAttachments({ consumerName: 'vm-idem' })).length).toBe(1);

    const other = problem(await post({ ...body, vlan: 151 }, key), 409, 'conflict');
    expect(other.detail).toBe('this Idempotency-Key was used for a different request');
    expect(other.fix).toBe('use a new key for a new request');
    const bad = problem(await post(body, 'short'), 400, 'invalid-request');
    expect(bad.field).toBe('headers.idempotency-key');
    expect((await f.store.listAttachments({ consumerName: 'vm-idem' })).length).toBe(1);

    const id = (one.body as { attachments: Attachment[] }).attachments[0]!.id;
    expect((await as('DELETE', `/attachments/${id}`)).status).toBe(200);
  });

  it('a path id that is not a UUID is 400 on params.id; a query key that does not exist is 400', async () => {
    expect(problem(await as('GET', '/attachments/../../etc'), 404, 'not-found').detail).toMatch(
      /no route/,
    );
    expect(problem(await as('DELETE', '/attachments/42'), 400, 'invalid-request').field).toBe(
      'params.id',
    );
    expect(problem(await as('GET', '/attachments/xyz'), 400, 'invalid-request').field).toBe(
      'params.id',
    );
    const q = problem(await as('GET', '/attachments?color=red'), 400, 'invalid-request');
    expect(q.field).toBe('querystring');
    expect(q.detail).toContain('color');
    expect(problem(await as('GET', '/attachments?state=gone'), 400, 'invalid-request').field).toBe(
      'querystring.state',
    );
  });

  it('the kernel refusing a VF setting is 502 host-failed (EIO) or 422 (EINVAL); nothing stays attached', async () => {
    const body = {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-k' },
      vlan: 100,
    };
    const auditBefore = (await f.store.listAudit({ limit: 1000 })).length;
    f.host.faults.add({ op: 'netlink', target: /^ens1f0 vf \d+$/, errno: 'EIO' });
    const eio = problem(await as('POST', '/attachments', body), 502, 'host-failed');
    expect(eio.detail).toMatch(/^the kernel refused to configure VF 0 of ens1f0: /);
    expect(eio.errno).toBe('EIO');
    expect(typeof eio.fix).toBe('string');
    f.host.faults.clear();
    f.host.faults.add({ op: 'netlink', target: /^ens1f0 vf \d+$/, errno: 'EINVAL' });
    const einval = problem(await as('POST', '/attachments', body), 422, 'host-failed');
    expect(einval.title).toBe('The kernel refused these values');
    f.host.faults.clear();
    expect(await f.store.listAttachments()).toEqual([]);
    // Each failure left its trace: the rollback is audited.
    const audit = await f.store.listAudit({ limit: 1000 });
    expect(audit.length).toBe(auditBefore + 2);
    expect(audit.slice(0, 2).map((e) => e.action)).toEqual([
      'attachment.rollback',
      'attachment.rollback',
    ]);
    // The VF was scrubbed again after the refusal.
    expect((await vfOf(f, 'ens1f0', 0)).mac).toBe('00:00:00:00:00:00');
  });
});

describe('placements', () => {
  it('POST /placements previews choices without attaching, and explains a refusal', async () => {
    const before = (await f.store.listAudit({ limit: 1000 })).length;
    const ok = await as('POST', '/placements', {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-p' },
      vlan: 100,
      count: 2,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      ok: true,
      choices: [
        { pfNetdev: 'ens1f0', vfIndex: 0, numaNode: 0 },
        { pfNetdev: 'ens1f0', vfIndex: 1, numaNode: 0 },
      ],
      placement: { poolVfs: 8, candidates: 8 },
    });
    const no = await as('POST', '/placements', {
      tenant: 'team-a',
      pool: 'mlx',
      consumer: { kind: 'vm', name: 'vm-p' },
      vlan: 100,
      count: 5,
    });
    expect(no.status).toBe(200);
    expect(no.body).toMatchObject({ ok: false, code: 'no-capacity', choices: [] });
    expect(await f.store.listAttachments()).toEqual([]);
    expect((await f.store.listAudit({ limit: 1000 })).length).toBe(before);
    expect(
      problem(await as('POST', '/placements', { tenant: 'team-a' }), 400, 'invalid-request').field,
    ).toBe('body.pool');
  });
});

describe('audit', () => {
  it('pages newest first with before/next and filters by action and tenant', async () => {
    const page1 = (await as('GET', '/audit?limit=2')).body as {
      items: AuditEntry[];
      next: number | null;
    };
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]!.seq).toBeGreaterThan(page1.items[1]!.seq);
    expect(page1.next).toBe(page1.items[1]!.seq);
    const page2 = (await as('GET', `/audit?limit=2&before=${page1.next}`)).body as {
      items: AuditEntry[];
    };
    expect(page2.items[0]!.seq).toBeLessThan(page1.items[1]!.seq);
    const all = (await as('GET', '/audit?limit=1000')).body as {
      items: AuditEntry[];
      next: number | null;
    };
    expect(all.next).toBeNull();
    // A page that ends exactly at the oldest entry has no next page.
    const exact = (await as('GET', `/audit?limit=${all.items.length}`)).body as {
      items: AuditEntry[];
      next: number | null;
    };
    expect(exact.items).toHaveLength(all.items.length);
    expect(exact.next).toBeNull();
    const creates = (await as('GET', '/audit?action=pool.create&limit=1000')).body as {
      items: AuditEntry[];
    };
    expect(creates.items.length).toBeGreaterThan(0);
    expect(creates.items.length).toBe(all.items.filter((e) => e.action === 'pool.create').length);
    expect(creates.items.every((e) => e.action === 'pool.create')).toBe(true);
    const mine = (await as('GET', '/audit?tenant=team-a&limit=1000')).body as {
      items: AuditEntry[];
    };
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((e) => e.tenant === 'team-a')).toBe(true);
  });

  it.each([
    ['limit=abc', 'querystring.limit'],
    ['limit=0', 'querystring.limit'],
    ['limit=1001', 'querystring.limit'],
    ['before=-1', 'querystring.before'],
    ['action=DROP%20TABLE', 'querystring.action'],
    ['tenant=..%2Fx', 'querystring.tenant'],
    ['since=yesterday', 'querystring'],
  ])('GET /audit?%s is 400 naming %s', async (qs, field) => {
    expect(problem(await as('GET', `/audit?${qs}`), 400, 'invalid-request').field).toBe(field);
  });
});

describe('tokens and whoami', () => {
  it('POST shows the secret once; GET never shows it; the token works until DELETE revokes it', async () => {
    const r = await as('POST', '/tokens', { name: 'ci-bot', role: 'operator', tenant: 'team-a' });
    expect(r.status).toBe(201);
    const { token, secret } = r.body as { token: TokenRecord; secret: string };
    expect(secret).toMatch(/^sriovctl_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci-bot', role: 'operator', tenant: 'team-a' });
    const list = await as('GET', '/tokens');
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain('hash');
    expect((list.body as { items: TokenRecord[] }).items.map((t) => t.name)).toEqual([
      'ci-bot',
      'root-admin',
    ]);
    const who = await f.req('GET', `${V1}/whoami`, { token: secret });
    expect(who.body).toEqual({
      name: 'ci-bot',
      role: 'operator',
      tenant: 'team-a',
      host: 'compute-17',
      simulated: true,
      fixture: 'dual-socket-e810-cx6',
    });
    expect((await as('DELETE', `/tokens/${token.id}`)).status).toBe(204);
    problem(await f.req('GET', `${V1}/whoami`, { token: secret }), 401, 'unauthorized');
    problem(await as('DELETE', `/tokens/${token.id}`), 404, 'not-found');
  });

  it('refuses a duplicate name (409 on name), an unknown tenant (422 on tenant), a tenant admin (400)', async () => {
    expect((await as('POST', '/tokens', { name: 'dup', role: 'viewer' })).status).toBe(201);
    expect(
      problem(await as('POST', '/tokens', { name: 'dup', role: 'viewer' }), 409, 'conflict').field,
    ).toBe('name');
    const t = problem(
      await as('POST', '/tokens', { name: 'x1', role: 'viewer', tenant: 'ghost' }),
      422,
      'refused',
    );
    expect(t).toMatchObject({ field: 'tenant', detail: 'tenant ghost does not exist' });
    expect(
      problem(
        await as('POST', '/tokens', { name: 'x2', role: 'admin', tenant: 'team-a' }),
        400,
        'invalid-request',
      ).field,
    ).toBe('body.role');
    expect(
      problem(await as('POST', '/tokens', { name: 'x3', role: 'root' }), 400, 'invalid-request')
        .field,
    ).toBe('body.role');
    expect(problem(await as('DELETE', '/tokens/nope'), 400, 'invalid-request').field).toBe(
      'params.id',
    );
    const names = (await f.store.listTokens()).map((x) => x.name);
    expect(names).not.toContain('x1');
    expect(names).not.toContain('x2');
  });

  it('whoami names the caller and the host', async () => {
    expect((await as('GET', '/whoami')).body).toEqual({
      name: 'root-admin',
      role: 'admin',
      tenant: null,
      host: 'compute-17',
      simulated: true,
      fixture: 'dual-socket-e810-cx6',
    });
  });
});

describe('reconcile', () => {
  it('POST /reconcile re-applies an attachment whose VF was changed behind its back', async () => {
    const r = await as('POST', '/attachments', {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-r' },
      vlan: 110,
    });
    const a = (r.body as { attachments: Attachment[] }).attachments[0]!;
    f.host.outOfBand([
      {
        kind: 'vf',
        pf: a.pfNetdev as never,
        vf: a.vfIndex,
        vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
      },
    ]);
    expect((await vfOf(f, 'ens1f0', a.vfIndex)).vlan).toBe(999);
    const rec = await as('POST', '/reconcile');
    expect(rec.status).toBe(200);
    expect(rec.body).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [a.id],
      orphaned: [],
      failed: [],
    });
    expect((await vfOf(f, 'ens1f0', a.vfIndex)).vlan).toBe(110);
    expect((await as('DELETE', `/attachments/${a.id}`)).status).toBe(200);
  });
});

describe('HTTP', () => {
  it('an unknown route is a 404 problem', async () => {
    const p = problem(await as('GET', '/nothing/here?x=1'), 404, 'not-found');
    expect(p.detail).toBe('no route GET /api/v1/nothing/here');
    problem(await as('PATCH', '/tenants/team-a', {}), 404, 'not-found');
  });

  it('malformed JSON is a 400 problem; a wrong content type 415; a body over 256 KiB 413', async () => {
    const bad = await f.req('POST', `${V1}/attachments`, {
      token: admin,
      raw: '{"tenant": "team-a",',
      headers: { 'content-type': 'application/json' },
    });
    expect(problem(bad, 400, 'bad-request').detail).toMatch(/not valid JSON/);
    const xml = await f.req('PUT', `${V1}/tenants/team-q`, {
      token: admin,
      raw: '<tenant/>',
      headers: { 'content-type': 'application/xml' },
    });
    problem(xml, 415, 'unsupported-media-type');
    const huge = await f.req('PUT', `${V1}/tenants/team-q`, {
      token: admin,
      json: { vlans: '1', description: 'x'.repeat(300 * 1024) },
    });
    problem(huge, 413, 'body-too-large');
    problem(await as('GET', '/tenants/team-q'), 404, 'not-found');
  });

  it("the router's own errors are problems too: a broken %-escape is 400, a 200-character name 414", async () => {
    const escape = problem(await as('GET', '/tenants/%E0%A4%A'), 400, 'bad-request');
    expect(escape.detail).toBe("'/api/v1/tenants/%E0%A4%A' is not a valid url component");
    const long = problem(
      await as('DELETE', `/attachments/${'a'.repeat(200)}`),
      414,
      'uri-too-long',
    );
    expect(long.detail).toMatch(/is exceeding the max param length$/);
  });

  it('no token, a malformed header or an unknown token is a 401 problem with the fix', async () => {
    for (const headers of [
      {},
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer sriovctl_not-a-real-token' },
      { authorization: `Bearer ${admin}x` },
    ]) {
      const p = problem(await f.req('GET', `${V1}/tenants`, { headers }), 401, 'unauthorized');
      expect(p.fix).toMatch(/sriovctl token create/);
    }
  });

  it('the OpenAPI document lists every route and needs no token; /api/docs serves the UI', async () => {
    const doc = await f.req('GET', '/api/docs/json');
    expect(doc.status).toBe(200);
    const paths = (doc.body as { paths: Record<string, Record<string, unknown>> }).paths;
    const routes = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /api/v1/tenants',
        'GET /api/v1/tenants/{name}',
        'PUT /api/v1/tenants/{name}',
        'DELETE /api/v1/tenants/{name}',
        'POST /api/v1/tenants/check',
        'GET /api/v1/pools',
        'GET /api/v1/pools/{name}',
        'PUT /api/v1/pools/{name}',
        'DELETE /api/v1/pools/{name}',
        'GET /api/v1/pools/{name}/vfs',
        'POST /api/v1/pools/preview',
        'GET /api/v1/attachments',
        'POST /api/v1/attachments',
        'GET /api/v1/attachments/{id}',
        'DELETE /api/v1/attachments/{id}',
        'POST /api/v1/placements',
        'GET /api/v1/audit',
        'GET /api/v1/tokens',
        'POST /api/v1/tokens',
        'DELETE /api/v1/tokens/{id}',
        'GET /api/v1/whoami',
        'POST /api/v1/reconcile',
      ].sort(),
    );
    // The attach body's schema is the zod schema, so clients see the same rules.
    const post = paths['/api/v1/attachments']!.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
    };
    expect(post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['tenant', 'pool', 'consumer']),
    );
    const ui = await f.req('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.text).toContain('Swagger UI');
  });

  it('a docs path does not open the API: dot segments under /api/docs still need a token', async () => {
    for (const path of [
      '/api/docs/../v1/tenants',
      '/api/docs/%2e%2e/v1/tenants',
      '/api/docs/static/../../v1/whoami',
      '/api/docs/json/../../v1/tenants',
    ]) {
      const r = await f.req('GET', path);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.text).not.toContain('team-a');
      expect(r.text).not.toContain('local-root');
    }
  });
});

describe('rate limiting', () => {
  it('answers 429 problem+json past the per-minute budget, per principal', async () => {
    const g = await openApiFixture({ rateLimitPerMinute: 3 });
    try {
      const a = (await g.token('client-a', 'viewer')).secret;
      const b = (await g.token('client-b', 'viewer')).secret;
      for (let i = 0; i < 3; i++)
        expect((await g.req('GET', `${V1}/tenants`, { token: a })).status).toBe(200);
      const r = await g.req('GET', `${V1}/tenants`, { token: a });
      const p = problem(r, 429, 'rate-limited');
      expect(p.detail).toMatch(/^more than 3 requests in a minute from client-a; retry in \d+ s$/);
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      // Another client still has its own budget.
      expect((await g.req('GET', `${V1}/tenants`, { token: b })).status).toBe(200);
    } finally {
      await g.close();
    }
  });

  it('limits guessing: past the budget of failed tokens an address gets 429, not another try', async () => {
    const g = await openApiFixture({ rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await g.req('GET', `${V1}/tenants`, { token: `sriovctl_guess${i}` })).status,
        );
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const r = await g.req('GET', `${V1}/tenants`, { token: 'sriovctl_guess9' });
      expect(problem(r, 429, 'rate-limited').detail).toMatch(/without a valid token/);
    } finally {
      await g.close();
    }
  });
});

describe('unix socket', () => {
  // process.umask cannot be changed in a worker thread (vitest runs tests in one), so the daemon's
  // side runs in a child process, as it does in production.
  it('is 0600, serves local root without a token, replaces a stale socket and refuses a live one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-sock-'));
    const path = join(dir, 'run', 'api.sock');
    try {
      // A stale socket: its server was killed without removing it.
      const stale = spawnSync(process.execPath, [
        '-e',
        `require('fs').mkdirSync(${JSON.stringify(join(dir, 'run'))});require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]);
      expect(stale.signal).toBe('SIGKILL');
      expect(statSync(path).isSocket()).toBe(true);

      const child = spawn(
        process.execPath,
        ['--import', 'tsx', resolve('test/support/unix-api-child.ts'), path],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      const waiters: (() => void)[] = [];
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const w of waiters) w();
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      const line = (re: RegExp) =>
        new Promise<RegExpExecArray>((res, rej) => {
          const check = () => {
            const m = re.exec(out);
            if (m) res(m);
          };
          waiters.push(check);
          check();
          void exited.then(() => rej(new Error(`child exited: ${out} ${err}`)));
        });
      await line(/^listening$/m);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(path).isSocket()).toBe(true);
      const who = await request({ socketPath: path }, 'GET', `${V1}/whoami`);
      expect(who.status).toBe(200);
      expect(who.body).toEqual({
        name: 'local-root',
        role: 'admin',
        tenant: null,
        host: 'compute-17',
        simulated: true,
        fixture: 'dual-socket-e810-cx6',
      });
      const put = await request({ socketPath: path }, 'PUT', `${V1}/pools/local`, {
        json: { selector: { drivers: ['ice'] } },
      });
      expect(put.status).toBe(200);
      // A second daemon on the same live path is refused (before it touches the umask, so this
      // part runs here), and the live socket is left in place.
      const second = await buildApi({
        ledger: f.ledger,
        allocation: f.allocation,
        transport: 'unix',
      });
      await expect(listenUnix(second, path)).rejects.toThrow(
        `another sriovctl serve is listening on ${path}; stop it first`,
      );
      await second.close();
      expect((await request({ socketPath: path }, 'GET', `${V1}/pools/local`)).status).toBe(200);
      child.stdin.end();
      expect(await exited).toBe(0);

      // A path that is not a socket is left alone.
      const plain = join(dir, 'plain');
      writeFileSync(plain, 'keep me');
      const third = await buildApi({
        ledger: f.ledger,
        allocation: f.allocation,
        transport: 'unix',
      });
      await expect(listenUnix(third, plain)).rejects.toThrow(
        `${plain} exists and is not a socket; remove it or pass another --socket`,
      );
      await third.close();
      expect(readFileSync(plain, 'utf8')).toBe('keep me');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
