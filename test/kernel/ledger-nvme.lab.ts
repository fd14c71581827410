// The ledger on the real kernel with QEMU's NVMe PF, which has no netdev: a pool over it attaches a
// VF to vfio-pci by driver binding alone (nothing through netlink, no MAC), refuses a VLAN naming
// the field, reconcile finds nothing to redo, and detach releases it (it stays on the pool's
// driver, vfio-pci).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readDriver, readIommuGroup, setNumVfs } from '../../src/executor/index.js';
import type { PciAddress } from '../../src/host/names.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { InventoryCache } from '../../src/ledger/inventory-cache.js';
import { Ledger, type RequestContext } from '../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest, poolSpec, tenantSpec, type Attachment } from '../../src/ledger/types.js';
import { labHost, settledNvmeVfs } from './support.js';

const host = await labHost();
const root: RequestContext = { actor: { name: 'lab', tenant: null } };
let pf: PciAddress;
let store: SqliteLedgerStore;
let ledger: Ledger;
let attached: Attachment;

before(async () => {
  pf = await settledNvmeVfs(host, 2);
  store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  ledger = new Ledger({ store, host, inventory, hostname: inv.host.hostname });
  await ledger.putPool(root, 'nvme', poolSpec.parse({ selector: { pciAddresses: [pf] } }));
  await ledger.putTenant(root, 'lab', tenantSpec.parse({ pools: ['nvme'], vlans: '100' }));
});

after(async () => {
  await store?.close();
  await setNumVfs(host, pf, 0, { allowReset: true });
});

const ask = (extra: Record<string, unknown> = {}) =>
  attachRequest.parse({
    tenant: 'lab',
    pool: 'nvme',
    consumer: { kind: 'vm', name: 'db-1' },
    ...extra,
  });

test('a VLAN is refused naming the field: the VF has no network', async () => {
  await assert.rejects(ledger.attach(root, ask({ vlan: 100 })), (e: unknown) => {
    assert.ok(e instanceof LedgerError);
    assert.equal(e.field, 'vlan');
    assert.equal(e.details?.code, 'not-a-network-vf');
    return true;
  });
  assert.deepEqual(await store.listAttachments(), []);
});

test('attach binds the VF to vfio-pci; the attachment has no MAC and no PF netdev', async () => {
  const r = await ledger.attach(root, ask());
  attached = r.attachments[0]!;
  assert.equal(attached.state, 'attached');
  assert.equal(attached.pf, pf);
  assert.equal(attached.pfNetdev, null);
  assert.equal(attached.mac, null);
  const vf = attached.vfPciAddress as PciAddress;
  assert.equal(await readDriver(host, vf), 'vfio-pci');
  const group = await readIommuGroup(host, vf);
  assert.notEqual(await host.entryKind(`/dev/vfio/${group}`), null);
});

test('reconcile finds the kernel as the ledger says', async () => {
  const report = await ledger.reconcile();
  assert.deepEqual(report.reapplied, []);
  assert.deepEqual(report.failed, []);
});

test('detach releases it; the VF stays on the pool driver', async () => {
  await ledger.detach(root, attached.id);
  assert.equal(await store.getAttachment(attached.id), null);
  assert.equal(await readDriver(host, attached.vfPciAddress as PciAddress), 'vfio-pci');
});
