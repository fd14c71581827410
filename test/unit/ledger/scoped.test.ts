// A reader built for a caller answers what that caller may see: a tenant-confined caller sees its
// tenant, the pools it may use, its attachments and audit entries, and nothing of another tenant —
// what it may not see is `not-found`, like what does not exist. Host-wide callers see everything.
import { describe, expect, it } from 'vitest';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { Ledger, type RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { attachment, rejection } from './support.js';

const root: RequestContext = { actor: { name: 'root', tenant: null } };
const A = { name: 'a-op', tenant: 'team-a' };

async function ledger() {
  const store = new SqliteLedgerStore({ path: ':memory:' });
  const l = new Ledger({ store });
  await l.putPool(root, 'pa', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await l.putPool(root, 'pb', poolSpec.parse({ selector: { pfNames: ['ens1f1'] } }));
  await l.putTenant(root, 'team-a', tenantSpec.parse({ pools: ['pa'], vlans: '100' }));
  await l.putTenant(root, 'team-b', tenantSpec.parse({ pools: ['pb'], vlans: '200' }));
  const mine = attachment('0000:3b:00.0', 0, { tenant: 'team-a', pool: 'pa', host: 'h1' });
  const theirs = attachment('0000:3b:00.0', 1, { tenant: 'team-b', pool: 'pb', host: 'h1' });
  const elsewhere = attachment('0000:3b:00.0', 2, { tenant: 'team-a', pool: 'pa', host: 'h2' });
  await store.mutate(async (tx) => {
    for (const a of [mine, theirs, elsewhere]) await tx.insertAttachment(a);
  });
  return { l, store, mine, theirs, elsewhere };
}

async function refusal(p: Promise<unknown>): Promise<LedgerError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(LedgerError);
  return e as LedgerError;
}

describe('ScopedReader', () => {
  it("gives a tenant its own tenant, pools, attachments and audit, and none of another's", async () => {
    const { l, store, mine, theirs, elsewhere } = await ledger();
    const a = l.scoped(A);
    expect((await a.tenants()).map((t) => t.name)).toEqual(['team-a']);
    expect((await a.pools()).map((p) => p.name)).toEqual(['pa']);
    expect((await a.attachments()).map((x) => x.id).sort()).toEqual([mine.id, elsewhere.id].sort());
    expect((await a.attachments({ host: 'h1' })).map((x) => x.id)).toEqual([mine.id]);
    expect(await a.attachment(mine.id)).toMatchObject({ id: mine.id });
    expect((await a.audit({ limit: 100 })).every((e) => e.tenant === 'team-a')).toBe(true);
    expect((await a.audit({ limit: 100 })).map((e) => e.target)).toEqual(['tenant/team-a']);

    // Another tenant's things do not exist for it; asking for another tenant is refused.
    expect(await refusal(a.tenantNamed('team-b'))).toMatchObject({
      kind: 'not-found',
      message: 'tenant team-b does not exist',
    });
    expect(await refusal(a.poolNamed('pb'))).toMatchObject({
      kind: 'not-found',
      message: 'pool pb does not exist',
    });
    expect(await refusal(a.attachment(theirs.id))).toMatchObject({
      kind: 'not-found',
      message: `attachment ${theirs.id} does not exist`,
    });
    for (const p of [a.attachments({ tenant: 'team-b' }), a.audit({ limit: 1, tenant: 'team-b' })])
      expect(await refusal(p)).toMatchObject({
        kind: 'forbidden',
        message: 'this token is confined to tenant team-a',
        field: 'tenant',
      });

    // Who holds the VFs of host h1: its own in full, the other tenant's only as taken.
    const held = await a.vfHolders('h1');
    expect(held.get('0000:3b:00.0#0')).toEqual({ visible: true, attachment: mine });
    expect(held.get('0000:3b:00.0#1')).toEqual({ visible: false });
    expect(held.has('0000:3b:00.0#2')).toBe(false);
    await store.close();
  });

  it('gives a host-wide caller everything, filtered as asked', async () => {
    const { l, store, theirs } = await ledger();
    const r = l.scoped(root.actor);
    expect((await r.tenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
    expect((await r.pools()).map((p) => p.name)).toEqual(['pa', 'pb']);
    expect((await r.attachments({ tenant: 'team-b' })).map((x) => x.id)).toEqual([theirs.id]);
    expect(await r.attachment(theirs.id)).toMatchObject({ tenant: 'team-b' });
    expect((await r.audit({ limit: 100, tenant: 'team-b' })).map((e) => e.target)).toEqual([
      'tenant/team-b',
    ]);
    expect([...(await r.vfHolders('h1')).values()].every((h) => h.visible)).toBe(true);
    await store.close();
  });
});
