// The console's checks as you type: POST /pools/preview (a pool form's problems by PUT's schema,
// in an operator's words, and the VFs its selector matches per PF) and POST /tenants/check; admin
// only, and neither writes anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormCheck, PoolPreview } from '../../../src/contract/index.js';
import { openApiFixture, type ApiFixture } from '../../support/api-fixture.js';

const V1 = '/api/v1';
let f: ApiFixture;
let admin: string;
let viewer: string;

beforeAll(async () => {
  f = await openApiFixture();
  admin = (await f.token('root-admin', 'admin')).secret;
  viewer = (await f.token('noc', 'viewer')).secret;
  expect(
    (
      await f.req('PUT', `${V1}/pools/fast`, {
        token: admin,
        json: { selector: { pfNames: ['ens1f0'] } },
      })
    ).status,
  ).toBe(200);
});
afterAll(async () => {
  await f.close();
});

const preview = async (json: unknown, token = admin) => {
  const r = await f.req('POST', `${V1}/pools/preview`, { token, json });
  return { status: r.status, body: r.body as PoolPreview };
};
const checkTenant = async (json: unknown) => {
  const r = await f.req('POST', `${V1}/tenants/check`, { token: admin, json });
  expect(r.status).toBe(200);
  return (r.body as FormCheck).errors;
};

describe('POST /pools/preview', () => {
  it('answers the VFs a selector matches, per PF, as counts and ranges', async () => {
    const r = await preview({ name: 'new', selector: { pfNames: ['ens1f0#2-4,6'] } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      errors: [],
      matches: {
        total: 4,
        pfs: [{ pf: '0000:3b:00.0', pfNetdev: 'ens1f0', count: 4, vfIndexes: '2-4,6' }],
      },
    } satisfies PoolPreview);
  });

  it('matches the same VFs a saved pool with that selector has, across PFs', async () => {
    const selector = { pfNames: ['ens1f0', 'ens2f0np0'], vfRange: '0-1' };
    const m = (await preview({ selector })).body.matches!;
    expect(m.pfs.map((p) => [p.pfNetdev, p.vfIndexes])).toEqual([
      ['ens1f0', '0-1'],
      ['ens2f0np0', '0-1'],
    ]);
    expect(m.total).toBe(4);
    const put = await f.req('PUT', `${V1}/pools/saved`, { token: admin, json: { selector } });
    expect(put.status).toBe(200);
    const vfs = (await f.req('GET', `${V1}/pools/saved/vfs`, { token: admin })).body as {
      items: unknown[];
    };
    expect(vfs.items).toHaveLength(m.total);
  });

  it('answers zero for a selector that matches nothing, and stores no pool', async () => {
    const r = await preview({ name: 'ghost', selector: { pfNames: ['ens9f9'] } });
    expect(r.body).toEqual({ errors: [], matches: { total: 0, pfs: [] } });
    expect((await f.req('GET', `${V1}/pools/ghost`, { token: admin })).status).toBe(404);
  });

  it('names each problem of the form by field, in an operator’s words, with no match while the selector is wrong', async () => {
    const r = await preview({
      name: 'Bad Name',
      selector: { pfNames: ['ens1f0'], vfRange: '7-3' },
      vfDriver: 'igb_uio',
    });
    expect(r.status).toBe(200);
    expect(r.body.matches).toBeNull();
    expect(r.body.errors.map((e) => e.field).sort()).toEqual([
      'name',
      'selector.vfRange',
      'vfDriver',
    ]);
    expect(r.body.errors.find((e) => e.field === 'vfDriver')!.message).toBe(
      'one of vfio-pci, host',
    );
    expect(r.body.errors.find((e) => e.field === 'name')!.message).toMatch(/lowercase DNS label/);
  });

  it('says an empty selector would take every VF, and still matches a bad driver’s selector', async () => {
    expect((await preview({ selector: {} })).body.errors).toEqual([
      {
        field: 'selector',
        message:
          'an empty selector would take every VF on the host; name pfNames, pciAddresses, vendor, deviceID or drivers',
      },
    ]);
    const r = await preview({ selector: { pfNames: ['ens1f0#0'] }, vfDriver: 'nope' });
    expect(r.body.matches?.total).toBe(1);
  });

  it('is for admins only', async () => {
    expect((await preview({ selector: { pfNames: ['ens1f0'] } }, viewer)).status).toBe(403);
  });
});

describe('POST /tenants/check', () => {
  it('passes a good tenant and writes nothing', async () => {
    expect(await checkTenant({ name: 'team-z', pools: ['fast'], vlans: '100-199' })).toEqual([]);
    expect((await f.req('GET', `${V1}/tenants/team-z`, { token: admin })).status).toBe(404);
  });

  it('words the schema’s problems for an operator: VLAN 5000, a negative or fractional quota', async () => {
    const errors = await checkTenant({
      name: 'team-z',
      pools: [],
      vlans: '5000',
      maxVfs: 1.5,
      maxGuaranteedMbps: -1,
    });
    expect(errors).toEqual([
      { field: 'vlans', message: 'VLAN IDs go from 0 (untagged) to 4094' },
      { field: 'maxVfs', message: 'a whole number' },
      { field: 'maxGuaranteedMbps', message: 'at least 0' },
    ]);
  });

  it('names a pool that does not exist', async () => {
    expect(await checkTenant({ name: 'team-z', pools: ['fast', 'slow'], vlans: '1' })).toEqual([
      { field: 'pools.1', message: 'there is no pool slow; create it first' },
    ]);
  });
});
