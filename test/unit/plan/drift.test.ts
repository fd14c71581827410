// Drift on the simulated kernel: out-of-band changes announced as link events are noticed,
// reported with what differs, repaired when asked, and disruptive repairs are left to a human.
import { afterEach, expect, it, vi } from 'vitest';
import { ifName, macAddress, pciAddress } from '../../../src/host/names.js';
import { vlanId } from '../../../src/host/vf-settings.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { HostGate } from '../../../src/executor/host-gate.js';
import { discover } from '../../../src/inventory/discover.js';
import { applyPlan } from '../../../src/policy/apply.js';
import { ApplyPolicy } from '../../../src/policy/apply-policy.js';
import { DriftWatcher, type DriftEvent } from '../../../src/policy/drift.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';
import { eventually } from '../../support/eventually.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const TARGET: PlanTarget = {
  pciAddress: pciAddress('0000:3b:00.1'),
  numVfs: 4,
  vfs: [0, 1, 2, 3].map((i) => ({
    vfIndex: i,
    driver: 'host' as const,
    settings: {
      mac: macAddress(`02:00:00:00:03:0${i}`),
      vlan: { vlan: vlanId(300 + i), qos: 0, proto: '802.1Q' as const },
      trust: false,
    },
  })),
};

async function applied(): Promise<SimHost> {
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  cleanup.push(() => h.close());
  const r = await applyPlan(h, planChanges([TARGET], await discover(h)), {
    confirmedDisruptive: true,
  });
  expect(r.ok).toBe(true);
  return h;
}

async function watch(
  h: SimHost,
  repair: boolean,
  debounceMs = 5,
  gate?: HostGate,
  targets: PlanTarget[] = [TARGET],
) {
  const events: DriftEvent[] = [];
  const policy = new ApplyPolicy({
    host: h,
    ...(gate ? { hold: (label, _plan, run) => gate.runExclusive(label, () => run()) } : {}),
  });
  const w = new DriftWatcher(policy, () => targets, {
    repair,
    intervalMs: 60_000,
    debounceMs,
    onEvent: (e) => events.push(e),
  });
  cleanup.push(() => w.stop());
  await w.start();
  const until = async (type: DriftEvent['type'], n = 1) => {
    await eventually(
      `${n} ${type} event(s)`,
      () => events.filter((e) => e.type === type).length >= n,
    );
    return events.filter((e) => e.type === type);
  };
  return { events, until, watcher: w };
}

it('reports an out-of-band VLAN change as drift when a link event arrives', async () => {
  const h = await applied();
  const { events, until } = await watch(h, false);
  expect(events.map((e) => e.type)).toEqual(['in-sync']);
  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 1, vlan: { vlan: 999, qos: 0, proto: '802.1Q' } },
  ]);
  const [drift] = await until('drift');
  expect(drift).toMatchObject({
    trigger: 'link-event',
    steps: [
      {
        pf: 'ens1f1',
        what: 'apply VF settings to VFs 1 of ens1f1',
        why: 'vlan differs from the policy',
      },
    ],
  });
  // Report-only: the kernel still has the out-of-band value.
  expect(h.pf('ens1f1').sriov!.vfState[1]!.vlan).toBe(999);
});

it('repairs non-disruptive drift and comes back in sync', async () => {
  const h = await applied();
  const { until } = await watch(h, true);
  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 2, trust: true, mac: macAddress('02:ff:ff:ff:ff:ff') },
  ]);
  await until('repaired');
  expect(h.pf('ens1f1').sriov!.vfState[2]).toMatchObject({
    trust: false,
    mac: '02:00:00:00:03:02',
  });
  expect((await until('in-sync', 2)).length).toBeGreaterThanOrEqual(2);
});

it('leaves disruptive repairs to a human', async () => {
  const h = await applied();
  // A longer quiet period, so the two out-of-band writes below arrive as one burst.
  const { until } = await watch(h, true, 200);
  // Someone recreated the PF's VFs out of band with another count: going back to 4 destroys them.
  h.faults.clear();
  await h.writeFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs', '0');
  await h.writeFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs', '2');
  const [skipped] = await until('repair-skipped');
  expect(skipped).toMatchObject({ reason: expect.stringContaining('disruptive') });
  expect(await h.readFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs')).toBe('2\n');
});

it('repairs only the PFs whose policy says drift: repair when the daemon is not told --repair', async () => {
  const h = await applied();
  const events: DriftEvent[] = [];
  const w = new DriftWatcher(new ApplyPolicy({ host: h }), () => [{ ...TARGET, drift: 'repair' }], {
    intervalMs: 60_000,
    debounceMs: 5,
    onEvent: (e) => events.push(e),
  });
  cleanup.push(() => w.stop());
  await w.start();
  h.outOfBand([{ kind: 'vf', pf: ifName('ens1f1'), vf: 0, trust: true }]);
  await eventually('a repaired event', () => events.some((e) => e.type === 'repaired'));
  expect(h.pf('ens1f1').sriov!.vfState[0]!.trust).toBe(false);
});

it('reads drift: report|repair from the policy and refuses anything else', async () => {
  const { parsePolicyDocuments, resolvePolicies } = await import('../../../src/policy/index.js');
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  cleanup.push(() => h.close());
  const doc = (drift: string) =>
    `apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: p }\nspec:\n  selector: { pfNames: [ens1f1] }\n  numVfs: 2\n  drift: ${drift}\n`;
  const ok = parsePolicyDocuments(doc('repair'), 'p.yaml');
  expect(resolvePolicies(ok.policies, await discover(h)).desired[0]).toMatchObject({
    drift: 'repair',
  });
  const bad = parsePolicyDocuments(doc('fix'), 'p.yaml');
  expect(bad.errors[0]!.text).toMatch(/^p\.yaml:7:\d+: spec\.drift: .*report \(log it\) or repair/);
});

it('repairs alone on the host: after a running attach, with attaches refused meanwhile', async () => {
  const h = await applied();
  const gate = new HostGate();
  const { until } = await watch(h, true, 5, gate);
  // A ledger operation (an attach) is configuring a VF when the drift arrives.
  let finishAttach!: () => void;
  const attach = gate.runShared(() => new Promise<void>((r) => (finishAttach = r)));
  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 2, vlan: { vlan: 999, qos: 0, proto: '802.1Q' } },
  ]);
  await until('drift');
  await vi.waitFor(() => expect(gate.holder?.label).toBe('drift repair'));
  await expect(gate.runShared(async () => 'late attach')).rejects.toThrow(/drift repair/);
  // Not repaired while the attach runs.
  expect(h.pf('ens1f1').sriov!.vfState[2]!.vlan).toBe(999);
  finishAttach();
  await attach;
  expect(await until('repaired')).toHaveLength(1);
  expect(h.pf('ens1f1').sriov!.vfState[2]!.vlan).toBe(302);
  expect(gate.holder).toBeNull();
});

it('a repair that cannot get the host in time (an attach hung) fails, changes nothing, and the next pass repairs', async () => {
  const h = await applied();
  const gate = new HostGate({ drainTimeoutMs: 20 });
  const { until } = await watch(h, true, 5, gate);
  let finishAttach!: () => void;
  const attach = gate.runShared(() => new Promise<void>((r) => (finishAttach = r)));
  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 2, vlan: { vlan: 999, qos: 0, proto: '802.1Q' } },
  ]);
  const [failed] = await until('repair-failed');
  expect(failed).toMatchObject({
    error:
      'drift repair did not start: 1 attach, detach or reconcile operation was still running after 0.02 s; nothing was changed',
  });
  expect(h.pf('ens1f1').sriov!.vfState[2]!.vlan).toBe(999);
  expect(gate.holder).toBeNull();
  finishAttach();
  await attach;
  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 2, vlan: { vlan: 998, qos: 0, proto: '802.1Q' } },
  ]);
  expect(await until('repaired')).toHaveLength(1);
  expect(h.pf('ens1f1').sriov!.vfState[2]!.vlan).toBe(302);
});

it('repairs a VF unbound out of band under drift: repair: binding a VF nobody has is not disruptive', async () => {
  const h = await applied();
  const vf1 = (await discover(h)).pfs
    .find((p) => p.netdev === 'ens1f1')!
    .vfs.find((v) => v.vfIndex === 1)!.pciAddress!;
  const { events, watcher: w } = await watch(h, false, 5, undefined, [
    { ...TARGET, drift: 'repair' },
  ]);
  await h.writeFile(`/sys/bus/pci/devices/${vf1}/driver/unbind`, vf1);
  await w.trigger('manual');
  const drift = events.find((e) => e.type === 'drift');
  expect(drift).toMatchObject({ steps: [{ what: 'bind VFs 1 of ens1f1: host' }] });
  expect(drift?.type === 'drift' && drift.steps[0]!.disruptive).toBeUndefined();
  expect(events.map((e) => e.type)).toContain('repaired');
  expect(events.map((e) => e.type)).not.toContain('repair-skipped');
  expect((await discover(h)).pfs.find((p) => p.netdev === 'ens1f1')!.vfs[1]!.driver).toBe('iavf');
});

it('still leaves taking a VF away from its driver to a human', async () => {
  const h = await applied();
  const target: PlanTarget = {
    ...TARGET,
    drift: 'repair',
    vfs: TARGET.vfs.map((v) => (v.vfIndex === 1 ? { ...v, driver: 'none' as const } : v)),
  };
  const plan = planChanges([target], await discover(h));
  expect(plan.steps.map((s) => [s.what, s.disruptive])).toEqual([
    ['bind VFs 1 of ens1f1: none', 'rebinding takes VF 1 away from its current driver and user'],
  ]);
});

it('calls settings the kernel does not report unverified: not drift, and never repaired blindly', async () => {
  const h = await loadSimHost('e810-8x256', { timing: 'off' });
  cleanup.push(() => h.close());
  const far: PlanTarget = {
    pciAddress: pciAddress('0000:17:00.0'),
    numVfs: 256,
    vfs: [
      { vfIndex: 10, driver: 'host', settings: { trust: false } },
      {
        vfIndex: 200,
        driver: 'host',
        settings: { vlan: { vlan: vlanId(42), qos: 0, proto: '802.1Q' } },
      },
    ],
  };
  const { events, watcher: w } = await watch(h, true, 5, undefined, [far]);
  expect(events).toEqual([
    expect.objectContaining({
      type: 'in-sync',
      unverified: [{ pf: 'ens1f0', vfs: [200], settings: 1, why: 'vf-list-truncated' }],
    }),
  ]);
  // Nothing was written to VF 200: the watcher does not re-apply what it cannot read.
  expect(h.pf('ens1f0').sriov!.vfState[200]!.vlan).toBe(0);
  // A difference it can read is still drift, and repaired; VF 200 stays out of the repair.
  h.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: 10, trust: true }]);
  await w.trigger('manual');
  const drift = events.find((e) => e.type === 'drift');
  expect(drift).toMatchObject({
    steps: [{ what: 'apply VF settings to VFs 10 of ens1f0' }],
    unverified: [{ pf: 'ens1f0', vfs: [200], settings: 1, why: 'vf-list-truncated' }],
  });
  expect(events.map((e) => e.type)).toContain('repaired');
  expect(h.pf('ens1f0').sriov!.vfState[10]!.trust).toBe(false);
  expect(h.pf('ens1f0').sriov!.vfState[200]!.vlan).toBe(0);
});
