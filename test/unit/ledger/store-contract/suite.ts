// The ledger store contract: what every LedgerStore implementation must do, whatever engine is
// under it. SQLite runs it (sqlite.contract.test.ts); the PostgreSQL store of issue 17 adds one
// file that calls describeStoreContract with its own makeStore. Nothing here knows the engine:
// rows go in and come out through the LedgerStore interface only.
//
// What an implementation must bring with it: each makeStore() is an empty ledger of its own (the
// audit sequence starts at 1: a fresh database or schema per call, not a shared one truncated);
// ConflictError messages are the ones below, word for word (the ledger shows them); a missing
// tenant or pool is refused with an error that says "foreign key"; and reopen() opens the same
// ledger through a new connection (pool), which the durability tests close and compare.
import { afterEach, describe, expect, it } from 'vitest';
import { poolSpec, tenantSpec } from '../../../../src/contract/index.js';
import { HostScopeError, scopeToHost } from '../../../../src/ledger/host-scope.js';
import {
  ConflictError,
  type LedgerReader,
  type LedgerStore,
  type LedgerWriter,
} from '../../../../src/ledger/store.js';
import type { Attachment, Tenant } from '../../../../src/ledger/types.js';
import { rejection } from '../support.js';
import { NOW, row, seed, token } from './rows.js';

/** A store on an empty ledger of its own, and a way to open that same ledger again. */
export interface OpenedStore {
  store: LedgerStore;
  /** Another store on the same ledger (the first may be open or closed). */
  reopen(): Promise<LedgerStore>;
}

/** Makes an empty ledger each call (a temporary file, a throwaway database). */
export type MakeStore = () => Promise<OpenedStore>;

const LATER = '2024-05-03T00:00:00.000Z';

const audit = (action: string, target = 't') => ({
  actor: 'op',
  action,
  tenant: 'team-a',
  target,
  before: null,
  after: { action },
  requestId: null,
});

/** A tenant's spec, as putTenant takes it back. */
function specOf(t: Tenant) {
  const { name: _n, createdAt: _c, updatedAt: _u, ...spec } = t;
  return spec;
}

/** Everything a reader answers, for comparing two stores (audit without its sequence numbers). */
async function snapshot(s: LedgerReader, hashes: string[] = ['h1', 'h2', 'h9']) {
  return {
    tenants: await s.listTenants(),
    pools: await s.listPools(),
    tokens: await s.listTokens(),
    tokensByHash: await Promise.all(hashes.map((h) => s.findToken(h))),
    attachments: await s.listAttachments(),
    audit: (await s.listAudit({ limit: 1000 })).map(({ seq: _seq, ...e }) => e),
    idempotency: await s.getIdempotency('ci', 'k'),
  };
}

/** Defines the contract's tests for the store `makeStore` makes. */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`the ledger store contract: ${name}`, () => {
    const open: LedgerStore[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });
    /** A store on a new ledger, closed after the test. */
    async function fresh(): Promise<OpenedStore> {
      const o = await makeStore();
      open.push(o.store);
      return {
        store: o.store,
        reopen: async () => {
          const s = await o.reopen();
          open.push(s);
          return s;
        },
      };
    }
    async function store(): Promise<LedgerStore> {
      return (await fresh()).store;
    }

    describe('tenants, pools and tokens', () => {
      it('put creates and then updates (keeping the creation time), get and list by name, delete once', async () => {
        const s = await store();
        await s.mutate(seed);
        const updated = await s.mutate((tx) =>
          tx.putTenant('team-b', tenantSpec.parse({ vlans: '200-210', maxVfs: 4 }), LATER),
        );
        expect(updated).toMatchObject({
          name: 'team-b',
          maxVfs: 4,
          createdAt: NOW,
          updatedAt: LATER,
        });
        expect(await s.getTenant('team-b')).toEqual(updated);
        expect(await s.getTenant('nobody')).toBeNull();
        expect((await s.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
        await s.mutate((tx) =>
          tx.putPool('silver', poolSpec.parse({ selector: { pfNames: ['ens2f0'] } }), LATER),
        );
        expect((await s.listPools()).map((p) => [p.name, p.createdAt])).toEqual([
          ['gold', NOW],
          ['silver', LATER],
        ]);
        expect(await s.getPool('silver')).toMatchObject({ selector: { pfNames: ['ens2f0'] } });
        expect(await s.mutate((tx) => tx.deletePool('silver'))).toBe(true);
        expect(await s.mutate((tx) => tx.deletePool('silver'))).toBe(false);
        expect(await s.mutate((tx) => tx.deleteTenant('team-b'))).toBe(true);
        expect(await s.mutate((tx) => tx.deleteTenant('team-b'))).toBe(false);
        expect((await s.listTenants()).map((t) => t.name)).toEqual(['team-a']);
        expect(await s.getPool('silver')).toBeNull();
      });

      it('tokens: found by hash, listed by name without it, deleted by id', async () => {
        const s = await store();
        await s.mutate(async (tx) => {
          await tx.insertToken(token('t2', 'zz', 'h2'));
          await tx.insertToken({ ...token('t1', 'ci', 'h1'), role: 'operator' });
        });
        expect(await s.findToken('h2')).toEqual(token('t2', 'zz', 'h2'));
        expect(await s.findToken('nope')).toBeNull();
        expect((await s.listTokens()).map((t) => t.name)).toEqual(['ci', 'zz']);
        expect((await s.listTokens()).every((t) => !('hash' in t))).toBe(true);
        expect(await s.mutate((tx) => tx.deleteToken('t2'))).toBe(true);
        expect(await s.mutate((tx) => tx.deleteToken('t2'))).toBe(false);
        expect(await s.findToken('h2')).toBeNull();
      });

      it('a token name is unique', async () => {
        const s = await store();
        const t = {
          id: 't1',
          name: 'ci',
          role: 'operator' as const,
          tenant: null,
          createdAt: NOW,
          hash: 'h1',
        };
        await s.mutate((tx) => tx.insertToken(t));
        const e = await rejection(s.mutate((tx) => tx.insertToken({ ...t, id: 't2', hash: 'h2' })));
        expect(e).toBeInstanceOf(ConflictError);
        expect((e as ConflictError).constraint).toBe('exists');
        expect((e as ConflictError).holder).toBe('t1');
        expect(await s.findToken('h1')).toMatchObject({ id: 't1', name: 'ci' });
        expect(await s.listTokens()).toEqual([
          { id: 't1', name: 'ci', role: 'operator', tenant: null, createdAt: NOW },
        ]);
      });
    });

    describe('idempotency records', () => {
      it('store, update and delete a key per actor', async () => {
        const s = await store();
        const rec = {
          actor: 'ci',
          key: 'k',
          requestHash: 'abc',
          status: 'pending' as const,
          response: null,
        };
        await s.mutate((tx) => tx.putIdempotency(rec, NOW));
        expect(await s.getIdempotency('ci', 'k')).toEqual(rec);
        expect(await s.getIdempotency('other', 'k')).toBeNull();
        const done = {
          ...rec,
          status: 'done' as const,
          response: { status: 201, body: { ok: true } },
        };
        await s.mutate((tx) => tx.putIdempotency(done, NOW));
        expect(await s.getIdempotency('ci', 'k')).toEqual(done);
        await s.mutate((tx) => tx.deleteIdempotency('ci', 'k'));
        expect(await s.getIdempotency('ci', 'k')).toBeNull();
      });
    });

    describe('audit log', () => {
      it('appends with a growing sequence number and the time given', async () => {
        const s = await store();
        const [a, b] = await s.mutate(async (tx) => [
          await tx.appendAudit(audit('one'), NOW),
          await tx.appendAudit(audit('two'), LATER),
        ]);
        expect(b!.seq).toBeGreaterThan(a!.seq);
        expect(a).toEqual({ ...audit('one'), seq: a!.seq, at: NOW });
        expect(await s.listAudit({ limit: 10 })).toEqual([b, a]);
      });

      it('pages backwards from the newest and filters by tenant, action and target', async () => {
        const s = await store();
        await s.mutate(async (tx) => {
          for (let i = 1; i <= 25; i++)
            await tx.appendAudit(
              {
                actor: 'op',
                action: i % 3 === 0 ? 'attachment.delete' : 'attachment.create',
                tenant: i % 2 === 0 ? 'team-a' : 'team-b',
                target: `attachment/${i % 5}`,
                before: null,
                after: { i },
                requestId: null,
              },
              NOW,
            );
        });
        const seqs = (xs: { seq: number }[]) => xs.map((x) => x.seq);
        const first = await s.listAudit({ limit: 10 });
        expect(seqs(first)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
        const second = await s.listAudit({ limit: 10, before: first.at(-1)!.seq });
        expect(seqs(second)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
        const last = await s.listAudit({ limit: 10, before: second.at(-1)!.seq });
        expect(seqs(last)).toEqual([5, 4, 3, 2, 1]);
        expect(await s.listAudit({ limit: 10, before: 1 })).toEqual([]);

        expect(seqs(await s.listAudit({ limit: 100, tenant: 'team-a' }))).toEqual([
          24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2,
        ]);
        expect(seqs(await s.listAudit({ limit: 100, action: 'attachment.delete' }))).toEqual([
          24, 21, 18, 15, 12, 9, 6, 3,
        ]);
        expect(seqs(await s.listAudit({ limit: 100, target: 'attachment/3' }))).toEqual([
          23, 18, 13, 8, 3,
        ]);
        expect(
          seqs(
            await s.listAudit({
              limit: 2,
              tenant: 'team-a',
              action: 'attachment.delete',
              before: 24,
            }),
          ),
        ).toEqual([18, 12]);
      });
    });

    describe('attachments', () => {
      it('round-trips an attachment exactly, and filters the list', async () => {
        const s = await store();
        const a = row(5, {
          tenant: 'team-b',
          consumer: { kind: 'pod', name: 'default/web-0', host: 'compute-17' },
          vfPciAddress: '0000:3b:01.5',
          numaNode: 1,
          vlan: 200,
          qos: 3,
          vlanProto: '802.1ad',
          minTxRate: 1000,
          maxTxRate: 5000,
          trust: true,
          spoofchk: false,
          linkState: 'enable',
          requestKey: 'k-1',
        });
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
          await tx.insertAttachment(row(6, { state: 'failed', pf: '0000:5e:00.0' }));
        });
        expect(await s.getAttachment(a.id)).toEqual(a);
        expect((await s.listAttachments({ tenant: 'team-b' })).map((x) => x.id)).toEqual([a.id]);
        expect((await s.listAttachments({ state: 'failed' })).map((x) => x.vfIndex)).toEqual([6]);
        expect((await s.listAttachments({ pf: '0000:5e:00.0' })).map((x) => x.vfIndex)).toEqual([
          6,
        ]);
        expect(
          (await s.listAttachments({ consumerName: 'default/web-0' })).map((x) => x.id),
        ).toEqual([a.id]);
        expect(
          await s.listAttachments({ pool: 'gold', tenant: 'team-a', state: 'attached' }),
        ).toEqual([]);
      });

      it('a VF without a network has no PF netdev and no MAC, and many such rows fit', async () => {
        const s = await store();
        const rows = [0, 1].map((i) =>
          row(i, { pfNetdev: null, mac: null, interface: `nvme${i}` }),
        );
        await s.mutate(async (tx) => {
          await seed(tx);
          for (const r of rows) await tx.insertAttachment(r);
        });
        expect(await s.listAttachments()).toEqual(rows);
      });

      it('list in (createdAt, id) order, whatever order they were inserted in', async () => {
        const s = await store();
        const rows = [
          row(0, { id: 'b', createdAt: '2024-05-01T12:00:02.000Z' }),
          row(1, { id: 'c', createdAt: '2024-05-01T12:00:01.000Z' }),
          row(2, { id: 'a', createdAt: '2024-05-01T12:00:02.000Z' }),
        ];
        await s.mutate(async (tx) => {
          await seed(tx);
          for (const r of rows) await tx.insertAttachment(r);
          expect((await tx.listAttachments()).map((a) => a.id)).toEqual(['c', 'a', 'b']);
        });
        expect((await s.listAttachments()).map((a) => a.id)).toEqual(['c', 'a', 'b']);
      });

      it('updateAttachment keeps detail unless told, and clears it with null', async () => {
        const s = await store();
        const a = row(4, { detail: 'verified by read-back' });
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
        });
        const later = '2024-05-02T00:00:00.000Z';
        const kept = await s.mutate((tx) =>
          tx.updateAttachment(a.id, { state: 'attached' }, later),
        );
        expect(kept).toMatchObject({
          state: 'attached',
          detail: 'verified by read-back',
          updatedAt: later,
        });
        const cleared = await s.mutate((tx) => tx.updateAttachment(a.id, { detail: null }, later));
        expect(cleared?.detail).toBeNull();
        expect(
          await s.mutate((tx) => tx.updateAttachment('nope', { state: 'failed' }, later)),
        ).toBeNull();
        expect(await s.getAttachment(a.id)).toEqual({ ...a, detail: null, updatedAt: later });
      });

      it('deleteAttachment answers whether there was one', async () => {
        const s = await store();
        const a = row(1);
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
        });
        expect(await s.mutate((tx) => tx.deleteAttachment(a.id))).toBe(true);
        expect(await s.mutate((tx) => tx.deleteAttachment(a.id))).toBe(false);
        expect(await s.getAttachment(a.id)).toBeNull();
      });

      it('attachments need an existing tenant and pool', async () => {
        const s = await store();
        const e = await rejection(s.mutate((tx) => tx.insertAttachment(row(0))));
        expect(String(e)).toMatch(/FOREIGN KEY/i);
        expect(await s.listAttachments()).toEqual([]);
      });

      it('hand out copies: changing what a read returned changes nothing stored', async () => {
        const s = await store();
        const r0 = row(0);
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(r0);
        });
        const a = (await s.getAttachment(r0.id))!;
        a.state = 'failed';
        a.consumer.name = 'someone-else';
        (await s.listAttachments())[0]!.vlan = 4000;
        const t = (await s.getTenant('team-a'))!;
        t.pools.push('stolen');
        expect(await s.getAttachment(r0.id)).toEqual(r0);
        expect((await s.getTenant('team-a'))!.pools).toEqual(['gold']);
        // Nor does changing a row after handing it to the store.
        const r1 = row(1);
        await s.mutate((tx) => tx.insertAttachment(r1));
        r1.consumer.name = 'changed-after';
        expect((await s.getAttachment(r1.id))!.consumer.name).not.toBe('changed-after');
      });
    });

    describe('constraints, each with the row that holds it', () => {
      it('map each UNIQUE rule to its ConflictError kind', async () => {
        const s = await store();
        const first = row(0, {
          consumer: { kind: 'vm', name: 'vm-1', host: 'h' },
          interface: 'net0',
          mac: '02:00:00:00:00:01',
        });
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(first);
        });
        const conflict = async (a: Attachment) => {
          const e = await rejection(s.mutate((tx) => tx.insertAttachment(a)));
          expect(e).toBeInstanceOf(ConflictError);
          return e as ConflictError;
        };
        const vf = await conflict(
          row(0, { consumer: { kind: 'vm', name: 'vm-2', host: 'h' }, mac: '02:00:00:00:00:02' }),
        );
        expect(vf.constraint).toBe('vf-owned');
        expect(vf.message).toBe('VF 0 of 0000:3b:00.0 is already attached');
        expect(vf.holder).toBe(first.id);
        const iface = await conflict(
          row(1, {
            consumer: { kind: 'vm', name: 'vm-1', host: 'h' },
            interface: 'net0',
            mac: '02:00:00:00:00:03',
          }),
        );
        expect(iface.constraint).toBe('interface-attached');
        expect(iface.message).toBe('vm vm-1 already has a VF on interface net0');
        expect(iface.holder).toBe(first.id);
        const mac = await conflict(row(2, { mac: '02:00:00:00:00:01' }));
        expect(mac.constraint).toBe('mac-in-use');
        expect(mac.message).toBe('MAC 02:00:00:00:00:01 is already used by another attachment');
        expect(mac.holder).toBe(first.id);
        // The same interface name on another consumer kind, and the same VF index on another PF, are fine.
        await s.mutate(async (tx) => {
          await tx.insertAttachment(
            row(1, { consumer: { kind: 'pod', name: 'vm-1', host: 'h' }, interface: 'net0' }),
          );
          await tx.insertAttachment(row(0, { pf: '0000:5e:00.0' }));
        });
        expect(await s.listAttachments()).toHaveLength(3);
      });

      it('a consumer holding attachments of one tenant takes no rows of another', async () => {
        const s = await store();
        const vm = { kind: 'vm' as const, name: 'payroll-db', host: 'h' };
        const held = row(0, { tenant: 'team-b', consumer: vm });
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(held);
        });
        // Another interface of the same consumer: refused for team-a, taken by team-b.
        const e = await rejection(
          s.mutate((tx) => tx.insertAttachment(row(1, { consumer: vm, interface: 'net1' }))),
        );
        expect(e).toBeInstanceOf(ConflictError);
        expect((e as ConflictError).constraint).toBe('consumer-of-another-tenant');
        expect((e as ConflictError).holder).toBe(held.id);
        await s.mutate((tx) =>
          tx.insertAttachment(row(2, { tenant: 'team-b', consumer: vm, interface: 'net2' })),
        );
        // The same name on another host or of another kind is another consumer.
        await s.mutate(async (tx) => {
          await tx.insertAttachment(row(3, { consumer: { ...vm, host: 'h2' } }));
          await tx.insertAttachment(row(4, { consumer: { ...vm, kind: 'pod' } }));
        });
        expect(
          (await s.listAttachments())
            .map((a) => `${a.tenant} ${a.consumer.kind} ${a.vfIndex}`)
            .sort(),
        ).toEqual(['team-a pod 4', 'team-a vm 3', 'team-b vm 0', 'team-b vm 2']);
      });

      it('a refused insert leaves the unit usable: it may go on and commit', async () => {
        const s = await store();
        const first = row(0);
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(first);
        });
        const n = await s.mutate(async (tx) => {
          const e = await rejection(tx.insertAttachment(row(0, { mac: '02:00:00:00:aa:01' })));
          expect(e).toBeInstanceOf(ConflictError);
          await tx.insertAttachment(row(1));
          return (await tx.listAttachments()).length;
        });
        expect(n).toBe(2);
        expect((await s.listAttachments()).map((a) => a.vfIndex)).toEqual([0, 1]);
      });
    });

    describe('mutate', () => {
      it('undoes everything a throwing unit wrote, and the store stays usable', async () => {
        const { store: s, reopen } = await fresh();
        const e = await rejection(
          s.mutate(async (tx) => {
            await seed(tx);
            await tx.insertAttachment(row(0));
            await tx.appendAudit(
              {
                actor: 'a',
                action: 'x',
                tenant: null,
                target: 't',
                before: null,
                after: null,
                requestId: null,
              },
              NOW,
            );
            throw new Error('changed my mind');
          }),
        );
        expect((e as Error).message).toBe('changed my mind');
        expect(await s.listTenants()).toEqual([]);
        expect(await s.listAttachments()).toEqual([]);
        expect(await s.listAudit({ limit: 10 })).toEqual([]);
        await s.mutate(seed);
        await s.close();
        const again = await reopen();
        expect((await again.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
        expect(await again.listAudit({ limit: 10 })).toEqual([]);
      });

      it('rejects with exactly what the unit threw', async () => {
        const s = await store();
        const thrown = new RangeError('mine');
        expect(await rejection(s.mutate(() => Promise.reject(thrown)))).toBe(thrown);
      });

      it('sees its own writes before they commit', async () => {
        const s = await store();
        const a = row(3);
        const seen = await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
          const updated = await tx.updateAttachment(a.id, { state: 'detaching' }, NOW);
          return { count: (await tx.listAttachments({ state: 'detaching' })).length, updated };
        });
        expect(seen.count).toBe(1);
        expect(seen.updated?.state).toBe('detaching');
      });

      it('a unit that throws leaves every row as it was, whatever it wrote', async () => {
        const s = await store();
        const [r0, r1] = [row(0), row(1)];
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertToken(token('t1', 'ci', 'h1'));
          await tx.insertAttachment(r0);
          await tx.insertAttachment(r1);
        });
        const before = await snapshot(s);
        await rejection(
          s.mutate(async (tx) => {
            await tx.putTenant('team-c', tenantSpec.parse({ vlans: '300' }), NOW);
            await tx.putTenant('team-a', tenantSpec.parse({ vlans: '999' }), NOW);
            await tx.deleteTenant('team-b');
            await tx.putPool('silver', poolSpec.parse({ selector: {} }), NOW);
            await tx.deleteToken('t1');
            await tx.insertToken(token('t9', 'new', 'h9'));
            await tx.updateAttachment(r0.id, { state: 'failed' }, NOW);
            await tx.deleteAttachment(r1.id);
            await tx.insertAttachment(row(2));
            throw new Error('no');
          }),
        );
        expect(await snapshot(s)).toEqual(before);
        // And a unit refused by a constraint part-way keeps nothing of what it did before.
        await rejection(
          s.mutate(async (tx) => {
            await tx.insertAttachment(row(5));
            await tx.updateAttachment(r0.id, { state: 'failed' }, NOW);
            await tx.insertAttachment(row(0, { mac: '02:ff:00:00:00:01' }));
          }),
        );
        expect(await snapshot(s)).toEqual(before);
      });

      it('a unit run again from the start (a retry) leaves what one run leaves', async () => {
        const vm = (name: string) => ({ kind: 'vm' as const, name, host: 'h' });
        // The unit decides on what it reads, as the ledger's units do: a counter and a list.
        const unit = async (tx: LedgerWriter) => {
          const t = (await tx.getTenant('team-a'))!;
          await tx.putTenant('team-a', { ...specOf(t), maxVfs: (t.maxVfs ?? 0) + 1 }, LATER);
          const n = (await tx.listAttachments()).length;
          await tx.insertAttachment(
            row(n, { id: `a-${n}`, mac: `02:00:00:00:bb:0${n}`, consumer: vm(`vm-${n}`) }),
          );
          await tx.updateAttachment('a-0', { state: 'detaching' }, LATER);
          await tx.deleteTenant('team-b');
          await tx.insertToken(token('t1', 'ci', 'h1'));
          await tx.appendAudit(audit('retried'), LATER);
          await tx.putIdempotency(
            { actor: 'ci', key: 'k', requestHash: 'x', status: 'done', response: null },
            LATER,
          );
          return { n, maxVfs: (await tx.getTenant('team-a'))!.maxVfs };
        };
        const start = async (s: LedgerStore) =>
          s.mutate(async (tx) => {
            await seed(tx);
            await tx.insertAttachment(
              row(0, { id: 'a-0', mac: '02:00:00:00:bb:00', consumer: vm('vm-0') }),
            );
          });
        const once = await store();
        await start(once);
        const one = await once.mutate(unit);

        const twice = await store();
        await start(twice);
        // The first run is undone at its end, as a serialization failure undoes it.
        const e = await rejection(
          twice.mutate(async (tx) => {
            await unit(tx);
            throw new Error('could not serialize access');
          }),
        );
        expect((e as Error).message).toBe('could not serialize access');
        expect(await twice.mutate(unit)).toEqual(one);
        expect(one).toEqual({ n: 1, maxVfs: 1 });
        expect(await snapshot(twice)).toEqual(await snapshot(once));
      });

      it('concurrent units run as if one after another: no update is lost', async () => {
        const s = await store();
        await s.mutate(seed);
        const units = Array.from({ length: 25 }, (_, i) =>
          s.mutate(async (tx) => {
            const t = (await tx.getTenant('team-a'))!;
            const held = (await tx.listAttachments()).length;
            // Yields between the read and the write: another unit may not slip in between.
            await new Promise((r) => setImmediate(r));
            await tx.putTenant('team-a', { ...specOf(t), maxVfs: (t.maxVfs ?? 0) + 1 }, NOW);
            await tx.insertAttachment(
              row(held, {
                consumer: { kind: 'vm', name: `vm-${i}`, host: 'h' },
                mac: `02:00:00:00:cc:${i.toString(16).padStart(2, '0')}`,
              }),
            );
            return held;
          }),
        );
        // Each unit saw every one before it: 0..24, each once.
        expect((await Promise.all(units)).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 25 }, (_, i) => i),
        );
        expect((await s.getTenant('team-a'))!.maxVfs).toBe(25);
        expect(await s.listAttachments()).toHaveLength(25);
      });

      it('reads on the store see a unit once its mutate has resolved', async () => {
        const s = await store();
        await s.mutate(seed);
        const a = row(0);
        await s.mutate((tx) => tx.insertAttachment(a));
        expect(await s.getAttachment(a.id)).toEqual(a);
        await s.mutate((tx) => tx.updateAttachment(a.id, { state: 'detaching' }, LATER));
        expect((await s.listAttachments({ state: 'detaching' })).map((x) => x.id)).toEqual([a.id]);
      });
    });

    describe('durability', () => {
      it('another store on the same ledger answers the same, after every kind of write', async () => {
        const { store: s, reopen } = await fresh();
        await s.mutate(seed);
        const rows = [0, 1, 2].map((i) => row(i, { createdAt: `2024-05-01T12:00:0${i}.000Z` }));
        // Created earlier than the rows before it: the list is still in (createdAt, id) order.
        rows.push(row(3, { createdAt: '2024-04-01T00:00:00.000Z' }));
        await s.mutate(async (tx) => {
          await tx.putTenant('team-b', tenantSpec.parse({ vlans: '200-210', maxVfs: 4 }), LATER);
          await tx.insertToken(token('t1', 'ci', 'h1'));
          await tx.insertToken(token('t2', 'old', 'h2'));
          for (const r of rows) await tx.insertAttachment(r);
        });
        await s.mutate(async (tx) => {
          await tx.deleteToken('t2');
          await tx.updateAttachment(rows[1]!.id, { state: 'detaching', detail: 'x' }, LATER);
          await tx.deleteAttachment(rows[2]!.id);
          await tx.putPool('silver', poolSpec.parse({ selector: { pfNames: ['ens2f0'] } }), LATER);
          await tx.deletePool('silver');
        });
        const other = await reopen();
        const mine = await snapshot(s);
        expect(mine).toEqual(await snapshot(other));
        expect(mine.attachments.map((a) => a.vfIndex)).toEqual([3, 0, 1]);
        expect(mine.tenants.find((t) => t.name === 'team-b')).toMatchObject({
          maxVfs: 4,
          createdAt: NOW,
          updatedAt: LATER,
        });
      });

      it('everything survives closing and opening again', async () => {
        const { store: s, reopen } = await fresh();
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(row(0));
          await tx.insertToken(token('t1', 'ci', 'h1'));
          await tx.appendAudit(audit('kept'), NOW);
          await tx.putIdempotency(
            { actor: 'ci', key: 'k', requestHash: 'x', status: 'pending', response: null },
            NOW,
          );
        });
        // Not durable asked for: still there after a clean close.
        await s.mutate((tx) => tx.insertAttachment(row(1)), { durable: false });
        const before = { ...(await snapshot(s)), seqs: await s.listAudit({ limit: 10 }) };
        await s.close();
        const again = await reopen();
        expect({ ...(await snapshot(again)), seqs: await again.listAudit({ limit: 10 }) }).toEqual(
          before,
        );
        expect(before.attachments).toHaveLength(2);
      });

      it('keeps a random MAC key per ledger, the same across reopens', async () => {
        const { store: a, reopen } = await fresh();
        const key = await a.macKey();
        expect(key).toMatch(/^[0-9a-f]{64}$/);
        await a.close();
        expect(await (await reopen()).macKey()).toBe(key);
        expect(await (await store()).macKey()).not.toBe(key);
      });

      it('close is safe to call twice', async () => {
        const s = await store();
        await s.mutate(seed);
        await s.close();
        await expect(s.close()).resolves.toBeUndefined();
      });
    });

    describe('hosts', () => {
      /** Two identical servers: the same PF address, VF index, consumer and interface names. */
      const onHost = (host: string, mac: string) =>
        row(0, { host, mac, consumer: { kind: 'vm', name: 'vm-1', host } });

      it('identical servers: the same PF and VF index on two hosts are two rows', async () => {
        const s = await store();
        const [a, b] = [
          onHost('node-a', '02:00:00:00:dd:01'),
          onHost('node-b', '02:00:00:00:dd:02'),
        ];
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
          await tx.insertAttachment(b);
        });
        expect(await s.listAttachments({ host: 'node-a' })).toEqual([a]);
        expect(await s.listAttachments({ host: 'node-b', pf: a.pf })).toEqual([b]);
        expect(await s.listAttachments({ host: 'node-c' })).toEqual([]);
        // Within one host the VF is still owned once.
        const e = await rejection(
          s.mutate((tx) =>
            tx.insertAttachment(
              row(0, { host: 'node-a', consumer: { kind: 'vm', name: 'vm-9', host: 'node-a' } }),
            ),
          ),
        );
        expect(e).toMatchObject({ constraint: 'vf-owned', holder: a.id });
      });

      it('a MAC is unique across hosts (one L2 domain may span them)', async () => {
        const s = await store();
        const a = onHost('node-a', '02:00:00:00:ee:01');
        await s.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
        });
        const e = await rejection(
          s.mutate((tx) => tx.insertAttachment(onHost('node-b', '02:00:00:00:ee:01'))),
        );
        expect(e).toBeInstanceOf(ConflictError);
        expect(e).toMatchObject({ constraint: 'mac-in-use', holder: a.id });
      });

      it("a host's view reads only its rows and refuses writes of another host's", async () => {
        const shared = await store();
        const [a, b] = [
          onHost('node-a', '02:00:00:00:ff:01'),
          onHost('node-b', '02:00:00:00:ff:02'),
        ];
        await shared.mutate(async (tx) => {
          await seed(tx);
          await tx.insertAttachment(a);
          await tx.insertAttachment(b);
        });
        expect(() => scopeToHost(shared, ' ')).toThrow(
          'a host-scoped ledger view needs a host name',
        );
        const view = scopeToHost(shared, 'node-a');
        expect(await view.listAttachments()).toEqual([a]);
        expect(await view.listAttachments({ pf: b.pf, tenant: 'team-a' })).toEqual([a]);
        expect(await view.listAttachments({ host: 'node-b' })).toEqual([]);
        expect(await view.getAttachment(b.id)).toBeNull();
        expect(await view.getAttachment(a.id)).toEqual(a);
        // The fleet's rows pass through.
        expect((await view.listTenants()).map((t) => t.name)).toEqual(['team-a', 'team-b']);
        expect(await view.macKey()).toBe(await shared.macKey());

        const seen = await view.mutate(async (tx) => ({
          all: (await tx.listAttachments()).map((x) => x.id),
          other: await tx.getAttachment(b.id),
        }));
        expect(seen).toEqual({ all: [a.id], other: null });

        const refused = async (fn: (tx: LedgerWriter) => Promise<unknown>) => {
          const e = await rejection(view.mutate(fn));
          expect(e).toBeInstanceOf(HostScopeError);
          return (e as Error).message;
        };
        expect(
          await refused((tx) =>
            tx.insertAttachment(row(1, { host: 'node-b', mac: '02:00:00:00:ff:03' })),
          ),
        ).toMatch(/is on host node-b; this ledger view belongs to host node-a/);
        await refused((tx) => tx.updateAttachment(b.id, { state: 'failed' }, LATER));
        await refused((tx) => tx.deleteAttachment(b.id));
        expect(await shared.getAttachment(b.id)).toEqual(b);

        // Its own rows it changes as the store would.
        const mine = row(1, { host: 'node-a', mac: '02:00:00:00:ff:04' });
        await view.mutate(async (tx) => {
          await tx.insertAttachment(mine);
          await tx.updateAttachment(a.id, { state: 'detaching' }, LATER);
        });
        expect((await view.listAttachments()).map((x) => [x.id, x.state])).toEqual([
          [a.id, 'detaching'],
          [mine.id, 'attached'],
        ]);
        expect(await view.mutate((tx) => tx.deleteAttachment(mine.id))).toBe(true);
        expect(await shared.listAttachments({ host: 'node-b' })).toEqual([b]);
      });
    });
  });
}
