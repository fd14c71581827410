// The ledger on the real kernel booted without an IOMMU: a vfio-pci pool over QEMU's NVMe PF is
// refused by placement before anything is reserved (no VF has an IOMMU group), with the fix, and
// the same VFs on their host driver are not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LedgerError } from '../../src/ledger/errors.js';
import type { AllocationService } from '../../src/allocation/service.js';
import type { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../../src/contract/index.js';
import { LAB_ROOT, nvmeLedger, type NvmeLedger } from './ledger-support.js';
import { labHost } from './support.js';

const host = await labHost();
const root = LAB_ROOT;
let store: SqliteLedgerStore;
let allocation: AllocationService;
let lab: NvmeLedger;

before(async () => {
  lab = await nvmeLedger(host, 'vfio');
  ({ store, allocation } = lab);
});

after(() => lab?.close());

test('a vfio-pci pool is refused before anything is reserved, with the IOMMU as the fix', async () => {
  const req = attachRequest.parse({
    tenant: 'lab',
    pool: 'vfio',
    consumer: { kind: 'vm', name: 'x' },
  });
  for (let i = 0; i < 2; i++)
    await assert.rejects(allocation.attach(root, req), (e: unknown) => {
      assert.ok(e instanceof LedgerError);
      assert.equal(e.kind, 'refused');
      assert.equal(e.details?.code, 'vf-driver-unusable');
      assert.match(e.message, /2 without an IOMMU group \(the IOMMU is off\)/);
      assert.match(e.hint ?? '', /^enable the IOMMU/);
      return true;
    });
  assert.deepEqual(await store.listAttachments(), []);
});
