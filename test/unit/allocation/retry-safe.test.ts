// Transaction callbacks are free of side effects and safe to retry: attach, detach and reconcile
// (and the catalog's changes) over a store that runs every callback twice — the first run rolled
// back, as PostgreSQL does on a serialization failure — end exactly as over a store that runs it
// once: the same answers, errors, reports, events, audit log and rows, and no claim left behind.
import { describe, expect, it } from 'vitest';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { ifName } from '../../../src/host/names.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { LedgerEvent, RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import type { LedgerStore } from '../../../src/ledger/store.js';
import { openLedger } from '../../support/allocation.js';
import { bootSim, request } from '../ledger/support.js';
import { retryingStore, type RetryingStore } from './retry-store.js';

const admin: RequestContext = { actor: { name: 'alice', tenant: null }, requestId: 'req-1' };
const STAMP = new Date('2026-01-01T00:00:00.000Z');
// Ids are random, and derived MACs come from each database's own random key.
const RANDOM =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?:[0-9a-f]{2}:){5}[0-9a-f]{2}/g;

/** Names ids and MACs by their order of appearance, so two runs compare. */
function normalized(value: unknown): unknown {
  const names = new Map<string, string>();
  const text = JSON.stringify(value).replace(RANDOM, (id) => {
    if (!names.has(id)) names.set(id, `#${names.size + 1}`);
    return names.get(id)!;
  });
  return JSON.parse(text) as unknown;
}

function describeEvent(e: LedgerEvent): string {
  if (e.kind === 'attachment') return `attachment ${e.action} ${e.id}`;
  if (e.kind === 'reconcile') return `reconcile ${JSON.stringify(e.report)}`;
  if (e.kind === 'token') return `token revoked ${e.token.name}`;
  return `${e.kind} ${e.action} ${e.name}`;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('expected a refusal'),
    (e: unknown) =>
      e instanceof Error ? { message: e.message, hint: (e as { hint?: string }).hint } : e,
  );
}

/**
 * Attach (twice, one refused by the kernel with a rollback that cannot scrub), detach (one whose
 * scrub fails), then a reconcile that finishes a detach, re-applies a drifted VF and holds a VF it
 * cannot scrub: every transaction the allocation service runs, over `wrap(store)`.
 */
async function scenario(wrap: (s: LedgerStore) => LedgerStore) {
  const host = await bootSim('dual-socket-e810-cx6');
  const inner = new SqliteLedgerStore({ path: ':memory:' });
  const store = wrap(inner);
  const inventory = new InventoryCache(host);
  const hostname = (await inventory.get()).host.hostname;
  const { ledger, allocation } = openLedger({ store, host, inventory, hostname, now: () => STAMP });
  const events: string[] = [];
  allocation.onEvent((e) => events.push(describeEvent(e)));
  const ask = (name: string, extra: Record<string, unknown> = {}) =>
    request({ tenant: 'team-a', pool: 'fast', consumer: { kind: 'vm', name }, ...extra });
  try {
    await ledger.putPool(admin, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
    await ledger.putTenant(admin, 'team-a', tenantSpec.parse({ pools: ['fast'], vlans: '100' }));

    const attached = await allocation.attach(
      { ...admin, idempotencyKey: 'a-1' },
      ask('vm-1', { count: 2 }),
    );
    const replayed = await allocation.attach(
      { ...admin, idempotencyKey: 'a-1' },
      ask('vm-1', { count: 2 }),
    );
    // The kernel refuses the next VF (2) and its scrub: the rollback leaves it `failed`.
    host.faults.add({ op: 'netlink', target: 'ens1f0 vf 2', errno: 'EIO', times: 2 });
    const refused = await errorOf(allocation.attach(admin, ask('vm-2')));

    const [first, second] = attached.attachments;
    const detached = await allocation.detach({ ...admin, idempotencyKey: 'd-1' }, first!.id);
    const again = await allocation.detach({ ...admin, idempotencyKey: 'd-1' }, first!.id);
    const third = (await allocation.attach(admin, ask('vm-3'))).attachments[0]!;
    host.faults.add({ op: 'netlink', target: `ens1f0 vf ${third.vfIndex}`, errno: 'EIO' });
    const scrubRefused = await errorOf(allocation.detach(admin, third.id));

    // A crash mid-detach of `second`, and an out-of-band change to `fourth`.
    await inner.mutate(async (tx) => {
      await tx.updateAttachment(second!.id, { state: 'detaching' }, STAMP.toISOString());
    });
    const fourth = (await allocation.attach(admin, ask('vm-4'))).attachments[0]!;
    host.outOfBand([
      {
        kind: 'vf',
        pf: ifName('ens1f0'),
        vf: fourth.vfIndex,
        vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
      },
    ]);
    // The `failed` VF of the rollback cannot be scrubbed by this reconcile either.
    host.faults.add({ op: 'netlink', target: 'ens1f0 vf 2', errno: 'EIO' });
    const report = await allocation.reconcile();

    const audit = await inner.listAudit({ limit: 1000 });
    const rows = await inner.listAttachments();
    return {
      outcome: normalized({
        attached,
        replayed,
        refused,
        detached,
        again,
        scrubRefused,
        report,
        events,
        audit: audit.map((e) => ({ action: e.action, target: e.target, after: e.after })).reverse(),
        rows: rows.map((a) => ({ id: a.id, vfIndex: a.vfIndex, state: a.state, detail: a.detail })),
      }),
      claimed: allocation.claimed,
      retried: (store as Partial<RetryingStore>).retried ?? 0,
    };
  } finally {
    await allocation.idle();
    await inner.close();
  }
}

describe('transaction callbacks under a store that retries them', () => {
  it('attach, detach and reconcile end as they do when every callback runs once', async () => {
    const once = await scenario((s) => s);
    const twice = await scenario(retryingStore);
    // The wrapper did run the service's transactions twice (the catalog's and allocation's).
    expect(twice.retried).toBeGreaterThanOrEqual(12);
    expect(twice.outcome).toEqual(once.outcome);
    // No claim leaked by the first runs, none left by the operations.
    expect(twice.claimed).toBe(0);
    expect(once.claimed).toBe(0);
  });

  it('reports each reconcile outcome once', async () => {
    const twice = await scenario(retryingStore);
    const { report } = twice.outcome as {
      report: { scrubbed: string[]; reapplied: string[]; failed: { id: string }[] };
    };
    // `second` (cut off mid-detach) and `third` (its scrub failed once).
    expect(report.scrubbed).toHaveLength(2);
    expect(report.reapplied).toHaveLength(1);
    expect(report.failed).toHaveLength(1);
  });

  it('a reconcile after a crash records and reports each row once', async () => {
    const host = await bootSim('dual-socket-e810-cx6');
    const inner = new SqliteLedgerStore({ path: ':memory:' });
    try {
      const inventory = new InventoryCache(host);
      const hostname = (await inventory.get()).host.hostname;
      const before = openLedger({ store: inner, host, inventory, hostname });
      await before.ledger.putPool(
        admin,
        'fast',
        poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }),
      );
      await before.ledger.putTenant(
        admin,
        'team-a',
        tenantSpec.parse({ pools: ['fast'], vlans: '100' }),
      );
      const ask = request({ tenant: 'team-a', pool: 'fast', count: 2 });
      const [cut, drifted] = (await before.allocation.attach(admin, ask)).attachments;
      // Cut off mid-detach; and the other VF changed out of band.
      await inner.mutate(async (tx) => {
        await tx.updateAttachment(cut!.id, { state: 'detaching' }, STAMP.toISOString());
      });
      host.outOfBand([
        {
          kind: 'vf',
          pf: ifName('ens1f0'),
          vf: drifted!.vfIndex,
          vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
        },
      ]);
      // The restarted daemon's store retries every transaction.
      const store = retryingStore(inner);
      const after = openLedger({ store, host, inventory, hostname });
      const report = await after.allocation.reconcile();
      expect(store.retried).toBe(1);
      expect(report).toMatchObject({ scrubbed: [cut!.id], reapplied: [drifted!.id], failed: [] });
      const audit = await inner.listAudit({ limit: 100, target: `attachment/${cut!.id}` });
      expect(audit.filter((e) => e.action === 'attachment.delete')).toHaveLength(1);
      expect(after.allocation.claimed).toBe(0);
    } finally {
      await inner.close();
    }
  });
});
