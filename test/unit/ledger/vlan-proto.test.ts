// Attachments carry their VLAN's tag protocol: 802.1ad (QinQ) where the PF's driver takes it.
// Placement keeps it off drivers that always refuse it (ixgbe), the kernel's refusal on ice outside
// double VLAN mode is explained and rolled back, the ledger records it, and reconcile compares it.
import { openLedger } from '../../support/allocation.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ifName } from '../../../src/host/names.js';
import { simHostFromYaml, type SimHost } from '../../../src/host/sim/index.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { rejection, request, tempDir } from './support.js';

const admin: RequestContext = { actor: { name: 'alice', tenant: null } };

// Two ice ports, one in double VLAN mode, and an ixgbe port; each with 4 VFs.
const HOST = `
name: qinq
hostname: qinq-1
devices:
  - { model: intel-e810-c-qsfp, address: 0000:3b:00.0, netdev: ens1f0, numVfs: 4, doubleVlanMode: true }
  - { model: intel-e810-c-qsfp, address: 0000:3b:00.1, netdev: ens1f1, numVfs: 4 }
  - { model: intel-82599-sfp, address: 0000:04:00.0, netdev: enp4s0f0, numVfs: 4 }
`;

const hosts: SimHost[] = [];
const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const h of hosts.splice(0)) h.close();
});

async function rig(host?: SimHost, path = join(tempDir(), 'ledger.db')) {
  if (!host) {
    host = await simHostFromYaml(HOST, { timing: 'off' });
    hosts.push(host);
  }
  const store = new SqliteLedgerStore({ path });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: (await inventory.get()).host.hostname,
  });
  return { host, path, store, ledger, allocation };
}

async function withPools(r: Awaited<ReturnType<typeof rig>>) {
  for (const [name, pf] of [
    ['dvm', 'ens1f0'],
    ['svm', 'ens1f1'],
    ['ixgbe', 'enp4s0f0'],
  ] as const)
    await r.ledger.putPool(
      admin,
      name,
      poolSpec.parse({ selector: { pfNames: [pf] }, vfDriver: 'host' }),
    );
  await r.ledger.putTenant(
    admin,
    't',
    tenantSpec.parse({ pools: ['dvm', 'svm', 'ixgbe'], vlans: '0,100-199' }),
  );
  return r;
}

async function kernelVf(host: SimHost, pf: string, vf: number) {
  const dump = await host.linkDump({ ifname: ifName(pf) });
  return dump.links.find((l) => l.ifname === pf)?.vfs?.find((v) => v.vf === vf);
}

async function ledgerError(p: Promise<unknown>): Promise<LedgerError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(LedgerError);
  return e as LedgerError;
}

describe('attachments and vlanProto', () => {
  it('attaches an 802.1ad VLAN where the driver takes it, records it, and reads it back', async () => {
    const r = await withPools(await rig());
    const res = await r.allocation.attach(
      admin,
      request({ tenant: 't', pool: 'dvm', vlan: 120, vlanProto: '802.1ad' }),
    );
    const a = res.attachments[0]!;
    expect(a).toMatchObject({ vlan: 120, vlanProto: '802.1ad', detail: 'verified by read-back' });
    expect(await kernelVf(r.host, 'ens1f0', a.vfIndex)).toMatchObject({
      vlan: 120,
      vlanProto: '802.1ad',
    });
    expect((await r.store.getAttachment(a.id))?.vlanProto).toBe('802.1ad');
    // Without vlanProto an attachment is 802.1Q, as every attachment was before.
    const plain = await r.allocation.attach(
      admin,
      request({ tenant: 't', pool: 'dvm', vlan: 121, consumer: { kind: 'vm', name: 'vm-2' } }),
    );
    expect(plain.attachments[0]!.vlanProto).toBe('802.1Q');
  });

  it('keeps 802.1ad off a PF whose driver always refuses it, before touching the kernel', async () => {
    const r = await withPools(await rig());
    const before = r.host.journal.length;
    const e = await ledgerError(
      r.allocation.attach(
        admin,
        request({ tenant: 't', pool: 'ixgbe', vlan: 120, vlanProto: '802.1ad' }),
      ),
    );
    expect(e.message).toContain('PF driver ixgbe refuses 802.1ad VF VLANs (EPROTONOSUPPORT)');
    expect(r.host.journal.slice(before).filter((j) => j.op === 'netlink')).toEqual([]);
    expect(await r.store.listAttachments()).toEqual([]);
  });

  it('explains the kernel refusal of ice outside double VLAN mode and rolls the VF back', async () => {
    const r = await withPools(await rig());
    const e = await ledgerError(
      r.allocation.attach(
        admin,
        request({ tenant: 't', pool: 'svm', vlan: 120, vlanProto: '802.1ad' }),
      ),
    );
    expect(e.message).toContain('does not support 802.1ad (QinQ) VF VLANs');
    expect(e.hint).toContain('Double VLAN Mode');
    expect(await r.store.listAttachments()).toEqual([]);
    expect(await kernelVf(r.host, 'ens1f1', 0)).toMatchObject({ vlan: 0, vlanProto: '802.1Q' });
  });

  it('refuses 802.1ad on an untagged VF, naming vlanProto', async () => {
    const r = await withPools(await rig());
    const e = await ledgerError(
      r.allocation.attach(
        admin,
        request({ tenant: 't', pool: 'dvm', vlan: 0, vlanProto: '802.1ad' }),
      ),
    );
    expect(e.field).toBe('vlanProto');
    expect(e.message).toContain('vlanProto 802.1ad tags the VF');
  });

  it('an Idempotency-Key answered before attachments had vlanProto still answers its retry', async () => {
    const r = await withPools(await rig());
    const req = request({ tenant: 't', pool: 'dvm', vlan: 120 });
    // The request as a ledger from before vlanProto hashed it: the parsed body without the field.
    const { vlanProto: _none, ...older } = req;
    const first = { attachments: [], placement: null, reasons: ['answered before the upgrade'] };
    await r.store.mutate((tx) =>
      tx.putIdempotency(
        {
          actor: 'alice',
          key: 'retry-from-before',
          requestHash: createHash('sha256').update(JSON.stringify(older)).digest('hex'),
          status: 'done',
          response: { status: 201, body: first },
        },
        new Date().toISOString(),
      ),
    );
    const again = await r.allocation.attach({ ...admin, idempotencyKey: 'retry-from-before' }, req);
    expect(again).toEqual(first);
  });

  it('reconcile compares the tag protocol and puts 802.1ad back after an out-of-band change', async () => {
    const r = await withPools(await rig());
    const a = (
      await r.allocation.attach(
        admin,
        request({ tenant: 't', pool: 'dvm', vlan: 130, vlanProto: '802.1ad' }),
      )
    ).attachments[0]!;
    // Someone sets the same VLAN with the other protocol: only the protocol differs.
    r.host.outOfBand([
      {
        kind: 'vf',
        pf: ifName('ens1f0'),
        vf: a.vfIndex,
        vlan: { vlan: 130, qos: 0, proto: '802.1Q' },
      },
    ]);
    const report = await r.allocation.reconcile();
    expect(report.reapplied).toEqual([a.id]);
    expect(await kernelVf(r.host, 'ens1f0', a.vfIndex)).toMatchObject({
      vlan: 130,
      vlanProto: '802.1ad',
    });
    expect((await r.allocation.reconcile()).reapplied).toEqual([]);
  });
});
