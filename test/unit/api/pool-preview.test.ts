// POST /pools/preview: the VFs an unsaved pool spec would select, per PF, for the console's pool
// form; admin only, validated like PUT /pools/{name}, and it writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolPreview } from '../../../src/contract/index.js';
import { openApiFixture, type ApiFixture, type ProblemBody } from '../../support/api-fixture.js';

const V1 = '/api/v1';
let f: ApiFixture;
let admin: string;
let viewer: string;

beforeAll(async () => {
  f = await openApiFixture();
  admin = (await f.token('root-admin', 'admin')).secret;
  viewer = (await f.token('noc', 'viewer')).secret;
});
afterAll(async () => {
  await f.close();
});

const preview = (json: unknown, token = admin) =>
  f.req('POST', `${V1}/pools/preview`, { token, json });

describe('POST /pools/preview', () => {
  it('answers the VFs a selector matches, per PF, as counts and ranges', async () => {
    const r = await preview({ selector: { pfNames: ['ens1f0#2-4,6'] } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      total: 4,
      pfs: [{ pf: '0000:3b:00.0', pfNetdev: 'ens1f0', count: 4, vfIndexes: '2-4,6' }],
    } satisfies PoolPreview);
  });

  it('matches the same VFs a saved pool with that selector has, across PFs', async () => {
    const selector = { pfNames: ['ens1f0', 'ens2f0np0'], vfRange: '0-1' };
    const r = (await preview({ selector })).body as PoolPreview;
    expect(r.pfs.map((p) => [p.pfNetdev, p.vfIndexes])).toEqual([
      ['ens1f0', '0-1'],
      ['ens2f0np0', '0-1'],
    ]);
    expect(r.total).toBe(4);
    expect(
      (await f.req('PUT', `${V1}/pools/saved`, { token: admin, json: { selector } })).status,
    ).toBe(200);
    const vfs = (await f.req('GET', `${V1}/pools/saved/vfs`, { token: admin })).body as {
      items: unknown[];
    };
    expect(vfs.items).toHaveLength(r.total);
  });

  it('answers zero for a selector that matches nothing, and stores no pool', async () => {
    const r = await preview({ selector: { pfNames: ['ens9f9'] } });
    expect(r.body).toEqual({ total: 0, pfs: [] });
    const pools = (await f.req('GET', `${V1}/pools`, { token: admin })).body as {
      items: { name: string }[];
    };
    expect(pools.items.map((p) => p.name)).not.toContain('\0preview');
  });

  it('refuses an invalid selector with 400 naming the field', async () => {
    const r = await preview({ selector: { pfNames: ['ens1f0'], vfRange: '7-3' } });
    expect(r.status).toBe(400);
    expect((r.body as ProblemBody).field).toBe('body.selector.vfRange');
  });

  it('is for admins only', async () => {
    const r = await preview({ selector: { pfNames: ['ens1f0'] } }, viewer);
    expect(r.status).toBe(403);
  });
});
