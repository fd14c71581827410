// Stranded VFs over HTTP, on the simulated host booted without an IOMMU: a vfio-pci pool lists
// its VFs as unusable with the reason and the fix, an attach to it is a 422 that reserves nothing,
// and a `failed` attachment has a way out the 502 names: a detach that retries the scrub, or an
// admin's `?force=true`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../../src/ledger/types.js';
import { openApiFixture, type ApiFixture, type ProblemBody } from '../../support/api-fixture.js';

const V1 = '/api/v1';
let f: ApiFixture;
let admin: string;
let operator: string;

beforeAll(async () => {
  f = await openApiFixture({ fixture: 'iommu-off', db: 'memory' });
  admin = (await f.token('root-admin', 'admin')).secret;
  operator = (await f.token('ops', 'operator')).secret;
  for (const [name, vfDriver] of [
    ['vfio', 'vfio-pci'],
    ['kernel', 'host'],
  ] as const) {
    const r = await f.req('PUT', `${V1}/pools/${name}`, {
      token: admin,
      json: { selector: { pfNames: ['ens2f0'] }, vfDriver },
    });
    expect(r.status).toBe(200);
  }
  const t = await f.req('PUT', `${V1}/tenants/team-a`, {
    token: admin,
    json: { pools: ['vfio', 'kernel'], vlans: '100' },
  });
  expect(t.status).toBe(200);
});

afterAll(async () => {
  await f.close();
});

const as = (token: string, method: string, path: string, json?: unknown) =>
  f.req(method, `${V1}${path}`, { token, ...(json !== undefined ? { json } : {}) });

describe('a vfio-pci pool on a host without an IOMMU', () => {
  it('lists its VFs as unusable, with the reason and the fix', async () => {
    const r = await as(admin, 'GET', '/pools/vfio/vfs');
    expect(r.status).toBe(200);
    const items = (r.body as { items: Record<string, unknown>[] }).items;
    expect(items).toHaveLength(2);
    for (const v of items)
      expect(v).toMatchObject({
        status: 'unusable',
        unusable: {
          reason: 'without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
          fix: expect.stringMatching(/^enable the IOMMU/),
        },
      });
    // The same VFs in a pool on their kernel driver are free.
    const kernel = (await as(admin, 'GET', '/pools/kernel/vfs')).body as {
      items: { status: string }[];
    };
    expect(kernel.items.map((v) => v.status)).toEqual(['free', 'free']);
  });

  it('refuses an attach with 422, the count of excluded VFs and the fix; nothing is reserved', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await as(operator, 'POST', '/attachments', {
        tenant: 'team-a',
        pool: 'vfio',
        consumer: { kind: 'vm', name: 'vm-1' },
      });
      expect(r.status).toBe(422);
      const p = r.body as ProblemBody & { code: string };
      expect(p).toMatchObject({ code: 'vf-driver-unusable', field: 'count' });
      expect(p.detail).toContain('excluded: 2 without an IOMMU group');
      expect(p.fix).toMatch(/^enable the IOMMU/);
    }
    expect((await as(admin, 'GET', '/attachments')).body).toEqual({ items: [] });
  });
});

describe('a failed attachment', () => {
  it('a 502 names the way out; force is for admins; force releases it', async () => {
    const created = await as(operator, 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'kernel',
      consumer: { kind: 'vm', name: 'vm-2' },
    });
    expect(created.status).toBe(201);
    const a = (created.body as { attachments: Attachment[] }).attachments[0]!;
    f.host.faults.add({ op: 'netlink', target: `ens2f0 vf ${a.vfIndex}`, errno: 'EIO', times: 50 });
    const failed = await as(operator, 'DELETE', `/attachments/${a.id}`);
    expect(failed.status).toBe(502);
    expect((failed.body as ProblemBody).fix).toContain(`sriovctl detach --force ${a.id}`);
    const row = (await as(operator, 'GET', `/attachments/${a.id}`)).body as Attachment;
    expect(row.state).toBe('failed');
    expect(row.detail).toContain(`?force=true, sriovctl detach --force ${a.id}`);

    const denied = await as(operator, 'DELETE', `/attachments/${a.id}?force=true`);
    expect(denied.status).toBe(403);
    expect((denied.body as ProblemBody).field).toBe('force');
    const forced = await as(admin, 'DELETE', `/attachments/${a.id}?force=true`);
    expect(forced.status).toBe(200);
    expect((forced.body as Attachment).detail).toMatch(/^released without a scrub \(forced\): /);
    expect((await as(admin, 'GET', `/attachments/${a.id}`)).status).toBe(404);
    f.host.faults.clear();
  });
});
