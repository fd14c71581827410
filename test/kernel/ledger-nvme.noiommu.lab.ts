// The ledger on the real kernel booted without an IOMMU: a vfio-pci pool over QEMU's NVMe PF is
// refused by placement before anything is reserved (no VF has an IOMMU group), with the fix, and
// the same VFs on their host driver are not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setNumVfs } from '../../src/executor/index.js';
import type { PciAddress } from '../../src/host/names.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { InventoryCache } from '../../src/ledger/inventory-cache.js';
import { Ledger, type RequestContext } from '../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest, poolSpec, tenantSpec } from '../../src/ledger/types.js';
import { labHost, settledNvmeVfs } from './support.js';

const host = await labHost();
const root: RequestContext = { actor: { name: 'lab', tenant: null } };
let pf: PciAddress;
let store: SqliteLedgerStore;
let ledger: Ledger;

before(async () => {
  pf = await settledNvmeVfs(host, 2);
  store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  ledger = new Ledger({ store, host, inventory, hostname: inv.host.hostname });
  await ledger.putPool(root, 'vfio', poolSpec.parse({ selector: { pciAddresses: [pf] } }));
  await ledger.putTenant(root, 'lab', tenantSpec.parse({ pools: ['vfio'], vlans: '100' }));
});

after(async () => {
  await store?.close();
  await setNumVfs(host, pf, 0, { allowReset: true });
});

test('a vfio-pci pool is refused before anything is reserved, with the IOMMU as the fix', async () => {
  const req = attachRequest.parse({
    tenant: 'lab',
    pool: 'vfio',
    consumer: { kind: 'vm', name: 'x' },
  });
  for (let i = 0; i < 2; i++)
    await assert.rejects(ledger.attach(root, req), (e: unknown) => {
      assert.ok(e instanceof LedgerError);
      assert.equal(e.kind, 'refused');
      assert.equal(e.details?.code, 'vf-driver-unusable');
      assert.match(e.message, /2 without an IOMMU group \(the IOMMU is off\)/);
      assert.match(e.hint ?? '', /^enable the IOMMU/);
      return true;
    });
  assert.deepEqual(await store.listAttachments(), []);
});
