// The Ledger on a simulated host and a real SQLite file: what attach and detach do to the kernel
// (read back through the link dump, sysfs and discovery), what they record, how kernel failures roll
// back, tenant confinement, and reconcile after a crash, an out-of-band change or a vanished VF.
import type { AllocationService } from '../../../src/allocation/service.js';
import { openLedger } from '../../support/allocation.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindDriver, setNumVfs } from '../../../src/executor/index.js';
import type { VfInfo } from '../../../src/host/host.js';
import { ifName, pciAddress } from '../../../src/host/names.js';
import type { SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { LedgerError } from '../../../src/ledger/errors.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../../src/ledger/ledger.js';
import { consumerMac } from '../../../src/ledger/mac.js';
import { SqliteLedgerStore } from '../../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../../src/contract/index.js';
import type { AttachRequestInput, Attachment, AuditEntry } from '../../../src/ledger/types.js';
import { bootSim, rejection, request, tempDir } from './support.js';
import { onNetwork, type NetworkAttachment } from '../../support/network-attachment.js';

const ENS1F0 = '0000:3b:00.0';
const admin: RequestContext = { actor: { name: 'alice', tenant: null }, requestId: 'req-1' };
const SCRUBBED = {
  mac: '00:00:00:00:00:00',
  vlan: 0,
  qos: 0,
  minTxRate: 0,
  maxTxRate: 0,
  spoofchk: true,
  trust: false,
  linkState: 'auto',
};

interface Rig {
  host: SimHost;
  path: string;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
}

const stores: SqliteLedgerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

/** A daemon over `host` with its ledger in the file at `path`. */
async function daemon(host: SimHost, path: string, oversubscription = 1): Promise<Rig> {
  const store = new SqliteLedgerStore({ path });
  stores.push(store);
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
    placement: { oversubscription },
  });
  return { host, path, store, ledger, allocation };
}

/**
 * dual-socket-e810-cx6 with pools `fast` (ens1f0, vfio-pci), `kernel` (ens2f0np0, host driver) and
 * tenants team-a (VLANs 100-199, both pools) and team-b (VLAN 200, fast).
 */
async function rig(): Promise<Rig> {
  const host = await bootSim('dual-socket-e810-cx6');
  const r = await daemon(host, join(tempDir(), 'ledger.db'));
  await r.ledger.putPool(admin, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await r.ledger.putPool(
    admin,
    'kernel',
    poolSpec.parse({ selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' }),
  );
  await r.ledger.putPool(admin, 'tail', poolSpec.parse({ selector: { pfNames: ['ens1f0#6-7'] } }));
  await r.ledger.putTenant(
    admin,
    'team-a',
    tenantSpec.parse({ pools: ['fast', 'kernel', 'tail'], vlans: '100-199', allowTrust: true }),
  );
  await r.ledger.putTenant(admin, 'team-b', tenantSpec.parse({ pools: ['fast'], vlans: '200' }));
  return r;
}

/** The daemon killed and started again on the same kernel and database. */
async function restart(r: Rig): Promise<Rig> {
  await r.store.close();
  return daemon(r.host, r.path);
}

function ask(over: Partial<AttachRequestInput> = {}) {
  return request({ tenant: 'team-a', pool: 'fast', vlan: 150, ...over });
}

/** The PF's view of one VF, from the kernel's link dump. */
async function kernelVf(host: SimHost, pf: string, vf: number): Promise<VfInfo> {
  const dump = await host.linkDump({ ifname: ifName(pf) });
  const info = dump.links.find((l) => l.ifname === pf)?.vfs?.find((v) => v.vf === vf);
  if (!info) throw new Error(`no VF ${vf} on ${pf}`);
  return info;
}

async function driverOf(host: SimHost, vfPci: string | null): Promise<string> {
  const target = await host.readLink(`/sys/bus/pci/devices/${vfPci}/driver`);
  return target.split('/').at(-1)!;
}

async function audit(
  r: Rig,
  filter: { action?: string; target?: string } = {},
): Promise<AuditEntry[]> {
  return (await r.store.listAudit({ limit: 1000, ...filter })).reverse();
}

async function ledgerError(p: Promise<unknown>): Promise<LedgerError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(LedgerError);
  return e as LedgerError;
}

/** Lets the event loop run until `done()` holds (bounded, so a bug fails instead of hanging). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

describe('attach', () => {
  it('configures the VF in the kernel, binds the pool driver and records it', async () => {
    const r = await rig();
    const res = await r.allocation.attach(
      admin,
      ask({ qos: 2, minTxRate: 1000, maxTxRate: 10000, consumer: { kind: 'vm', name: 'vm-1' } }),
    );
    expect(res.attachments).toHaveLength(1);
    const a = res.attachments[0]!;
    expect(a).toMatchObject({
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'vm-1', host: 'compute-17' },
      interface: 'net0',
      host: 'compute-17',
      pf: ENS1F0,
      pfNetdev: 'ens1f0',
      vfIndex: 0,
      vfPciAddress: '0000:3b:01.0',
      numaNode: 0,
      mac: consumerMac(await r.store.macKey(), {
        tenant: 'team-a',
        consumer: { kind: 'vm', name: 'vm-1', host: 'compute-17' },
        iface: 'net0',
      }),
      vlan: 150,
      trust: false,
      spoofchk: true,
      state: 'attached',
      detail: 'verified by read-back',
      requestedBy: 'alice',
      requestKey: null,
    });
    expect(res.reasons[0]).toContain('PF ens1f0');
    expect(res.placement).toMatchObject({ poolVfs: 8, candidates: 8 });

    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({
      mac: a.mac,
      vlan: 150,
      qos: 2,
      minTxRate: 1000,
      maxTxRate: 10000,
      spoofchk: true,
      trust: false,
      linkState: 'auto',
    });
    expect(await driverOf(r.host, a.vfPciAddress)).toBe('vfio-pci');
    // Discovery (what reconcile compares with) sees the same.
    const vf = (await discover(r.host)).pfs.find((p) => p.pciAddress === ENS1F0)!.vfs[0]!;
    expect(vf.driver).toBe('vfio-pci');
    expect(vf.config).toMatchObject({
      mac: a.mac,
      vlan: 150,
      qos: 2,
      minTxRate: 1000,
      maxTxRate: 10000,
    });

    expect(await r.store.getAttachment(a.id)).toEqual(a);
    const created = await audit(r, { action: 'attachment.create' });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      actor: 'alice',
      tenant: 'team-a',
      target: `attachment/${a.id}`,
      before: null,
      after: a,
      requestId: 'req-1',
    });
    // The setup was audited too, in order.
    expect((await audit(r)).map((e) => e.action)).toEqual([
      'pool.create',
      'pool.create',
      'pool.create',
      'tenant.create',
      'tenant.create',
      'attachment.create',
    ]);
  });

  it('a host-driver pool keeps the VF on its kernel driver and still turns spoof checking on', async () => {
    const r = await rig();
    // mlx5 VFs start with spoofchk off.
    expect((await kernelVf(r.host, 'ens2f0np0', 0)).spoofchk).toBe(false);
    const [a] = (await r.allocation.attach(admin, ask({ pool: 'kernel' }))).attachments;
    expect(a).toMatchObject({ pfNetdev: 'ens2f0np0', vfIndex: 0, state: 'attached' });
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('mlx5_core');
    expect(await kernelVf(r.host, 'ens2f0np0', 0)).toMatchObject({
      mac: a!.mac,
      vlan: 150,
      spoofchk: true,
      trust: false,
    });
  });

  it('trust is set only for a tenant that allows it, and turns spoof checking off unless asked', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask({ trust: true, linkState: 'enable' })))
      .attachments;
    expect(a).toMatchObject({ trust: true, spoofchk: false, linkState: 'enable' });
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({
      trust: true,
      spoofchk: false,
      linkState: 'enable',
    });
    const e = await ledgerError(
      r.allocation.attach(
        admin,
        request({
          tenant: 'team-b',
          pool: 'fast',
          trust: true,
          consumer: { kind: 'vm', name: 'b' },
        }),
      ),
    );
    expect(e).toMatchObject({
      kind: 'refused',
      field: 'trust',
      details: { code: 'trust-not-allowed' },
    });
    // Without allowTrust, spoofchk stays on even when the request asks for it off.
    const [b] = (
      await r.allocation.attach(
        admin,
        request({
          tenant: 'team-b',
          pool: 'fast',
          spoofchk: false,
          consumer: { kind: 'vm', name: 'b' },
        }),
      )
    ).attachments;
    expect(b!.spoofchk).toBe(true);
    expect((await kernelVf(r.host, 'ens1f0', b!.vfIndex)).spoofchk).toBe(true);
  });

  it('gives a consumer the next free interface names and distinct VFs and MACs', async () => {
    const r = await rig();
    const first = await r.allocation.attach(admin, ask({ count: 2 }));
    const second = await r.allocation.attach(admin, ask());
    const all = [...first.attachments, ...second.attachments];
    expect(all.map((a) => a.interface)).toEqual(['net0', 'net1', 'net2']);
    expect(new Set(all.map((a) => a.vfIndex)).size).toBe(3);
    expect(new Set(all.map((a) => a.mac)).size).toBe(3);
    for (const a of all) expect((await kernelVf(r.host, 'ens1f0', a.vfIndex)).mac).toBe(a.mac);
    const e = await ledgerError(r.allocation.attach(admin, ask({ interfaces: ['net1'] })));
    expect(e.kind).toBe('conflict');
    expect(e.message).toBe(
      `vm vm-1 already has VF ${all[1]!.vfIndex} of ens1f0 on net1 (attachment ${all[1]!.id})`,
    );
    const mac = await ledgerError(
      r.allocation.attach(
        admin,
        ask({ consumer: { kind: 'vm', name: 'vm-2' }, mac: all[0]!.mac! }),
      ),
    );
    expect(mac).toMatchObject({ kind: 'conflict', field: 'mac' });
  });

  it('refusals carry the rule code and leave nothing behind', async () => {
    const r = await rig();
    const vlan = await ledgerError(r.allocation.attach(admin, ask({ vlan: 300 })));
    expect(vlan).toMatchObject({
      kind: 'refused',
      field: 'vlan',
      details: { code: 'vlan-not-allowed' },
    });
    const full = await ledgerError(r.allocation.attach(admin, ask({ count: 9 })));
    expect(full).toMatchObject({ kind: 'refused', field: 'count' });
    expect(full.details).toMatchObject({
      code: 'no-capacity',
      placement: { poolVfs: 8, candidates: 8, excluded: [] },
    });
    const unknown = await ledgerError(r.allocation.attach(admin, ask({ pool: 'nope' })));
    expect(unknown).toMatchObject({ kind: 'not-found', field: 'pool' });
    expect(await r.store.listAttachments()).toEqual([]);
    expect(await audit(r, { action: 'attachment.create' })).toEqual([]);
    expect(r.host.journal.filter((j) => j.op === 'netlink')).toEqual([]);
  });

  it('preview places without attaching', async () => {
    const r = await rig();
    const p = await r.allocation.preview(admin, ask({ count: 2 }));
    expect(p.ok).toBe(true);
    expect(p.choices.map((c) => [c.pfNetdev, c.vfIndex])).toEqual([
      ['ens1f0', 0],
      ['ens1f0', 1],
    ]);
    expect(await r.store.listAttachments()).toEqual([]);
    expect(r.host.journal).toEqual([]);
    const no = await r.allocation.preview(admin, ask({ count: 20 }));
    expect(no).toMatchObject({ ok: false, code: 'no-capacity', choices: [] });
  });
});

describe('QoS admission through the ledger', () => {
  for (const oversubscription of [1, 2]) {
    it(`guaranteed rates on ens1f0 stop at 100000 × ${oversubscription} Mbit/s, counted from stored attachments`, async () => {
      const host = await bootSim('dual-socket-e810-cx6');
      const d = await daemon(host, join(tempDir(), 'ledger.db'), oversubscription);
      await d.ledger.putPool(admin, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
      await d.ledger.putTenant(
        admin,
        'team-a',
        tenantSpec.parse({ pools: ['fast'], vlans: '100' }),
      );
      const cap = 100000 * oversubscription;
      let given = 0;
      for (let i = 0; ; i++) {
        const rate = 45000;
        const attempt = d.allocation.attach(
          admin,
          request({
            tenant: 'team-a',
            pool: 'fast',
            minTxRate: rate,
            consumer: { kind: 'vm', name: `vm-${i}` },
          }),
        );
        if (given + rate > cap) {
          const e = await ledgerError(attempt);
          expect(e).toMatchObject({ kind: 'refused', details: { code: 'no-capacity' } });
          expect(e.message).toContain(
            `PF guaranteed bandwidth full (${given} of ${cap} Mbit/s given out)`,
          );
          break;
        }
        await attempt;
        given += rate;
      }
      expect(given).toBe(oversubscription === 1 ? 90000 : 180000);
      // What the kernel holds agrees with the ledger.
      const link = (await host.linkDump({ ifname: ifName('ens1f0') })).links[0]!;
      expect(link.vfs!.reduce((sum, v) => sum + v.minTxRate, 0)).toBe(given);
    });
  }
});

describe('idempotency', () => {
  it('the same key and body answer the first result again without touching the kernel', async () => {
    const r = await rig();
    const ctx = { ...admin, idempotencyKey: 'key-1' };
    const first = await r.allocation.attach(ctx, ask());
    const writes = r.host.journal.length;
    const again = await r.allocation.attach(ctx, ask());
    expect(again).toEqual(JSON.parse(JSON.stringify(first)));
    expect(r.host.journal.length).toBe(writes);
    expect(await r.store.listAttachments()).toHaveLength(1);
    expect(first.attachments[0]!.requestKey).toBe('key-1');
  });

  it('the same key with another body is a conflict; another actor’s key is its own', async () => {
    const r = await rig();
    await r.allocation.attach({ ...admin, idempotencyKey: 'key-1' }, ask());
    const e = await ledgerError(
      r.allocation.attach({ ...admin, idempotencyKey: 'key-1' }, ask({ vlan: 151 })),
    );
    expect(e.kind).toBe('conflict');
    expect(e.message).toBe('this Idempotency-Key was used for a different request');
    const bob = await r.allocation.attach(
      { actor: { name: 'bob', tenant: null }, idempotencyKey: 'key-1' },
      ask({ consumer: { kind: 'vm', name: 'vm-2' } }),
    );
    expect(bob.attachments[0]!.consumer.name).toBe('vm-2');
    expect(await r.store.listAttachments()).toHaveLength(2);
  });
});

describe('kernel failures during attach', () => {
  it('a netlink refusal rolls everything back: no rows, VFs scrubbed, host-failed with the errno', async () => {
    const r = await rig();
    // VF 0 is configured first, then VF 1 is refused.
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 1', errno: 'EIO' });
    const e = await ledgerError(
      r.allocation.attach({ ...admin, idempotencyKey: 'k' }, ask({ count: 2 })),
    );
    expect(e.kind).toBe('host-failed');
    expect(e.details).toMatchObject({ errno: 'EIO' });
    expect(e.message).toMatch(/^the kernel refused to configure VF 1 of ens1f0: /);
    expect(r.host.faults.fired).toHaveLength(1);
    // VF 0 had been given its MAC and VLAN before VF 1 failed; both are clean now.
    expect(r.host.journal.some((j) => j.target === 'ens1f0 vf 0' && /vlan 150/.test(j.value))).toBe(
      true,
    );
    for (const vf of [0, 1]) expect(await kernelVf(r.host, 'ens1f0', vf)).toMatchObject(SCRUBBED);
    expect(await r.store.listAttachments()).toEqual([]);
    const rolled = await audit(r, { action: 'attachment.rollback' });
    expect(rolled.map((x) => (x.before as Attachment).vfIndex)).toEqual([0, 1]);
    expect(rolled.every((x) => x.after === null && x.actor === 'alice')).toBe(true);
    expect(await audit(r, { action: 'attachment.create' })).toEqual([]);
    // The key was released with the failure: a retry is a new attempt, and now succeeds.
    const retry = await r.allocation.attach({ ...admin, idempotencyKey: 'k' }, ask({ count: 2 }));
    expect(retry.attachments.map((a) => a.vfIndex)).toEqual([0, 1]);
  });

  it('when the rollback cannot scrub either, the VF stays `failed` and the error says so', async () => {
    const r = await rig();
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO', times: 2 });
    const e = await ledgerError(r.allocation.attach(admin, ask()));
    expect(e.kind).toBe('host-failed');
    const [row] = await r.store.listAttachments();
    expect(e.hint).toBe(
      `nothing was attached; 1 VF could not be scrubbed and stay out of the pool (state failed, attachment ${row!.id}): detach each again to retry the scrub (sriovctl detach <id>), or as an admin release it without one (sriovctl detach --force <id>)`,
    );
    expect(row).toMatchObject({ state: 'failed', vfIndex: 0 });
    expect(row!.detail).toMatch(/^scrub failed: /);
    const [rb] = await audit(r, { action: 'attachment.rollback' });
    expect(rb!.after).toMatchObject({ state: 'failed' });
    // A restart finishes the job.
    expect((await (await restart(r)).allocation.reconcile()).scrubbed).toEqual([row!.id]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
  });

  it('a sysfs failure binding vfio-pci rolls back the same way', async () => {
    const r = await rig();
    r.host.faults.add({ op: 'write', target: '/sys/bus/pci/drivers_probe', errno: 'ENODEV' });
    const e = await ledgerError(r.allocation.attach(admin, ask()));
    expect(e.kind).toBe('host-failed');
    expect(e.details).toMatchObject({ errno: 'ENODEV' });
    expect(await r.store.listAttachments()).toEqual([]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
    expect(await audit(r, { action: 'attachment.rollback' })).toHaveLength(1);
  });
});

describe('ixgbe (small-82599)', () => {
  /** edge-03 with pool `vf` on enp4s0f1 (host driver: vfio-pci is not loaded there). */
  async function edge(): Promise<Rig> {
    const host = await bootSim('small-82599');
    const r = await daemon(host, join(tempDir(), 'ledger.db'));
    await r.ledger.putPool(
      admin,
      'vf',
      poolSpec.parse({ selector: { pfNames: ['enp4s0f1'] }, vfDriver: 'host' }),
    );
    await r.ledger.putTenant(admin, 'edge', tenantSpec.parse({ pools: ['vf'], vlans: '10' }));
    return r;
  }

  it('refuses a guaranteed rate before touching the kernel, and caps a maximum one', async () => {
    const r = await edge();
    const e = await ledgerError(
      r.allocation.attach(admin, request({ tenant: 'edge', pool: 'vf', minTxRate: 100 })),
    );
    expect(e).toMatchObject({ kind: 'refused', details: { code: 'no-capacity' } });
    expect(e.message).toContain('4 PF driver ixgbe cannot guarantee a minimum rate');
    expect(r.host.journal).toEqual([]);
    const [a] = (
      await r.allocation.attach(admin, request({ tenant: 'edge', pool: 'vf', maxTxRate: 5000 }))
    ).attachments;
    expect(await kernelVf(r.host, 'enp4s0f1', a!.vfIndex)).toMatchObject({
      maxTxRate: 5000,
      vlan: 10,
    });
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('ixgbevf');
  });

  it('attaches and scrubs VFs without rates while the link is down (ixgbe refuses any rate then)', async () => {
    const r = await edge();
    r.host.setCarrier('enp4s0f1', false);
    const [a] = (await r.allocation.attach(admin, request({ tenant: 'edge', pool: 'vf' })))
      .attachments;
    expect(a).toMatchObject({ state: 'attached', detail: 'verified by read-back' });
    expect(await kernelVf(r.host, 'enp4s0f1', a!.vfIndex)).toMatchObject({ mac: a!.mac, vlan: 10 });
    await r.allocation.detach(admin, a!.id);
    expect(await kernelVf(r.host, 'enp4s0f1', a!.vfIndex)).toMatchObject(SCRUBBED);
    expect(await r.store.listAttachments()).toEqual([]);
    expect(r.host.journal.filter((j) => j.result !== 'ok')).toEqual([]);
  });
});

describe('detach', () => {
  it('scrubs the VF back to its pool driver, deletes the row and audits', async () => {
    const r = await rig();
    const [a] = (
      await r.allocation.attach(
        admin,
        ask({ trust: true, qos: 5, minTxRate: 2000, maxTxRate: 8000, linkState: 'disable' }),
      )
    ).attachments;
    expect((await kernelVf(r.host, 'ens1f0', 0)).trust).toBe(true);
    const gone = await r.allocation.detach({ ...admin, requestId: 'req-2' }, a!.id);
    expect(gone.id).toBe(a!.id);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('vfio-pci');
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    const [entry] = await audit(r, { action: 'attachment.delete' });
    expect(entry).toMatchObject({
      actor: 'alice',
      tenant: 'team-a',
      target: `attachment/${a!.id}`,
      after: null,
      requestId: 'req-2',
    });
    expect((entry!.before as Attachment).id).toBe(a!.id);
    expect(await ledgerError(r.allocation.detach(admin, a!.id))).toMatchObject({
      kind: 'not-found',
    });
    // The VF is free again.
    expect((await r.allocation.attach(admin, ask())).attachments[0]!.vfIndex).toBe(0);
  });

  it('a host-driver pool scrubs on the kernel driver', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask({ pool: 'kernel' }))).attachments;
    await r.allocation.detach(admin, a!.id);
    expect(await kernelVf(r.host, 'ens2f0np0', 0)).toMatchObject(SCRUBBED);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('mlx5_core');
  });

  it('a failed scrub keeps the VF out of the pool as `failed`, audited', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO' });
    const e = await ledgerError(r.allocation.detach(admin, a!.id));
    expect(e.kind).toBe('host-failed');
    expect(await r.store.getAttachment(a!.id)).toMatchObject({ state: 'failed' });
    expect(await audit(r, { action: 'attachment.scrub-failed' })).toHaveLength(1);
    // Still owned: the next attach gets another VF.
    const [b] = (await r.allocation.attach(admin, ask({ consumer: { kind: 'vm', name: 'vm-2' } })))
      .attachments;
    expect(b!.vfIndex).toBe(1);
  });
});

describe('a consumer and its MACs belong to one tenant', () => {
  const alpha: RequestContext = { actor: { name: 'alpha-ops', tenant: 'alpha' }, requestId: 'r-a' };
  const bravo: RequestContext = { actor: { name: 'bravo-ops', tenant: 'bravo' } };
  const payroll = { kind: 'vm' as const, name: 'payroll-db' };
  const asAlpha = (over: Partial<AttachRequestInput>) =>
    request({
      tenant: 'alpha',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'alpha-web' },
      ...over,
    });

  /** rig() with tenants alpha (VLAN 100) and bravo (VLAN 200); bravo's vm payroll-db has net0. */
  async function twoTenants(): Promise<{ r: Rig; held: NetworkAttachment }> {
    const r = await rig();
    await r.ledger.putTenant(admin, 'alpha', tenantSpec.parse({ pools: ['fast'], vlans: '100' }));
    await r.ledger.putTenant(admin, 'bravo', tenantSpec.parse({ pools: ['fast'], vlans: '200' }));
    const req = request({ tenant: 'bravo', pool: 'fast', consumer: payroll, interfaces: ['net0'] });
    const [held] = (await r.allocation.attach(bravo, req)).attachments;
    return { r, held: onNetwork(held!) };
  }

  /** Everything a refusal tells its caller (the API answers exactly these). */
  const told = (e: LedgerError) =>
    JSON.stringify({ message: e.message, field: e.field, fix: e.hint, details: e.details });

  /** The refusal names nothing of bravo's attachment (but what the caller itself sent). */
  function revealsNothing(e: LedgerError, held: Attachment, sent: string[] = []): void {
    let text = told(e);
    for (const s of sent) text = text.replaceAll(s, '<sent>');
    const secrets = ['bravo', held.id, held.pf, held.pfNetdev, held.mac, held.vfPciAddress!];
    for (const s of [...secrets, held.interface]) expect(text).not.toContain(s);
    expect(text).not.toMatch(/\bVFs?\b|attachment|\d+ of/);
  }

  it('another tenant cannot attach to a consumer that holds a VF, and learns nothing of it', async () => {
    const { r, held } = await twoTenants();
    const journal = r.host.journal.length;
    // The 409: it named bravo's attachment, PF and VF index.
    const named = await ledgerError(
      r.allocation.attach(alpha, asAlpha({ consumer: payroll, interfaces: ['net0'] })),
    );
    expect(named).toMatchObject({
      kind: 'conflict',
      field: 'consumer.name',
      message: 'vm payroll-db is not available to tenant alpha',
      details: { code: 'consumer-unavailable' },
    });
    revealsNothing(named, held);
    // Without interfaces it put alpha's VF into bravo's VM as net1: now the same refusal.
    const next = await ledgerError(r.allocation.attach(alpha, asAlpha({ consumer: payroll })));
    expect(told(next)).toBe(told(named));
    // A dry run says the same.
    expect(await r.allocation.preview(alpha, asAlpha({ consumer: payroll }))).toEqual({
      ok: false,
      reason: 'vm payroll-db is not available to tenant alpha',
      code: 'consumer-unavailable',
      choices: [],
      placement: null,
    });
    expect(await r.store.listAttachments()).toEqual([held]);
    expect(r.host.journal.length).toBe(journal);
    // The same name of another kind, or on another host, is another consumer.
    await r.allocation.attach(alpha, asAlpha({ consumer: { kind: 'pod', name: 'payroll-db' } }));
    await r.allocation.attach(alpha, asAlpha({ consumer: { ...payroll, host: 'compute-18' } }));
  });

  it('the refusal is the same whoever holds the consumer and however many interfaces it has', async () => {
    const { r } = await twoTenants();
    await r.ledger.putTenant(admin, 'charlie', tenantSpec.parse({ pools: ['fast'], vlans: '300' }));
    await r.allocation.attach(
      admin,
      request({
        tenant: 'charlie',
        pool: 'fast',
        consumer: { kind: 'vm', name: 'ledger-db' },
        count: 3,
      }),
    );
    const one = await ledgerError(r.allocation.attach(alpha, asAlpha({ consumer: payroll })));
    const three = await ledgerError(
      r.allocation.attach(alpha, asAlpha({ consumer: { kind: 'vm', name: 'ledger-db' } })),
    );
    expect(told(three).replaceAll('ledger-db', 'X')).toBe(told(one).replaceAll('payroll-db', 'X'));
  });

  it("a MAC another tenant holds is refused exactly like one the host's PF uses", async () => {
    const { r, held } = await twoTenants();
    const pfMac = (await r.allocation.inventory.get()).pfs.find(
      (p) => p.netdev === 'ens2f0np0',
    )!.mac!;
    const theirs = await ledgerError(r.allocation.attach(alpha, asAlpha({ mac: held.mac })));
    const hosts = await ledgerError(r.allocation.attach(alpha, asAlpha({ mac: pfMac })));
    expect(theirs).toMatchObject({
      kind: 'conflict',
      field: 'mac',
      message: `MAC ${held.mac} is not available on this host`,
      details: { code: 'mac-unavailable' },
    });
    expect(told(theirs).replaceAll(held.mac, 'M')).toBe(told(hosts).replaceAll(pfMac, 'M'));
    revealsNothing(theirs, held, [held.mac]);
    // A MAC nobody uses is given as asked; asked again, the tenant is told which of its own has it.
    const [mine] = (await r.allocation.attach(alpha, asAlpha({ mac: '02:aa:bb:cc:dd:ee' })))
      .attachments;
    expect(mine!.mac).toBe('02:aa:bb:cc:dd:ee');
    const own = await ledgerError(
      r.allocation.attach(
        alpha,
        asAlpha({ consumer: { kind: 'vm', name: 'x' }, mac: '02:aa:bb:cc:dd:ee' }),
      ),
    );
    expect(own.message).toBe(
      `MAC 02:aa:bb:cc:dd:ee is already used by attachment ${mine!.id} (vm alpha-web net0)`,
    );
  });

  it("derived MACs cannot be computed from a consumer's name, and stay with it across detach and restart", async () => {
    const { r, held } = await twoTenants();
    // How they were derived before: anyone knowing the names could compute and probe them.
    const h = createHash('sha256').update(`compute-17\0vm\0payroll-db\0net0\0${0}`).digest();
    const plain = [(h[0]! & 0xfc) | 2, ...h.subarray(1, 6)]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(':');
    expect(held.mac).not.toBe(plain);
    await r.allocation.detach(bravo, held.id);
    const again = request({ tenant: 'bravo', pool: 'fast', consumer: payroll });
    const [back] = (await r.allocation.attach(bravo, again)).attachments;
    expect(back!.mac).toBe(held.mac);
    const r2 = await restart(r);
    await r2.allocation.detach(bravo, back!.id);
    const [after] = (await r2.allocation.attach(bravo, again)).attachments;
    expect(after!.mac).toBe(held.mac);
    // Released, the name may go to another tenant: with addresses of its own.
    await r2.allocation.detach(bravo, after!.id);
    const [taken] = (await r2.allocation.attach(alpha, asAlpha({ consumer: payroll }))).attachments;
    expect(taken).toMatchObject({ tenant: 'alpha', interface: 'net0' });
    expect(taken!.mac).not.toBe(held.mac);
  });

  it('a caller without a tenant is told who holds the consumer or the MAC', async () => {
    const { r, held } = await twoTenants();
    const c = await ledgerError(r.allocation.attach(admin, asAlpha({ consumer: payroll })));
    expect(c.message).toBe(
      `vm payroll-db holds 1 VF of tenant bravo (net0: attachment ${held.id}); a consumer belongs to one tenant while it holds VFs`,
    );
    expect(c.hint).toBe('attach it for tenant bravo, or detach its VFs first');
    const m = await ledgerError(r.allocation.attach(admin, asAlpha({ mac: held.mac })));
    expect(m.message).toBe(
      `MAC ${held.mac} is used by attachment ${held.id} of tenant bravo (vm payroll-db net0)`,
    );
    const pf = await ledgerError(
      r.allocation.attach(
        admin,
        asAlpha({ mac: (await r.allocation.inventory.get()).pfs[0]!.mac! }),
      ),
    );
    expect(pf.message).toMatch(/^MAC \S+ is the address of PF ens1f0 on this host$/);
  });

  it("refusals over another tenant's consumer or MAC are audited host-wide, for the admins only", async () => {
    const { r, held } = await twoTenants();
    await rejection(r.allocation.attach(alpha, asAlpha({ consumer: payroll })));
    await rejection(
      r.allocation.preview(alpha, asAlpha({ mac: held.mac })).then((p) => {
        if (!p.ok) throw new Error(p.reason);
      }),
    );
    // Not another tenant's: not audited.
    await rejection(
      r.allocation.attach(
        alpha,
        asAlpha({ mac: (await r.allocation.inventory.get()).pfs[0]!.mac! }),
      ),
    );
    // The audit entries are not waited for by the refusal: the next unit comes after them.
    await r.store.mutate(async () => undefined);
    expect(await audit(r, { action: 'attachment.refused' })).toMatchObject([
      {
        actor: 'alpha-ops',
        tenant: null,
        target: 'consumer/compute-17/vm/payroll-db',
        before: null,
        after: { refused: 'consumer', tenant: 'alpha', heldBy: ['bravo'], attachments: [held.id] },
        requestId: 'r-a',
      },
      {
        actor: 'alpha-ops',
        tenant: null,
        target: `mac/${held.mac}`,
        after: { refused: 'mac', tenant: 'alpha', heldBy: 'bravo', attachment: held.id },
      },
    ]);
    for (const tenant of ['alpha', 'bravo'])
      expect((await r.store.listAudit({ limit: 100, tenant })).map((e) => e.action)).not.toContain(
        'attachment.refused',
      );
  });
});

describe('tenants and pools', () => {
  it('a tenant-confined actor acts on its own tenant only', async () => {
    const r = await rig();
    const bCtx: RequestContext = { actor: { name: 'b-bot', tenant: 'team-b' } };
    const [mine] = (
      await r.allocation.attach(
        bCtx,
        request({ tenant: 'team-b', pool: 'fast', consumer: { kind: 'vm', name: 'b-1' } }),
      )
    ).attachments;
    expect(mine).toMatchObject({ tenant: 'team-b', vlan: 200, requestedBy: 'b-bot' });
    const forbidden = await ledgerError(
      r.allocation.attach(bCtx, ask({ consumer: { kind: 'vm', name: 'x' } })),
    );
    expect(forbidden.kind).toBe('forbidden');
    expect(forbidden.message).toBe('this token is confined to tenant team-b');
    expect((await ledgerError(r.allocation.preview(bCtx, ask()))).kind).toBe('forbidden');
    const [theirs] = (await r.allocation.attach(admin, ask())).attachments;
    // Another tenant's attachment does not exist as far as a confined actor can tell.
    expect((await ledgerError(r.allocation.detach(bCtx, theirs!.id))).kind).toBe('not-found');
    expect(await r.store.getAttachment(theirs!.id)).toMatchObject({ state: 'attached' });
    await r.allocation.detach(bCtx, mine!.id);
  });

  it('refuses deleting a tenant or pool in use, and a tenant naming a missing pool', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    const t = await ledgerError(r.ledger.deleteTenant(admin, 'team-a'));
    expect(t).toMatchObject({ kind: 'conflict', hint: 'detach them first' });
    expect(t.message).toBe('tenant team-a still holds 1 attachment');
    const p = await ledgerError(r.ledger.deletePool(admin, 'fast'));
    expect(p.message).toBe('pool fast has 1 attachment');
    await r.allocation.detach(admin, a!.id);
    const allowed = await ledgerError(r.ledger.deletePool(admin, 'fast'));
    expect(allowed).toMatchObject({ kind: 'conflict', hint: 'remove it from those tenants first' });
    expect(allowed.message).toBe('pool fast is allowed to tenants team-a, team-b');
    const missing = await ledgerError(
      r.ledger.putTenant(admin, 'team-c', tenantSpec.parse({ pools: ['gold'], vlans: '5' })),
    );
    expect(missing).toMatchObject({ kind: 'refused', field: 'pools' });
    expect(await r.store.getTenant('team-c')).toBeNull();
    expect((await ledgerError(r.ledger.deleteTenant(admin, 'nobody'))).kind).toBe('not-found');

    await r.ledger.deleteTenant(admin, 'team-b');
    await r.ledger.putTenant(
      admin,
      'team-a',
      tenantSpec.parse({ pools: ['kernel'], vlans: '100' }),
    );
    await r.ledger.deletePool(admin, 'fast');
    expect(await r.store.getPool('fast')).toBeNull();
    const tail = (await audit(r)).slice(-3);
    expect(tail.map((e) => [e.action, e.target])).toEqual([
      ['tenant.delete', 'tenant/team-b'],
      ['tenant.update', 'tenant/team-a'],
      ['pool.delete', 'pool/fast'],
    ]);
    expect(tail[1]!.before).toMatchObject({ pools: ['fast', 'kernel', 'tail'] });
    expect(tail[1]!.after).toMatchObject({ pools: ['kernel'] });
  });
});

describe('reconcile', () => {
  it('does nothing on a host that matches the ledger', async () => {
    const r = await rig();
    await r.allocation.attach(admin, ask({ count: 2 }));
    const auditBefore = (await audit(r)).length;
    const writes = r.host.journal.length;
    const r2 = await restart(r);
    expect(await r2.allocation.reconcile()).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    });
    expect(r.host.journal.length).toBe(writes);
    expect(await audit(r2)).toHaveLength(auditBefore);
  });

  it('completes an interrupted attach that had an idempotency key, and the retry gets it', async () => {
    const r = await rig();
    // The kernel takes the settings but the daemon dies before hearing back.
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', hang: true });
    const ctx = { ...admin, idempotencyKey: 'crash-1' };
    void r.allocation.attach(ctx, ask()).catch(() => undefined);
    await until(() => r.host.faults.fired.length === 1);
    const [row] = await r.store.listAttachments();
    expect(row).toMatchObject({ state: 'attaching', requestKey: 'crash-1', vfIndex: 0 });

    const r2 = await restart(r);
    const report = await r2.allocation.reconcile();
    expect(report.completed).toEqual([row!.id]);
    const done = await r2.store.getAttachment(row!.id);
    expect(done).toMatchObject({ state: 'attached', detail: 'verified by read-back' });
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({ mac: row!.mac, vlan: 150 });
    expect(await driverOf(r.host, row!.vfPciAddress)).toBe('vfio-pci');
    const [created] = await audit(r2, { action: 'attachment.create' });
    expect(created).toMatchObject({ actor: 'sriovctl', target: `attachment/${row!.id}` });

    const retry = await r2.allocation.attach(ctx, ask());
    expect(retry.attachments.map((a) => a.id)).toEqual([row!.id]);
    expect(retry.attachments[0]!.state).toBe('attached');
    expect(await r2.store.listAttachments()).toHaveLength(1);
  });

  it('rolls back an interrupted attach without a key: nobody can claim it', async () => {
    const r = await rig();
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', hang: true });
    void r.allocation.attach(admin, ask()).catch(() => undefined);
    await until(() => r.host.faults.fired.length === 1);
    const [row] = await r.store.listAttachments();
    expect(row).toMatchObject({ state: 'attaching', requestKey: null });
    // The hung change reached the kernel: the VF has the consumer's MAC.
    expect((await kernelVf(r.host, 'ens1f0', 0)).mac).toBe(row!.mac);

    const r2 = await restart(r);
    expect((await r2.allocation.reconcile()).rolledBack).toEqual([row!.id]);
    expect(await r2.store.listAttachments()).toEqual([]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject(SCRUBBED);
    const [rb] = await audit(r2, { action: 'attachment.rollback' });
    expect(rb).toMatchObject({ actor: 'sriovctl', target: `attachment/${row!.id}`, after: null });
  });

  it('finishes a detach cut short after it was recorded, and retries a failed scrub', async () => {
    const r = await rig();
    const { attachments } = await r.allocation.attach(admin, ask({ count: 2 }));
    const [cut, failed] = attachments as [Attachment, Attachment];
    // Crash right after `detaching` was committed, before the scrub reached the kernel.
    await r.store.mutate((tx) =>
      tx.updateAttachment(cut.id, { state: 'detaching' }, new Date().toISOString()),
    );
    r.host.faults.add({ op: 'netlink', target: `ens1f0 vf ${failed.vfIndex}`, errno: 'EIO' });
    await ledgerError(r.allocation.detach(admin, failed.id));
    expect((await kernelVf(r.host, 'ens1f0', failed.vfIndex)).mac).toBe(failed.mac);
    expect((await kernelVf(r.host, 'ens1f0', cut.vfIndex)).mac).toBe(cut.mac);

    const r2 = await restart(r);
    const report = await r2.allocation.reconcile();
    expect(report.scrubbed.sort()).toEqual([cut.id, failed.id].sort());
    expect(await r2.store.listAttachments()).toEqual([]);
    for (const a of attachments)
      expect(await kernelVf(r.host, 'ens1f0', a.vfIndex)).toMatchObject(SCRUBBED);
    const deleted = await audit(r2, { action: 'attachment.delete' });
    expect(deleted.map((e) => e.target).sort()).toEqual(
      [`attachment/${cut.id}`, `attachment/${failed.id}`].sort(),
    );
    expect(deleted.every((e) => e.actor === 'sriovctl')).toBe(true);
  });

  it('a scrub that fails again stays `failed`, and that outcome is audited too', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO', times: 2 });
    await ledgerError(r.allocation.detach(admin, a!.id));
    const r2 = await restart(r);
    const report = await r2.allocation.reconcile();
    expect(report.failed.map((f) => f.id)).toEqual([a!.id]);
    expect(await r2.store.getAttachment(a!.id)).toMatchObject({ state: 'failed' });
    const entries = await audit(r2, { target: `attachment/${a!.id}` });
    expect(entries.at(-1)).toMatchObject({ actor: 'sriovctl', action: 'attachment.scrub-failed' });
  });

  it('re-applies an attached VF whose settings or driver were changed out of band', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask({ maxTxRate: 5000 }))).attachments;
    r.host.outOfBand([
      {
        kind: 'vf',
        pf: ifName('ens1f0'),
        vf: 0,
        vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
        spoofchk: false,
        rate: { minTxRate: 0, maxTxRate: 0 },
      },
    ]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({ vlan: 999, spoofchk: false });
    const r2 = await restart(r);
    expect((await r2.allocation.reconcile()).reapplied).toEqual([a!.id]);
    expect(await kernelVf(r.host, 'ens1f0', 0)).toMatchObject({
      mac: a!.mac,
      vlan: 150,
      maxTxRate: 5000,
      spoofchk: true,
    });
    const [re] = await audit(r2, { action: 'attachment.reapply' });
    expect(re).toMatchObject({ actor: 'sriovctl', target: `attachment/${a!.id}` });
    expect(await r2.store.getAttachment(a!.id)).toMatchObject({ state: 'attached' });

    // Someone moves the VF back to its kernel driver: reconcile puts it on vfio-pci again.
    await bindDriver(r.host, pciAddress(a!.vfPciAddress!), null);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('iavf');
    expect((await r2.allocation.reconcile()).reapplied).toEqual([a!.id]);
    expect(await driverOf(r.host, a!.vfPciAddress)).toBe('vfio-pci');
    expect(await audit(r2, { action: 'attachment.reapply' })).toHaveLength(2);
  });

  it('a re-apply the kernel refuses is reported and audited, and the row keeps its state', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask())).attachments;
    r.host.outOfBand([
      { kind: 'vf', pf: ifName('ens1f0'), vf: 0, vlan: { vlan: 7, qos: 0, proto: '802.1Q' } },
    ]);
    r.host.faults.add({ op: 'netlink', target: 'ens1f0 vf 0', errno: 'EIO' });
    const report = await r.allocation.reconcile();
    expect(report.reapplied).toEqual([]);
    expect(report.failed.map((f) => f.id)).toEqual([a!.id]);
    const row = await r.store.getAttachment(a!.id);
    expect(row?.state).toBe('attached');
    expect(row?.detail).toMatch(/^re-apply failed: /);
    const [entry] = await audit(r, { action: 'attachment.reapply-failed' });
    expect(entry).toMatchObject({ actor: 'sriovctl', target: `attachment/${a!.id}` });
    // The next reconcile, with the kernel willing, repairs it.
    expect((await r.allocation.reconcile()).reapplied).toEqual([a!.id]);
    expect((await kernelVf(r.host, 'ens1f0', 0)).vlan).toBe(150);
  });

  it('marks attachments whose VF vanished as orphaned, once, and re-applies them when it returns', async () => {
    const r = await rig();
    const { attachments } = await r.allocation.attach(admin, ask({ pool: 'tail', count: 2 }));
    expect(attachments.map((a) => a.vfIndex)).toEqual([6, 7]);
    // Rows made in one request share a timestamp: compare id sets, not orders.
    const ids = attachments.map((a) => a.id).sort();
    await setNumVfs(r.host, pciAddress(ENS1F0), 4, { allowReset: true });

    const report = await r.allocation.reconcile();
    expect(report.orphaned.sort()).toEqual(ids);
    expect(await r.store.getAttachment(attachments[0]!.id)).toMatchObject({
      state: 'orphaned',
      detail: 'VF 6 of ens1f0 no longer exists (numVfs lowered or device gone)',
    });
    const orphaned = await audit(r, { action: 'attachment.orphaned' });
    expect(orphaned.map((e) => e.target).sort()).toEqual(ids.map((id) => `attachment/${id}`));
    // Reconciling again changes nothing and records nothing.
    expect((await r.allocation.reconcile()).orphaned).toEqual([]);
    expect(await audit(r, { action: 'attachment.orphaned' })).toHaveLength(2);
    // The VFs stay reserved for their consumer while it still holds them.
    await setNumVfs(r.host, pciAddress(ENS1F0), 8, { allowReset: true });
    const back = await r.allocation.reconcile();
    expect(back.reapplied.sort()).toEqual(ids);
    for (const a of attachments) {
      expect(await r.store.getAttachment(a.id)).toMatchObject({ state: 'attached' });
      expect(await kernelVf(r.host, 'ens1f0', a.vfIndex)).toMatchObject({ mac: a.mac, vlan: 150 });
    }
  });

  it('detaching an orphan releases it without touching the vanished VF', async () => {
    const r = await rig();
    const [a] = (await r.allocation.attach(admin, ask({ pool: 'tail' }))).attachments;
    await setNumVfs(r.host, pciAddress(ENS1F0), 4, { allowReset: true });
    await r.allocation.reconcile();
    const writes = r.host.journal.length;
    await r.allocation.detach(admin, a!.id);
    expect(await r.store.getAttachment(a!.id)).toBeNull();
    expect(r.host.journal.length).toBe(writes);
  });

  it('a detach or keyless attach whose VF vanished is finished, not orphaned', async () => {
    const r = await rig();
    const { attachments } = await r.allocation.attach(admin, ask({ pool: 'tail', count: 2 }));
    const [detaching, attaching] = attachments as [Attachment, Attachment];
    const now = new Date().toISOString();
    // A crash mid-detach of one, and (as reserved rows look) mid-attach of the other.
    await r.store.mutate(async (tx) => {
      await tx.updateAttachment(detaching.id, { state: 'detaching' }, now);
      await tx.updateAttachment(attaching.id, { state: 'attaching' }, now);
    });
    await setNumVfs(r.host, pciAddress(ENS1F0), 4, { allowReset: true });
    const r2 = await restart(r);
    const report = await r2.allocation.reconcile();
    // The consumer gave the first VF up and was never told it had the second: neither may come
    // back to it when the VFs return.
    expect(report.orphaned).toEqual([]);
    expect(report.scrubbed).toEqual([detaching.id]);
    expect(report.rolledBack).toEqual([attaching.id]);
    expect(await r2.store.listAttachments()).toEqual([]);
    expect((await audit(r2, { action: 'attachment.delete' })).map((e) => e.target)).toEqual([
      `attachment/${detaching.id}`,
    ]);
    expect((await audit(r2, { action: 'attachment.rollback' })).map((e) => e.target)).toEqual([
      `attachment/${attaching.id}`,
    ]);
  });
});
