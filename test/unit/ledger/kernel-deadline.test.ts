// Every kernel operation the ledger starts has a deadline. One that misses it fails its request,
// but it is not cancelled — the write may still land — so its VF is held (not scrubbed, not handed
// out, not reconciled) until it returns; then a reconcile compares the VF with the kernel and
// releases it. An admin can release it at once with force.
import { openLedger } from '../../support/allocation.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ifName } from '../../../src/host/names.js';
import type { SimHost } from '../../../src/host/sim/index.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import {
  DEFAULT_KERNEL_TIMEOUT_MS,
  type AllocationService,
} from '../../../src/allocation/service.js';
import type { Ledger, LedgerEvent, RequestContext } from '../../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { bootSim, rejection, request, tempDir } from './support.js';

const admin: RequestContext = { actor: { name: 'alice', tenant: null } };
const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

/** dual-socket-e810-cx6, pool p (ens1f0, vfio-pci), tenant team-a; kernel deadline 30 ms. */
async function rig(): Promise<{
  host: SimHost;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
}> {
  const host = await bootSim('dual-socket-e810-cx6');
  const store = new SqliteLedgerStore({ path: join(tempDir(), 'ledger.db') });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  // Short, so the test does not wait; nothing here measures it.
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
    timeoutMs: 30,
  });
  await ledger.putPool(admin, 'p', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await ledger.putTenant(admin, 'team-a', tenantSpec.parse({ pools: ['p'], vlans: '100' }));
  return { host, store, ledger, allocation };
}

const ask = (name: string) =>
  request({ tenant: 'team-a', pool: 'p', consumer: { kind: 'vm', name } });

async function ledgerError(p: Promise<unknown>): Promise<LedgerError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(LedgerError);
  return e as LedgerError;
}

/** The next reconcile the ledger reports (the one a late kernel answer starts). */
function nextReconcile(
  allocation: AllocationService,
): Promise<Extract<LedgerEvent, { kind: 'reconcile' }>> {
  return new Promise((resolve) => {
    const off = allocation.onEvent((e) => {
      if (e.kind !== 'reconcile') return;
      off();
      resolve(e);
    });
  });
}

it('the deadline defaults to 30 s', () => {
  expect(DEFAULT_KERNEL_TIMEOUT_MS).toBe(30_000);
});

describe('an attach whose sysfs write does not return in time', () => {
  it('fails; the VF is held until the write lands, then reconciled against the kernel and released', async () => {
    const r = await rig();
    // The vfio-pci probe of VF 0 blocks in the kernel.
    r.host.faults.add({ op: 'write', target: '/sys/bus/pci/drivers_probe', hang: true });
    const e = await ledgerError(r.allocation.attach(admin, ask('vm-1')));
    expect(e).toMatchObject({ kind: 'host-failed', details: { errno: 'ETIMEDOUT' } });
    expect(e.message).toBe(
      'the kernel did not answer in time configuring VF 0 of ens1f0: write /sys/bus/pci/drivers_probe: no answer within 30 ms',
    );
    const [held] = await r.store.listAttachments();
    expect(held).toMatchObject({ vfIndex: 0, state: 'failed' });
    // Not scrubbed while the write may still land, not handed out: the next attach gets VF 1.
    const [b] = (await r.allocation.attach(admin, ask('vm-2'))).attachments;
    expect(b!.vfIndex).toBe(1);
    const report = await r.allocation.reconcile();
    expect(report.failed).toEqual([
      {
        id: held!.id,
        reason: expect.stringMatching(
          /^waiting for a kernel operation that timed out at .* to return \(write \/sys\/bus\/pci\/drivers_probe: no answer within 30 ms\)$/,
        ),
      },
    ]);
    expect(report.scrubbed).toEqual([]);
    const refused = await ledgerError(r.allocation.detach(admin, held!.id));
    expect(refused.kind).toBe('conflict');

    // The write lands; the reconcile it starts runs after it, and releases the VF scrubbed.
    const reconciled = nextReconcile(r.allocation);
    r.host.faults.releaseHangs();
    expect((await reconciled).report.scrubbed).toEqual([held!.id]);
    const landed = r.host.journal.findIndex(
      (j) =>
        j.target === '/sys/bus/pci/drivers_probe' &&
        j.result === 'ok' &&
        j.value === '0000:3b:01.0',
    );
    const scrubbed = r.host.journal.findLastIndex((j) => j.target === 'ens1f0 vf 0');
    expect(landed).toBeGreaterThan(-1);
    expect(scrubbed).toBeGreaterThan(landed);
    expect(await r.store.getAttachment(held!.id)).toBeNull();
    const vf0 = (await r.host.linkDump({ ifname: ifName('ens1f0') })).links[0]!.vfs![0]!;
    expect([vf0.mac, vf0.vlan]).toEqual(['00:00:00:00:00:00', 0]);
  });
});

describe('a detach whose scrub does not return in time', () => {
  it('leaves the row failed with the way out; force releases it at once, unscrubbed and audited', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask('vm-1'))).attachments;
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', hang: true });
    const e = await ledgerError(r.allocation.detach(admin, a!.id));
    expect(e).toMatchObject({ kind: 'host-failed', details: { errno: 'ETIMEDOUT' } });
    expect(e.hint).toBe(
      `the VF stays out of the pool (state failed) until the kernel answers and a reconcile scrubs and releases it; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${a!.id})`,
    );
    const row = await r.store.getAttachment(a!.id);
    expect(row).toMatchObject({ state: 'failed' });
    expect(row!.detail).toContain(`sriovctl detach --force ${a!.id}`);
    const writes = r.host.journal.length;
    const released = await r.allocation.detach(admin, a!.id, { force: true });
    expect(released.detail).toMatch(
      /^released without a scrub \(forced\): not scrubbed: ip -batch/,
    );
    // Nothing was sent to a kernel that has not answered the last change yet.
    expect(r.host.journal.length).toBe(writes);
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    const [entry] = await r.store.listAudit({ limit: 1, action: 'attachment.force-release' });
    expect(entry).toMatchObject({ actor: 'alice', target: `attachment/${a!.id}` });
    const reconciled = nextReconcile(r.allocation);
    r.host.faults.releaseHangs();
    expect((await reconciled).report.failed).toEqual([]);
  });
});
