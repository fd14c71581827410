// Who may do what, over real HTTP: a matrix of principals × operations with the exact status each
// gets, then the tenant walls in detail (filtered lists, other tenants' things answering 404 or
// 403, the pool view hiding who holds a VF) and tokens kept only as hashes on disk.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment, AuditEntry, Pool, Tenant } from '../../../src/ledger/types.js';
import { attachRequest, poolSpec, tenantSpec } from '../../../src/contract/index.js';
import {
  ledgerState,
  openApiFixture,
  type ApiFixture,
  type HttpAnswer,
} from '../../support/api-fixture.js';

const V1 = '/api/v1';

const PRINCIPALS = [
  'admin',
  'operator',
  'viewer',
  'a-operator',
  'a-viewer',
  'b-operator',
  'no-token',
  'bad-token',
  'revoked',
] as const;
type P = (typeof PRINCIPALS)[number];

let f: ApiFixture;
const secrets = {} as Record<P, string | null>;
/** Attachments made by the admin in setup: one per tenant on the pool both may use. */
let attA: Attachment;
let attB: Attachment;

async function attach(tenant: string, pool: string, name: string, vlan: number) {
  const r = await f.allocation.attach(
    f.root,
    attachRequest.parse({ tenant, pool, consumer: { kind: 'vm', name }, vlan }),
  );
  return r.attachments[0]!;
}

beforeAll(async () => {
  f = await openApiFixture();
  const put = (name: string, spec: unknown) => f.ledger.putPool(f.root, name, poolSpec.parse(spec));
  await put('pa', { selector: { pfNames: ['ens1f0#0-3'] } });
  await put('pb', { selector: { pfNames: ['ens1f0#4-7'] } });
  await put('shared', { selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' });
  await f.ledger.putTenant(
    f.root,
    'team-a',
    tenantSpec.parse({ pools: ['pa', 'shared'], vlans: '100' }),
  );
  await f.ledger.putTenant(
    f.root,
    'team-b',
    tenantSpec.parse({ pools: ['pb', 'shared'], vlans: '200' }),
  );
  attA = await attach('team-a', 'shared', 'vm-a', 100);
  attB = await attach('team-b', 'shared', 'vm-b', 200);

  secrets.admin = (await f.token('admin', 'admin')).secret;
  secrets.operator = (await f.token('operator', 'operator')).secret;
  secrets.viewer = (await f.token('viewer', 'viewer')).secret;
  secrets['a-operator'] = (await f.token('a-operator', 'operator', 'team-a')).secret;
  secrets['a-viewer'] = (await f.token('a-viewer', 'viewer', 'team-a')).secret;
  secrets['b-operator'] = (await f.token('b-operator', 'operator', 'team-b')).secret;
  secrets['no-token'] = null;
  secrets['bad-token'] = 'sriovctl_' + 'A'.repeat(43);
  // Revoked through the API, as an admin would.
  const rev = await f.req('POST', `${V1}/tokens`, {
    token: secrets.admin,
    json: { name: 'revoked', role: 'admin' },
  });
  expect(rev.status).toBe(201);
  const { token, secret } = rev.body as { token: { id: string }; secret: string };
  secrets.revoked = secret;
  expect((await f.req('DELETE', `${V1}/tokens/${token.id}`, { token: secrets.admin })).status).toBe(
    204,
  );
});

afterAll(async () => {
  await f.close();
});

function call(p: P, method: string, path: string, json?: unknown): Promise<HttpAnswer> {
  return f.req(method, `${V1}${path}`, {
    token: secrets[p],
    ...(json !== undefined ? { json } : {}),
  });
}

/** Everyone without valid credentials gets 401, whatever the operation. */
const NOBODY = { 'no-token': 401, 'bad-token': 401, revoked: 401 } as const;
/** Only a global admin may. */
const ADMIN_ONLY = (ok: number) =>
  ({
    admin: ok,
    operator: 403,
    viewer: 403,
    'a-operator': 403,
    'a-viewer': 403,
    'b-operator': 403,
    ...NOBODY,
  }) as Record<P, number>;
/** Any valid principal may. */
const ANYONE = (ok: number) =>
  ({
    admin: ok,
    operator: ok,
    viewer: ok,
    'a-operator': ok,
    'a-viewer': ok,
    'b-operator': ok,
    ...NOBODY,
  }) as Record<P, number>;

interface Op {
  name: string;
  /** Arranges what the operation acts on for this principal (so every row starts the same). */
  prepare?: (p: P) => Promise<string>;
  run: (p: P, target: string) => Promise<HttpAnswer>;
  expect: Record<P, number>;
}

const attachBody = (tenant: string, p: P | string) => ({
  tenant,
  pool: tenant === 'team-a' ? 'pa' : 'pb',
  consumer: { kind: 'pod', name: `ns/${p}-${tenant}` },
  vlan: tenant === 'team-a' ? 100 : 200,
});

const OPS: Op[] = [
  { name: 'GET /tenants', run: (p) => call(p, 'GET', '/tenants'), expect: ANYONE(200) },
  {
    name: 'GET /tenants/team-b',
    run: (p) => call(p, 'GET', '/tenants/team-b'),
    expect: { ...ANYONE(200), 'a-operator': 404, 'a-viewer': 404 },
  },
  {
    name: 'PUT /tenants/:name',
    run: (p) => call(p, 'PUT', `/tenants/new-${p}`, { vlans: '300' }),
    expect: ADMIN_ONLY(200),
  },
  {
    name: 'PUT /tenants/team-b (replace another tenant)',
    run: (p) => call(p, 'PUT', '/tenants/team-b', { pools: ['pb', 'shared'], vlans: '200' }),
    expect: ADMIN_ONLY(200),
  },
  {
    name: 'DELETE /tenants/:name',
    prepare: async (p) => {
      await f.ledger.putTenant(f.root, `old-${p}`, tenantSpec.parse({ vlans: '1' }));
      return `old-${p}`;
    },
    run: (p, t) => call(p, 'DELETE', `/tenants/${t}`),
    expect: ADMIN_ONLY(204),
  },
  { name: 'GET /pools', run: (p) => call(p, 'GET', '/pools'), expect: ANYONE(200) },
  {
    name: 'GET /pools/pb',
    run: (p) => call(p, 'GET', '/pools/pb'),
    expect: { ...ANYONE(200), 'a-operator': 404, 'a-viewer': 404 },
  },
  {
    name: 'PUT /pools/:name',
    run: (p) => call(p, 'PUT', `/pools/new-${p}`, { selector: { drivers: ['ice'] } }),
    expect: ADMIN_ONLY(200),
  },
  {
    name: 'DELETE /pools/:name',
    prepare: async (p) => {
      await f.ledger.putPool(
        f.root,
        `old-${p}`,
        poolSpec.parse({ selector: { drivers: ['ice'] } }),
      );
      return `old-${p}`;
    },
    run: (p, t) => call(p, 'DELETE', `/pools/${t}`),
    expect: ADMIN_ONLY(204),
  },
  {
    name: 'GET /pools/pa/vfs',
    run: (p) => call(p, 'GET', '/pools/pa/vfs'),
    expect: { ...ANYONE(200), 'b-operator': 404 },
  },
  {
    name: 'GET /pools/pb/vfs',
    run: (p) => call(p, 'GET', '/pools/pb/vfs'),
    expect: { ...ANYONE(200), 'a-operator': 404, 'a-viewer': 404 },
  },
  { name: 'GET /attachments', run: (p) => call(p, 'GET', '/attachments'), expect: ANYONE(200) },
  {
    name: 'GET /attachments?tenant=team-b',
    run: (p) => call(p, 'GET', '/attachments?tenant=team-b'),
    expect: { ...ANYONE(200), 'a-operator': 403, 'a-viewer': 403 },
  },
  {
    name: "GET /attachments/:id of team-b's",
    run: (p) => call(p, 'GET', `/attachments/${attB.id}`),
    expect: { ...ANYONE(200), 'a-operator': 404, 'a-viewer': 404 },
  },
  {
    name: "GET /attachments/:id of team-a's",
    run: (p) => call(p, 'GET', `/attachments/${attA.id}`),
    expect: { ...ANYONE(200), 'b-operator': 404 },
  },
  {
    name: 'POST /attachments for team-a',
    run: (p) => call(p, 'POST', '/attachments', attachBody('team-a', p)),
    expect: {
      admin: 201,
      operator: 201,
      viewer: 403,
      'a-operator': 201,
      'a-viewer': 403,
      'b-operator': 403,
      ...NOBODY,
    },
  },
  {
    name: 'POST /attachments for team-b',
    run: (p) => call(p, 'POST', '/attachments', attachBody('team-b', p)),
    expect: {
      admin: 201,
      operator: 201,
      viewer: 403,
      'a-operator': 403,
      'a-viewer': 403,
      'b-operator': 201,
      ...NOBODY,
    },
  },
  {
    name: 'DELETE /attachments/:id of a team-a attachment',
    prepare: async (p) => (await attach('team-a', 'pa', `del-${p}`, 100)).id,
    run: (p, id) => call(p, 'DELETE', `/attachments/${id}`),
    expect: {
      admin: 200,
      operator: 200,
      viewer: 403,
      'a-operator': 200,
      'a-viewer': 403,
      'b-operator': 404,
      ...NOBODY,
    },
  },
  {
    name: 'POST /placements for team-a',
    run: (p) => call(p, 'POST', '/placements', attachBody('team-a', p)),
    expect: {
      admin: 200,
      operator: 200,
      viewer: 403,
      'a-operator': 200,
      'a-viewer': 403,
      'b-operator': 403,
      ...NOBODY,
    },
  },
  { name: 'GET /audit', run: (p) => call(p, 'GET', '/audit'), expect: ANYONE(200) },
  {
    name: 'GET /audit?tenant=team-b',
    run: (p) => call(p, 'GET', '/audit?tenant=team-b'),
    expect: { ...ANYONE(200), 'a-operator': 403, 'a-viewer': 403 },
  },
  { name: 'GET /tokens', run: (p) => call(p, 'GET', '/tokens'), expect: ADMIN_ONLY(200) },
  {
    name: 'POST /tokens',
    run: (p) => call(p, 'POST', '/tokens', { name: `made-by-${p}`, role: 'admin' }),
    expect: ADMIN_ONLY(201),
  },
  {
    name: 'POST /tokens (a tenant token for its own tenant)',
    run: (p) =>
      call(p, 'POST', '/tokens', { name: `scoped-by-${p}`, role: 'viewer', tenant: 'team-a' }),
    expect: ADMIN_ONLY(201),
  },
  {
    name: 'DELETE /tokens/:id',
    prepare: async (p) => (await f.token(`victim-of-${p}`, 'viewer')).id,
    run: (p, id) => call(p, 'DELETE', `/tokens/${id}`),
    expect: ADMIN_ONLY(204),
  },
  { name: 'POST /reconcile', run: (p) => call(p, 'POST', '/reconcile'), expect: ADMIN_ONLY(200) },
  { name: 'GET /whoami', run: (p) => call(p, 'GET', '/whoami'), expect: ANYONE(200) },
];

describe('authorization matrix', () => {
  it.each(OPS.map((o) => [o.name, o] as const))('%s', async (_name, op) => {
    const got = {} as Record<P, number>;
    for (const p of PRINCIPALS) {
      const target = op.prepare ? await op.prepare(p) : '';
      const r = await op.run(p, target);
      got[p] = r.status;
      if (r.status >= 400) expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Release what the row attached, so every principal meets the same free VFs.
      for (const a of await f.store.listAttachments())
        if (a.id !== attA.id && a.id !== attB.id) await f.allocation.detach(f.root, a.id);
    }
    expect(got).toEqual(op.expect);
  });

  it('a 401 names no principal; a 403 says which role was needed', async () => {
    const r = await call('viewer', 'PUT', '/tenants/x', { vlans: '1' });
    expect((r.body as { detail: string }).detail).toBe('viewer is viewer; this needs admin');
    const s = await call('a-viewer', 'DELETE', `/attachments/${attA.id}`);
    expect((s.body as { detail: string }).detail).toBe(
      'a-viewer is viewer of tenant team-a; this needs operator',
    );
  });
});

describe('tenant walls', () => {
  it("a tenant token's lists are filtered to its tenant", async () => {
    const tenants = (await call('a-viewer', 'GET', '/tenants')).body as { items: Tenant[] };
    expect(tenants.items.map((t) => t.name)).toEqual(['team-a']);
    const pools = (await call('a-viewer', 'GET', '/pools')).body as { items: Pool[] };
    expect(pools.items.map((p) => p.name)).toEqual(['pa', 'shared']);
    const atts = (await call('a-viewer', 'GET', '/attachments')).body as { items: Attachment[] };
    expect(atts.items.length).toBeGreaterThan(0);
    expect(atts.items.every((a) => a.tenant === 'team-a')).toBe(true);
    expect(atts.items.map((a) => a.id)).toContain(attA.id);
    // Filters cannot widen it: another pool, a consumer of team-b.
    const byConsumer = (await call('a-viewer', 'GET', '/attachments?consumer=vm-b')).body as {
      items: Attachment[];
    };
    expect(byConsumer.items).toEqual([]);
    const auditAnswer = await call('a-viewer', 'GET', '/audit?limit=1000');
    const audit = auditAnswer.body as { items: AuditEntry[] };
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items.every((e) => e.tenant === 'team-a')).toBe(true);
    expect(auditAnswer.text).not.toContain(attB.id);
    expect(auditAnswer.text).not.toContain('team-b');
    const globalAudit = (await call('viewer', 'GET', '/audit?limit=1000')).body as {
      items: AuditEntry[];
    };
    expect(globalAudit.items.some((e) => e.tenant === 'team-b')).toBe(true);
    expect(globalAudit.items.some((e) => e.tenant === null)).toBe(true);
  });

  it("the shared pool's VF view shows another tenant's VF as taken, not by whom", async () => {
    const vfs = (await call('a-viewer', 'GET', '/pools/shared/vfs')).body as {
      items: Record<string, unknown>[];
    };
    const mine = vfs.items.find((v) => v.vfIndex === attA.vfIndex)!;
    const theirs = vfs.items.find((v) => v.vfIndex === attB.vfIndex)!;
    expect(mine).toMatchObject({ status: 'taken', attachment: attA.id, tenant: 'team-a' });
    expect(theirs.status).toBe('taken');
    expect(Object.keys(theirs).sort()).toEqual(
      ['driver', 'numaNode', 'pciAddress', 'pf', 'pfNetdev', 'status', 'vfIndex'].sort(),
    );
    const text = JSON.stringify(vfs);
    expect(text).not.toContain('team-b');
    expect(text).not.toContain('vm-b');
    expect(text).not.toContain(attB.id);
  });

  it("a tenant operator cannot attach for, detach, or preview another tenant's; nothing changes", async () => {
    const state = await ledgerState(f.store);
    const journal = f.host.journal.length;
    const k = (await f.host.linkDump()).links.find((l) => l.ifname === attB.pfNetdev)!.vfs!;

    const att = await call(
      'a-operator',
      'POST',
      '/attachments',
      attachBody('team-b', 'a-operator'),
    );
    expect(att.status).toBe(403);
    expect((att.body as { detail: string }).detail).toBe('this token is confined to tenant team-a');
    const det = await call('a-operator', 'DELETE', `/attachments/${attB.id}`);
    expect(det.status).toBe(404);
    // The same answer as for an id that never existed: nothing tells them it is there.
    const ghost = await call(
      'a-operator',
      'DELETE',
      '/attachments/00000000-0000-4000-8000-000000000000',
    );
    expect(ghost.status).toBe(404);
    expect((det.body as { title: string }).title).toBe((ghost.body as { title: string }).title);
    const get = await call('a-operator', 'GET', `/attachments/${attB.id}`);
    expect(get.status).toBe(404);
    const prev = await call('a-operator', 'POST', '/placements', attachBody('team-b', 'x'));
    expect(prev.status).toBe(403);
    // A pool the tenant may not use looks exactly like a pool that does not exist.
    const pb = await call('a-operator', 'POST', '/attachments', {
      ...attachBody('team-a', 'a-operator'),
      pool: 'pb',
    });
    const nopool = await call('a-operator', 'POST', '/attachments', {
      ...attachBody('team-a', 'a-operator'),
      pool: 'no-such-pool',
    });
    expect(pb.status).toBe(404);
    expect(pb.body).toMatchObject({ type: (nopool.body as { type: string }).type, field: 'pool' });
    expect((pb.body as { detail: string }).detail).toBe('pool pb does not exist');

    expect(await ledgerState(f.store)).toEqual(state);
    expect(f.host.journal.length).toBe(journal);
    expect((await f.host.linkDump()).links.find((l) => l.ifname === attB.pfNetdev)!.vfs).toEqual(k);
    expect(await f.store.getAttachment(attB.id)).toMatchObject({ state: 'attached' });
  });

  it("a tenant token's idempotency keys are its own: another tenant's key replays nothing", async () => {
    const key = 'shared-key-0001';
    const a = await f.req('POST', `${V1}/attachments`, {
      token: secrets['a-operator'],
      json: { ...attachBody('team-a', 'a-operator'), consumer: { kind: 'vm', name: 'idem-a' } },
      headers: { 'idempotency-key': key },
    });
    expect(a.status).toBe(201);
    const b = await f.req('POST', `${V1}/attachments`, {
      token: secrets['b-operator'],
      json: { ...attachBody('team-a', 'b-operator'), consumer: { kind: 'vm', name: 'idem-a' } },
      headers: { 'idempotency-key': key },
    });
    expect(b.status).toBe(403);
    expect(b.text).not.toContain((a.body as { attachments: Attachment[] }).attachments[0]!.id);
  });
});

describe('tenant tokens outliving their tenant', () => {
  it('deleting a tenant revokes its tokens (audited), so a later namesake never inherits them', async () => {
    await f.ledger.putTenant(f.root, 'team-gone', tenantSpec.parse({ vlans: '1' }));
    const tok = await f.token('gone-operator', 'operator', 'team-gone');
    expect((await f.req('GET', `${V1}/whoami`, { token: tok.secret })).status).toBe(200);
    expect((await call('admin', 'DELETE', '/tenants/team-gone')).status).toBe(204);
    expect((await f.store.listTokens()).map((t) => t.name)).not.toContain('gone-operator');
    const audit = await f.store.listAudit({ limit: 2, tenant: 'team-gone' });
    expect(audit.map((e) => [e.action, e.target])).toEqual([
      ['tenant.delete', 'tenant/team-gone'],
      ['token.revoke', 'token/gone-operator'],
    ]);
    // A new tenant of the same name: the old token does not open it.
    await f.ledger.putTenant(f.root, 'team-gone', tenantSpec.parse({ vlans: '2' }));
    expect((await f.req('GET', `${V1}/tenants/team-gone`, { token: tok.secret })).status).toBe(401);
  });
});

describe('token storage', () => {
  it('stores tokens hashed: the secret is nowhere in the database files, its SHA-256 is', async () => {
    const r = await f.req('POST', `${V1}/tokens`, {
      token: secrets.admin,
      json: { name: 'stored', role: 'viewer' },
    });
    const { secret } = r.body as { secret: string };
    const sha = createHash('sha256').update(secret).digest('hex');
    // Every byte SQLite wrote: the database, its write-ahead log and any journal.
    const files = [f.dbPath, `${f.dbPath}-wal`, `${f.dbPath}-journal`].filter((p) => existsSync(p));
    const bytes = Buffer.concat(files.map((p) => readFileSync(p)));
    for (const s of Object.values(secrets).filter((x): x is string => x !== null)) {
      expect(bytes.includes(Buffer.from(s))).toBe(false);
      // Nor its random part alone.
      expect(bytes.includes(Buffer.from(s.slice('sriovctl_'.length)))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(sha))).toBe(true);
    // And through SQL: the row holds the hash.
    const db = new Database(f.dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM tokens WHERE name = ?').get('stored') as Record<
        string,
        unknown
      >;
      expect(row.hash).toBe(sha);
      expect(JSON.stringify(db.prepare('SELECT * FROM tokens').all())).not.toContain(secret);
      // The audit log records the token, never its secret.
      expect(JSON.stringify(db.prepare('SELECT * FROM audit').all())).not.toContain(secret);
    } finally {
      db.close();
    }
  });
});
