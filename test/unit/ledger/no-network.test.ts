// VFs whose PF has no netdev (QEMU's NVMe controller, accelerators) are passed through by driver
// alone: attach binds the pool's driver and sets nothing through netlink, the attachment has no
// MAC and no PF netdev, detach scrubs by driver binding only, and reconcile compares the driver.
import type { AllocationService } from '../../../src/allocation/service.js';
import { openLedger } from '../../support/allocation.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindDriver, NO_NETWORK_DETAIL } from '../../../src/executor/index.js';
import { pciAddress } from '../../../src/host/names.js';
import type { SimHost } from '../../../src/host/sim/index.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { bootSim, rejection, request, tempDir } from './support.js';

const NVME = '0000:00:02.0';
const admin: RequestContext = { actor: { name: 'alice', tenant: null } };
const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

interface Rig {
  host: SimHost;
  path: string;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
}

async function open(host: SimHost, path: string): Promise<Rig> {
  const store = new SqliteLedgerStore({ path });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  return {
    host,
    path,
    store,
    ...openLedger({ store, host, inventory, hostname: inv.host.hostname }),
  };
}

/** qemu-nvme-lab with 3 VFs, pools `passthrough` (vfio-pci) and `local` (host driver: nvme). */
async function rig(): Promise<Rig> {
  const host = await bootSim('qemu-nvme-lab');
  await host.writeFile(`/sys/bus/pci/devices/${NVME}/sriov_numvfs`, '3');
  const r = await open(host, join(tempDir(), 'ledger.db'));
  await r.ledger.putPool(
    admin,
    'passthrough',
    poolSpec.parse({ selector: { pciAddresses: [NVME] } }),
  );
  await r.ledger.putPool(
    admin,
    'local',
    poolSpec.parse({ selector: { pciAddresses: [NVME] }, vfDriver: 'host' }),
  );
  // A tenant with one VLAN: a network VF would get it; these get none.
  await r.ledger.putTenant(
    admin,
    'team-a',
    tenantSpec.parse({ pools: ['passthrough', 'local'], vlans: '100' }),
  );
  return r;
}

const ask = (pool: string, name: string, extra: Record<string, unknown> = {}) =>
  request({ tenant: 'team-a', pool, consumer: { kind: 'vm', name }, ...extra });

async function driverOf(host: SimHost, vfPci: string | null): Promise<string | null> {
  if ((await host.entryKind(`/sys/bus/pci/devices/${vfPci}/driver`)) === null) return null;
  return (await host.readLink(`/sys/bus/pci/devices/${vfPci}/driver`)).split('/').at(-1)!;
}

describe('VFs without a network', () => {
  it('attach binds vfio-pci and nothing else; the attachment has no MAC, no PF netdev, no VLAN', async () => {
    const r = await rig();
    const { attachments } = await r.allocation.attach(
      admin,
      ask('passthrough', 'vm-1', { count: 2 }),
    );
    expect(attachments.map((a) => [a.vfIndex, a.vfPciAddress])).toEqual([
      [0, '0000:00:02.1'],
      [1, '0000:00:02.2'],
    ]);
    for (const a of attachments) {
      expect(a).toMatchObject({
        pf: NVME,
        pfNetdev: null,
        mac: null,
        vlan: 0,
        state: 'attached',
        detail: NO_NETWORK_DETAIL,
      });
      expect(await driverOf(r.host, a.vfPciAddress)).toBe('vfio-pci');
      expect(await r.store.getAttachment(a.id)).toEqual(a);
    }
    expect(r.host.journal.filter((j) => j.op === 'netlink')).toEqual([]);
    // Two rows without a MAC do not collide on the MAC's uniqueness.
    expect(await r.store.listAttachments()).toHaveLength(2);
  });

  it('refuses network settings with the field, before reserving anything', async () => {
    const r = await rig();
    const writes = r.host.journal.length;
    for (const [field, extra] of [
      ['vlan', { vlan: 100 }],
      ['mac', { mac: '02:00:00:00:00:01' }],
      ['maxTxRate', { maxTxRate: 1000 }],
    ] as const) {
      const e = await rejection(r.allocation.attach(admin, ask('passthrough', 'vm-1', extra)));
      expect(e).toBeInstanceOf(LedgerError);
      expect(e).toMatchObject({ kind: 'refused', field, details: { code: 'not-a-network-vf' } });
    }
    expect(await r.store.listAttachments()).toEqual([]);
    expect(r.host.journal).toHaveLength(writes);
  });

  it('detach scrubs by driver binding only: the pool driver, nothing through netlink', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask('passthrough', 'vm-1'))).attachments;
    await r.allocation.detach(admin, a!.id);
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('vfio-pci');
    // A host-driver pool's VF taken to vfio-pci meanwhile goes back to its ID's driver on
    // detach (nvme, whose probe of a QEMU VF without queue resources fails, as in the lab).
    const [b] = (await r.allocation.attach(admin, ask('local', 'vm-2'))).attachments;
    await bindDriver(r.host, pciAddress(b!.vfPciAddress!), 'vfio-pci' as never);
    await r.allocation.detach(admin, b!.id);
    expect(await driverOf(r.host, b!.vfPciAddress)).toBeNull();
    expect(r.host.journal.filter((j) => j.op === 'netlink')).toEqual([]);
  });

  it('reconcile leaves a matching one alone and rebinds one moved off vfio-pci', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask('passthrough', 'vm-1'))).attachments;
    const quiet = await r.allocation.reconcile();
    expect(quiet.reapplied).toEqual([]);
    expect(quiet.failed).toEqual([]);
    await bindDriver(r.host, pciAddress(a!.vfPciAddress!), null);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBeNull();
    // After a restart too: the row reads back from the database with its nulls.
    await r.store.close();
    const r2 = await open(r.host, r.path);
    expect((await r2.allocation.reconcile()).reapplied).toEqual([a!.id]);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('vfio-pci');
    expect(await r2.store.getAttachment(a!.id)).toMatchObject({ mac: null, pfNetdev: null });
  });
});
