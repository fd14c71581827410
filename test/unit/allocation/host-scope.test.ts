// Two identical servers share one ledger, so their PFs have the same PCI addresses. Allocation
// reads this host's rows only and matches them to its kernel by (host, PF, VF index): another
// host's row never takes a VF here, and is never scrubbed, re-applied or orphaned from here.
import { afterEach, describe, expect, it } from 'vitest';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { ifName } from '../../../src/host/names.js';
import type { SimHost } from '../../../src/host/sim/index.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { openLedger } from '../../support/allocation.js';
import { attachment, bootSim, rejection, request } from '../ledger/support.js';

const admin: RequestContext = { actor: { name: 'alice', tenant: null } };
const ENS1F0 = '0000:3b:00.0';
const OTHER = 'compute-twin';

async function kernelVfOf(host: SimHost, pf: string, vf: number) {
  const dump = await host.linkDump({ ifname: ifName(pf) });
  return dump.links.find((l) => l.ifname === pf)?.vfs?.find((v) => v.vf === vf);
}

const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function rig() {
  const host = await bootSim('dual-socket-e810-cx6');
  const store = new SqliteLedgerStore({ path: ':memory:' });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const hostname = (await inventory.get()).host.hostname;
  const l = openLedger({ store, host, inventory, hostname });
  await l.ledger.putPool(admin, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await l.ledger.putTenant(admin, 'team-a', tenantSpec.parse({ pools: ['fast'], vlans: '100' }));
  /** A row of the twin server, at the same PF address. */
  const twin = async (vfIndex: number, over: Parameters<typeof attachment>[2] = {}) => {
    const a = attachment(ENS1F0, vfIndex, {
      host: OTHER,
      tenant: 'team-a',
      pool: 'fast',
      pfNetdev: 'ens1f0',
      consumer: { kind: 'vm', name: `twin-vm-${vfIndex}`, host: OTHER },
      vlan: 100,
      ...over,
    });
    await store.mutate((tx) => tx.insertAttachment(a));
    return a;
  };
  return { host, store, hostname, twin, ...l };
}

describe('allocation on one host of a shared ledger', () => {
  it("places on this host's VFs whatever the twin holds at the same PCI address", async () => {
    const r = await rig();
    await r.twin(0);
    const [a] = (await r.allocation.attach(admin, request({ tenant: 'team-a', pool: 'fast' })))
      .attachments;
    expect(a).toMatchObject({ host: r.hostname, pf: ENS1F0, vfIndex: 0 });
    const preview = await r.allocation.preview(admin, request({ tenant: 'team-a', pool: 'fast' }));
    expect(preview.choices.map((c) => c.vfIndex)).toEqual([1]);
  });

  it("reconcile leaves the twin's rows alone: no scrub, no re-apply, no orphan", async () => {
    const r = await rig();
    const detaching = await r.twin(1, { state: 'detaching' });
    const attached = await r.twin(2, { vlan: 100, maxTxRate: 1000 });
    const gone = await r.twin(200);
    const before = await kernelVfOf(r.host, 'ens1f0', 2);
    const report = await r.allocation.reconcile();
    expect(report).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    });
    // This host's VF 2 was not given the twin's settings.
    expect(await kernelVfOf(r.host, 'ens1f0', 2)).toEqual(before);
    for (const a of [detaching, attached, gone])
      expect(await r.store.getAttachment(a.id)).toMatchObject({ host: OTHER, state: a.state });
  });

  it("refuses to detach the twin's row: scrubbing here would scrub this host's VF", async () => {
    const r = await rig();
    const a = await r.twin(3);
    const e = await rejection(r.allocation.detach(admin, a.id));
    expect(e).toMatchObject({
      kind: 'conflict',
      message: `attachment ${a.id} is on host ${OTHER}, not ${r.hostname}`,
    });
    expect(await r.store.getAttachment(a.id)).toMatchObject({ state: 'attached' });
  });
});
