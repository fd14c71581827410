// VFs that must never get stuck: a kernel refusal that left the VF scrubbed releases it; a pool
// whose driver this host cannot do is refused by placement before anything is reserved (so retries
// strand nothing); and every `failed` row has a way out that its text names — a detach that retries
// the scrub, or an admin's forced release.
import type { AllocationService } from '../../../src/allocation/service.js';
import { openLedger } from '../../support/allocation.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VfInfo } from '../../../src/host/host.js';
import { ifName } from '../../../src/host/names.js';
import type { SimHost } from '../../../src/host/sim/index.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import type { AuditEntry } from '../../../src/ledger/types.js';
import { bootSim, rejection, request, tempDir } from './support.js';

const admin: RequestContext = { actor: { name: 'alice', tenant: null } };
const SCRUBBED = { mac: '00:00:00:00:00:00', vlan: 0, maxTxRate: 0, trust: false, spoofchk: true };

const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

interface Rig {
  host: SimHost;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
}

/** A ledger over `fixture` with pool `p` (on `vfDriver`) over `pf` and tenant team-a (VLAN 100). */
async function rig(fixture: string, pf: string, vfDriver: 'vfio-pci' | 'host'): Promise<Rig> {
  const host = await bootSim(fixture);
  const store = new SqliteLedgerStore({ path: join(tempDir(), 'ledger.db') });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
  });
  await ledger.putPool(admin, 'p', poolSpec.parse({ selector: { pfNames: [pf] }, vfDriver }));
  await ledger.putTenant(admin, 'team-a', tenantSpec.parse({ pools: ['p'], vlans: '100' }));
  return { host, store, ledger, allocation };
}

const ask = (name = 'vm-1') =>
  request({ tenant: 'team-a', pool: 'p', consumer: { kind: 'vm', name } });

async function ledgerError(p: Promise<unknown>): Promise<LedgerError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(LedgerError);
  return e as LedgerError;
}

async function kernelVf(host: SimHost, pf: string, vf: number): Promise<VfInfo> {
  const dump = await host.linkDump({ ifname: ifName(pf) });
  return dump.links[0]!.vfs!.find((v) => v.vf === vf)!;
}

async function driverOf(host: SimHost, vfPci: string | null): Promise<string> {
  return (await host.readLink(`/sys/bus/pci/devices/${vfPci}/driver`)).split('/').at(-1)!;
}

/** Lets the event loop run until `done()` holds (bounded, so a bug fails instead of hanging). */
async function until(done: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await done()) return;
    await new Promise((r) => setImmediate(r));
  }
  expect(await done()).toBe(true);
}

async function actions(r: Rig, target: string): Promise<AuditEntry['action'][]> {
  return (await r.store.listAudit({ limit: 100, target })).reverse().map((e) => e.action);
}

describe('a pool whose driver this host cannot do', () => {
  it('is refused by placement before anything is reserved, with the fix, however often it is retried', async () => {
    const r = await rig('iommu-off', 'ens2f0', 'vfio-pci');
    for (let i = 0; i < 3; i++) {
      const e = await ledgerError(r.allocation.attach(admin, ask()));
      expect(e).toMatchObject({
        kind: 'refused',
        field: 'count',
        details: { code: 'vf-driver-unusable' },
      });
      expect(e.message).toContain(
        '2 without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
      );
      expect(e.hint).toMatch(/^enable the IOMMU/);
    }
    expect(await r.store.listAttachments()).toEqual([]);
    expect(r.host.journal).toEqual([]);
  });
});

describe('loading vfio-pci', () => {
  it('is noticed by the next placement, without waiting for a full rediscovery', async () => {
    const host = await bootSim('small-82599');
    let clock = 0;
    const inventory = new InventoryCache(host, { now: () => clock });
    const store = new SqliteLedgerStore({ path: ':memory:' });
    stores.push(store);
    const inv = await inventory.get();
    const { ledger, allocation } = openLedger({
      store,
      host,
      inventory,
      hostname: inv.host.hostname,
    });
    await ledger.putPool(admin, 'p', poolSpec.parse({ selector: { pfNames: ['enp4s0f1'] } }));
    await ledger.putTenant(admin, 'edge', tenantSpec.parse({ pools: ['p'], vlans: '10' }));
    const edge = request({ tenant: 'edge', pool: 'p', consumer: { kind: 'vm', name: 'vm-1' } });
    const before = await allocation.preview(admin, edge);
    expect(before).toMatchObject({ ok: false, code: 'vf-driver-unusable' });
    expect(before.fix).toMatch(/^`modprobe vfio-pci`/);
    // `modprobe vfio-pci`; a snapshot old enough to be checked again.
    host.kernel.registerDriver('vfio-pci');
    clock = 60_000;
    await inventory.get();
    await until(async () => (await allocation.preview(admin, edge)).ok);
    const [a] = (await allocation.attach(admin, edge)).attachments;
    expect(await driverOf(host, a!.vfPciAddress)).toBe('vfio-pci');
  });
});

describe('a refusal that left the VF scrubbed', () => {
  it('releases the VF when only the bind was refused (the rollback scrubbed the settings)', async () => {
    const r = await rig('dual-socket-e810-cx6', 'ens1f0', 'vfio-pci');
    // The attach's bind and the rollback's bind are both refused; the settings are not.
    r.host.faults.add({
      op: 'write',
      target: '/sys/bus/pci/drivers_probe',
      errno: 'ENODEV',
      times: 2,
    });
    const e = await ledgerError(r.allocation.attach(admin, ask()));
    expect(e.kind).toBe('host-failed');
    expect(e.hint).toContain(
      'nothing was attached; the VFs were scrubbed and returned to the pool',
    );
    expect(r.host.faults.fired).toHaveLength(2);
    expect(await r.store.listAttachments()).toEqual([]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
    // The failed probe returned the VF to the driver it had.
    expect(await driverOf(r.host, '0000:3b:01.0')).toBe('iavf');
    // And the VF serves the next attach.
    const [a] = (await r.allocation.attach(admin, ask('vm-2'))).attachments;
    expect(a).toMatchObject({ vfIndex: 0, state: 'attached' });
  });

  it('a failed row whose VF only the driver refuses is released by detach, and by reconcile', async () => {
    // The state the issue found: rows left `failed` on a host without an IOMMU, on a vfio-pci
    // pool (placement let them in before it knew better).
    const r = await rig('iommu-off', 'ens2f0', 'host');
    const { attachments } = await r.allocation.attach(admin, request({ ...ask(), count: 2 }));
    const now = new Date().toISOString();
    await r.store.mutate(async (tx) => {
      for (const a of attachments)
        await tx.updateAttachment(a.id, { state: 'failed', detail: 'scrub failed: old' }, now);
    });
    await r.ledger.putPool(
      admin,
      'p',
      poolSpec.parse({ selector: { pfNames: ['ens2f0'] }, vfDriver: 'vfio-pci' }),
    );
    const [first, second] = attachments;
    expect(await r.allocation.detach(admin, first!.id)).toMatchObject({ id: first!.id });
    expect((await r.allocation.reconcile()).scrubbed).toEqual([second!.id]);
    expect(await r.store.listAttachments()).toEqual([]);
    for (const a of attachments) {
      expect(await kernelVf(r.host, 'ens2f0', a.vfIndex)).toMatchObject(SCRUBBED);
      expect(await driverOf(r.host, a.vfPciAddress)).toBe('iavf');
    }
  });
});

describe('every failed row has a way out its text names', () => {
  it('a failed scrub says how to retry and how to force; a detach that works releases it', async () => {
    const r = await rig('dual-socket-e810-cx6', 'ens1f0', 'vfio-pci');
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO' });
    const e = await ledgerError(r.allocation.detach(admin, a!.id));
    expect(e.kind).toBe('host-failed');
    const wayOut = `detach it again to retry the scrub (DELETE /attachments/${a!.id}, sriovctl detach ${a!.id}), or as an admin release it without one (?force=true, sriovctl detach --force ${a!.id})`;
    expect(e.hint).toBe(`the VF stays out of the pool (state failed): ${wayOut}`);
    const row = await r.store.getAttachment(a!.id);
    expect(row).toMatchObject({ state: 'failed' });
    expect(row!.detail).toMatch(/^scrub failed: /);
    expect(row!.detail!.endsWith(wayOut)).toBe(true);
    await r.allocation.detach(admin, a!.id);
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
  });

  it('a rollback that cannot scrub names the rows and both ways out', async () => {
    const r = await rig('dual-socket-e810-cx6', 'ens1f0', 'vfio-pci');
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO', times: 2 });
    const e = await ledgerError(r.allocation.attach(admin, ask()));
    const [row] = await r.store.listAttachments();
    expect(e.hint).toBe(
      `nothing was attached; 1 VF could not be scrubbed and stay out of the pool (state failed, attachment ${row!.id}): detach each again to retry the scrub (sriovctl detach <id>), or as an admin release it without one (sriovctl detach --force <id>)`,
    );
  });

  it('a VF the kernel keeps refusing to scrub is released by force, audited, and serves the next attach', async () => {
    const r = await rig('dual-socket-e810-cx6', 'ens1f0', 'vfio-pci');
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO', times: 100 });
    await ledgerError(r.allocation.detach(admin, a!.id));
    await ledgerError(r.allocation.detach(admin, a!.id));
    expect(await r.store.getAttachment(a!.id)).toMatchObject({ state: 'failed' });
    const released = await r.allocation.detach(admin, a!.id, { force: true });
    expect(released.detail).toMatch(/^released without a scrub \(forced\): /);
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    expect(await actions(r, `attachment/${a!.id}`)).toEqual([
      'attachment.create',
      'attachment.scrub-failed',
      'attachment.scrub-failed',
      'attachment.force-release',
    ]);
    const [entry] = await r.store.listAudit({ limit: 1, action: 'attachment.force-release' });
    expect(entry!.after).toMatchObject({ released: true, scrubbed: false });
    // The kernel willing again, the VF goes to the next consumer with that consumer's settings.
    r.host.faults.clear();
    const [b] = (await r.allocation.attach(admin, ask('vm-2'))).attachments;
    expect(b!.vfIndex).toBe(0);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({ mac: b!.mac, vlan: 100 });
  });
});
