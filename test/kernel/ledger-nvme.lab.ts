// The ledger on the real kernel with QEMU's NVMe PF, which has no netdev: a pool over it attaches a
// VF to vfio-pci by driver binding alone (nothing through netlink, no MAC), refuses a VLAN naming
// the field, reconcile finds nothing to redo, and detach releases it (it stays on the pool's
// driver, vfio-pci).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readDriver, readIommuGroup } from '../../src/executor/index.js';
import type { PciAddress } from '../../src/host/names.js';
import { LedgerError } from '../../src/ledger/errors.js';
import type { AllocationService } from '../../src/allocation/service.js';
import type { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../../src/contract/index.js';
import type { Attachment } from '../../src/ledger/types.js';
import { LAB_ROOT, nvmeLedger, type NvmeLedger } from './ledger-support.js';
import { labHost } from './support.js';

const host = await labHost();
const root = LAB_ROOT;
let pf: PciAddress;
let store: SqliteLedgerStore;
let allocation: AllocationService;
let attached: Attachment;
let lab: NvmeLedger;

before(async () => {
  lab = await nvmeLedger(host, 'nvme');
  ({ pf, store, allocation } = lab);
});

after(() => lab?.close());

const ask = (extra: Record<string, unknown> = {}) =>
  attachRequest.parse({
    tenant: 'lab',
    pool: 'nvme',
    consumer: { kind: 'vm', name: 'db-1' },
    ...extra,
  });

test('a VLAN is refused naming the field: the VF has no network', async () => {
  await assert.rejects(allocation.attach(root, ask({ vlan: 100 })), (e: unknown) => {
    assert.ok(e instanceof LedgerError);
    assert.equal(e.field, 'vlan');
    assert.equal(e.details?.code, 'not-a-network-vf');
    return true;
  });
  assert.deepEqual(await store.listAttachments(), []);
});

test('attach binds the VF to vfio-pci; the attachment has no MAC and no PF netdev', async () => {
  const r = await allocation.attach(root, ask());
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
  const report = await allocation.reconcile();
  assert.deepEqual(report.reapplied, []);
  assert.deepEqual(report.failed, []);
});

test('detach releases it; the VF stays on the pool driver', async () => {
  await allocation.detach(root, attached.id);
  assert.equal(await store.getAttachment(attached.id), null);
  assert.equal(await readDriver(host, attached.vfPciAddress as PciAddress), 'vfio-pci');
});
