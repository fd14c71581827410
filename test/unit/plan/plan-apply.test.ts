// Planning and applying desired state on the simulated kernel: the order real drivers need (checked
// against the simulator's journal), idempotence, guards, fault injection and convergence.
import { afterEach, describe, expect, it } from 'vitest';
import { macAddress, pciAddress } from '../../../src/host/names.js';
import { mbps, vlanId } from '../../../src/host/vf-settings.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { applyPlan } from '../../../src/policy/apply.js';
import { PolicyRefusedError } from '../../../src/policy/refusal.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';
import { eventually } from '../../support/eventually.js';

const hosts: SimHost[] = [];
async function boot(fixture: string, opts: Parameters<typeof loadSimHost>[1] = { timing: 'off' }) {
  const h = await loadSimHost(fixture, opts);
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

const ENS1F1 = pciAddress('0000:3b:00.1');

/** 8 VFs on ens1f1: 0-3 on the host driver with MAC/VLAN/rate, 4-7 on vfio-pci with VLANs. */
function tenantLayout(): PlanTarget {
  return {
    pciAddress: ENS1F1,
    numVfs: 8,
    mtu: 9000,
    vfs: [...Array(8).keys()].map((i) => ({
      vfIndex: i,
      driver: i < 4 ? ('host' as const) : ('vfio-pci' as const),
      settings: {
        mac: macAddress(`02:00:00:00:01:0${i}`),
        vlan: { vlan: vlanId(100 + i), qos: 0, proto: '802.1Q' as const },
        ...(i < 4 ? { minTxRate: mbps(0), maxTxRate: mbps(10000) } : {}),
        spoofchk: true,
        trust: false,
      },
    })),
  };
}

async function planFor(h: SimHost, targets: PlanTarget[], opts = {}) {
  return planChanges(targets, await discover(h), opts);
}

describe('plan', () => {
  it('orders steps as drivers need them and says what each touches', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const plan = await planFor(h, [tenantLayout()]);
    expect(plan.refusals).toEqual([]);
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'pfMtu',
      'numVfs',
      'waitVfs',
      'vfMacs',
      'vfDrivers',
      'vfSettings',
    ]);
    const drivers = plan.steps.find((s) => s.kind === 'vfDrivers')!;
    expect(drivers.vfs).toEqual([4, 5, 6, 7]);
    expect(drivers.what).toBe('bind VFs 4-7 of ens1f1: vfio-pci');
    // Creating VFs where there were none destroys nothing: not disruptive; the MTU change is.
    expect(plan.steps.filter((s) => s.disruptive).map((s) => s.kind)).toEqual(['pfMtu']);
  });

  it('marks a VF count change on a PF with VFs as disruptive and refuses it on the default-route PF', async () => {
    const h = await boot('small-82599');
    const uplink = pciAddress('0000:04:00.0');
    const plan = await planFor(h, [{ pciAddress: uplink, numVfs: 4, mtu: 9000, vfs: [] }]);
    expect(plan.refusals).toMatchObject([{ pf: uplink, override: 'allowDefaultRoute' }]);
    expect(
      (
        await planFor(h, [{ pciAddress: uplink, numVfs: 4, mtu: 9000, vfs: [] }], {
          allowDefaultRoute: true,
        })
      ).refusals,
    ).toEqual([]);
    // Creating VFs on it without touching the link is allowed.
    expect((await planFor(h, [{ pciAddress: uplink, numVfs: 4, vfs: [] }])).refusals).toEqual([]);
    const second = await planFor(h, [
      { pciAddress: pciAddress('0000:04:00.1'), numVfs: 8, vfs: [] },
    ]);
    expect(second.steps[0]).toMatchObject({
      kind: 'numVfs',
      from: 4,
      to: 8,
      disruptive: 'destroys VFs 0-3',
    });
  });

  it('refuses to destroy VFs that look in use unless forced', async () => {
    const h = await boot('dual-socket-e810-cx6');
    await h.writeFile('/sys/bus/pci/devices/0000:3b:01.2/driver_override', 'vfio-pci');
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.2');
    await h.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.2');
    const target = { pciAddress: pciAddress('0000:3b:00.0'), numVfs: 4, vfs: [] };
    const plan = await planFor(h, [target]);
    expect(plan.refusals[0]!.reason).toContain('VF 2 is bound to vfio-pci (a VM may be using it)');
    expect((await planFor(h, [target], { force: true })).refusals).toEqual([]);
  });
});

describe("plan with the ledger's knowledge (the daemon passes it)", () => {
  const ENS1F0 = pciAddress('0000:3b:00.0');
  /** VF 2 of ens1f0 on vfio-pci, VF 3 with no driver. */
  async function arranged() {
    const h = await boot('dual-socket-e810-cx6');
    await h.writeFile('/sys/bus/pci/devices/0000:3b:01.2/driver_override', 'vfio-pci');
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.2');
    await h.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.2');
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.3');
    return h;
  }
  const onHost = (vfs: number[]): PlanTarget => ({
    pciAddress: ENS1F0,
    numVfs: 8,
    vfs: vfs.map((vfIndex) => ({ vfIndex, driver: 'host' as const, settings: {} })),
  });

  it('a VF the ledger says is free is not in use, whatever its driver', async () => {
    const h = await arranged();
    const ledger = [{ pf: ENS1F0, vfIndex: 2, heldBy: null }];
    expect((await planFor(h, [onHost([2])])).refusals.map((r) => r.reason)).toEqual([
      'rebinding VF 2 is bound to vfio-pci (a VM may be using it)',
    ]);
    const p = await planFor(h, [onHost([2])], { ledger });
    expect(p.refusals).toEqual([]);
    // Still taken from a driver: disruptive.
    expect(p.steps[0]!.disruptive).toBe(
      'rebinding takes VF 2 away from its current driver and user',
    );
  });

  it('a VF the ledger says is held is in use, even with no driver: refused and disruptive', async () => {
    const h = await arranged();
    const free = await planFor(h, [onHost([3])]);
    expect([free.refusals, free.steps[0]!.disruptive]).toEqual([[], undefined]);
    const ledger = [{ pf: ENS1F0, vfIndex: 3, heldBy: 'attachment a1 (t/vm:x, attached)' }];
    const held = await planFor(h, [onHost([3])], { ledger });
    expect(held.refusals.map((r) => r.reason)).toEqual([
      'rebinding VF 3 is held by attachment a1 (t/vm:x, attached)',
    ]);
    expect(held.steps[0]!.disruptive).toBe(
      'rebinding takes VF 3 away from its current driver and user',
    );
  });
});

describe('apply', () => {
  it('applies in the order real drivers need, verified against the journal, and a second plan is empty', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const plan = await planFor(h, [tenantLayout()]);
    const r = await applyPlan(h, plan, { confirmedDisruptive: true });
    expect(r.ok).toBe(true);
    const order = h.journal.map((j) =>
      j.op === 'netlink'
        ? `netlink:${j.value.match(/ (mac|vlan|mtu|min_tx_rate|trust)/)?.[1] ?? '?'}`
        : j.target.split('/').pop()!,
    );
    const first = (x: string) => order.indexOf(x);
    // PF MTU, then VFs, then admin MACs while on iavf, then vfio-pci binds, then the rest.
    expect(first('netlink:mtu')).toBeLessThan(first('sriov_numvfs'));
    expect(first('sriov_numvfs')).toBeLessThan(first('netlink:mac'));
    expect(first('netlink:mac')).toBeLessThan(first('driver_override'));
    expect(order.lastIndexOf('drivers_probe')).toBeLessThan(first('netlink:vlan'));
    const again = await planFor(h, [tenantLayout()]);
    expect(again.steps).toEqual([]);
    const inv = await discover(h);
    const pf = inv.pfs.find((p) => p.pciAddress === ENS1F1)!;
    expect(pf.vfs.map((v) => v.driver)).toEqual([
      'iavf',
      'iavf',
      'iavf',
      'iavf',
      'vfio-pci',
      'vfio-pci',
      'vfio-pci',
      'vfio-pci',
    ]);
    expect(pf.vfs[2]!.config).toMatchObject({
      mac: '02:00:00:00:01:02',
      vlan: 102,
      maxTxRate: 10000,
    });
    expect(pf.mtu).toBe(9000);
  });

  it('sets VF netdev MTUs on host-driver VFs after the PF MTU, and re-plans empty', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const t = tenantLayout();
    const target: PlanTarget = {
      ...t,
      vfs: t.vfs.map((v) => (v.driver === 'host' ? { ...v, mtu: 9000 } : v)),
    };
    const plan = await planFor(h, [target]);
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'vfMtu', vfs: [0, 1, 2, 3] });
    expect((await applyPlan(h, plan, { confirmedDisruptive: true })).ok).toBe(true);
    expect(await h.readFile('/sys/class/net/ens1f1v2/mtu')).toBe('9000\n');
    expect((await planFor(h, [target])).steps).toEqual([]);
  });

  it('refuses unconfirmed disruptive steps before writing anything', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const plan = await planFor(h, [tenantLayout()]);
    await expect(applyPlan(h, plan)).rejects.toBeInstanceOf(PolicyRefusedError);
    expect(h.journal).toEqual([]);
  });

  it('stops at ENOMEM midway with a clear state, and a re-run converges', async () => {
    const h = await boot('dual-socket-e810-cx6');
    h.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, errno: 'ENOMEM' });
    const first = await applyPlan(h, await planFor(h, [tenantLayout()]), {
      confirmedDisruptive: true,
    });
    expect(first.ok).toBe(false);
    const failed = first.outcomes.find((o) => o.status === 'failed')!;
    expect(failed.step.kind).toBe('numVfs');
    expect(failed.error!.message).toContain('could not find MMIO space');
    expect(failed.error!.hint).toContain('pci=realloc');
    expect(first.outcomes.filter((o) => o.status === 'skipped').map((o) => o.step.kind)).toEqual([
      'waitVfs',
      'vfMacs',
      'vfDrivers',
      'vfSettings',
    ]);
    expect(await h.readFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs')).toBe('0\n');
    const second = await applyPlan(h, await planFor(h, [tenantLayout()]), {
      confirmedDisruptive: true,
    });
    expect(second.ok).toBe(true);
    expect((await planFor(h, [tenantLayout()])).steps).toEqual([]);
  });

  it('times out a hung write and converges after the driver recovers', async () => {
    const h = await boot('dual-socket-e810-cx6');
    h.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, hang: true });
    const r = await applyPlan(h, await planFor(h, [tenantLayout()]), {
      confirmedDisruptive: true,
      timeoutMs: 50,
    });
    expect(r.ok).toBe(false);
    expect(r.outcomes.find((o) => o.status === 'failed')!.error!.message).toMatch(
      /no answer within 50 ms/,
    );
    h.faults.releaseHangs();
    h.faults.clear();
    // The released write lands as a real one would, late; the re-plan starts from what it did.
    await eventually('the released sriov_numvfs write', () =>
      h.journal.some((j) => j.target.endsWith('0000:3b:00.1/sriov_numvfs') && j.result === 'ok'),
    );
    const again = await applyPlan(h, await planFor(h, [tenantLayout()]), {
      confirmedDisruptive: true,
    });
    expect(again.ok).toBe(true);
  });

  it('retries transient MAC refusals on freshly created i40e VFs', async () => {
    // Scaled so the VF netdev wait (50 ms polls) ends well inside the 1.5 s × 0.2 reset window.
    const h = await boot('iommu-off', { timing: 0.2 });
    const target: PlanTarget = {
      pciAddress: pciAddress('0000:18:00.1'),
      numVfs: 2,
      vfs: [0, 1].map((i) => ({
        vfIndex: i,
        driver: 'host' as const,
        settings: { mac: macAddress(`02:00:00:00:02:0${i}`) },
      })),
    };
    const r = await applyPlan(h, await planFor(h, [target]), {
      confirmedDisruptive: true,
      retries: 6,
      retryDelayMs: 10,
    });
    expect(r.ok).toBe(true);
    const macStep = r.outcomes.find((o) => o.step.kind === 'vfMacs')!;
    expect(macStep.vfResults!.map((v) => v.vf)).toEqual([0, 1]);
    expect(macStep.vfResults!.every((v) => v.attempts > 1)).toBe(true);
  });
});
