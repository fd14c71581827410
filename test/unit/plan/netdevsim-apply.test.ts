// A policy selecting a netdevsim port by pfNames on the simulated kernel: netdevsim is not PCI
// (linux-sriov-abi.md §5), so numVfs goes to /sys/bus/netdevsim/devices/netdevsim<ID>/sriov_numvfs,
// the VFs exist only in the port's netlink VF list, no driver step is planned, and vfio-pci is refused.
import { afterEach, expect, it } from 'vitest';
import { simHostFromYaml, type SimHost } from '../../../src/host/sim/index.js';
import { runDoctor } from '../../../src/doctor/run.js';
import { OperationError, setNumVfs } from '../../../src/executor/index.js';
import { netdevsimDevice } from '../../../src/host/names.js';
import { discover } from '../../../src/inventory/discover.js';
import { applyPlan } from '../../../src/policy/apply.js';
import { parsePolicyText, resolvePolicies } from '../../../src/policy/index.js';
import { planChanges } from '../../../src/policy/plan.js';

const hosts: SimHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

async function boot(): Promise<SimHost> {
  const h = await simHostFromYaml(
    `name: t\nhostname: t\ndevices:\n  - model: qemu-nvme\n    address: 0000:00:04.0\nnetdevsim:\n  - { id: 10, ports: 1, portNames: [eth0] }\n`,
    { timing: 'off' },
  );
  hosts.push(h);
  return h;
}

const policy = (group: string) => `
apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: nsim }
spec:
  selector: { pfNames: [eth0] }
  numVfs: 4
  vfGroups:
    - ${group}
`;
const GROUP =
  '{ range: 0-3, mac: auto, vlan: 100, qos: 3, minTxRate: 10, maxTxRate: 100, trust: true }';

async function plan(h: SimHost, text = policy(GROUP)) {
  const inv = await discover(h, { now: () => new Date(0) });
  const r = resolvePolicies(parsePolicyText(text, 'nsim.yaml'), inv);
  return { inv, r, plan: planChanges(r.desired, inv) };
}

it('discovers netdevsim10 as a non-PCI PF that doctor accepts', async () => {
  const h = await boot();
  const inv = await discover(h);
  const pf = inv.pfs.find((p) => p.bus === 'netdevsim')!;
  expect(pf).toMatchObject({ pciAddress: 'netdevsim10', netdev: 'eth0', totalVfs: 4, numVfs: 0 });
  const checks = runDoctor(inv).results.filter((c) => c.scope === 'netdevsim10');
  expect(checks.map((c) => c.id)).toEqual([
    'pf.link',
    'pf.default-route',
    'pf.managed-by',
    'pf.vf-list',
  ]);
});

it('sets numVfs and per-VF MAC/VLAN/rate/trust on eth0; a second plan is empty', async () => {
  const h = await boot();
  const first = await plan(h);
  expect(first.r.errors).toEqual([]);
  // The port is down, and the policy says nothing of its admin state: left alone.
  expect(first.plan.steps.map((s) => s.kind)).toEqual([
    'numVfs',
    'waitVfs',
    'vfMacs',
    'vfSettings',
  ]);
  const result = await applyPlan(h, first.plan, { confirmedDisruptive: true });
  expect(result.ok, result.outcomes.find((o) => o.status === 'failed')?.error?.message).toBe(true);
  expect((await h.readFile('/sys/bus/netdevsim/devices/netdevsim10/sriov_numvfs')).trim()).toBe(
    '4',
  );
  const inv = await discover(h);
  const pf = inv.pfs.find((p) => p.pciAddress === 'netdevsim10')!;
  expect(pf.numVfs).toBe(4);
  expect(pf.vfs).toHaveLength(4);
  const want = first.r.desired[0]!.vfs;
  for (const vf of pf.vfs) {
    expect(vf.pciAddress).toBeNull();
    expect(vf.config).toMatchObject({
      mac: want[vf.vfIndex]!.settings.mac,
      vlan: 100,
      qos: 3,
      minTxRate: 10,
      maxTxRate: 100,
      trust: true,
    });
  }
  const second = await plan(h);
  expect(second.plan.steps).toEqual([]);
});

it('refuses vfio-pci on netdevsim VFs: they have no PCI function to bind', async () => {
  const h = await boot();
  const { r } = await plan(h, policy('{ range: 0-1, driver: vfio-pci }'));
  expect(r.errors.map((e) => e.message).join('\n')).toMatch(
    /netdevsim VFs have no PCI function to bind/,
  );
});

it('explains ENOMEM above max_vfs as the netdevsim limit', async () => {
  const h = await boot();
  const err = await setNumVfs(h, netdevsimDevice('netdevsim10'), 5).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OperationError);
  expect((err as OperationError).message).toMatch(/max_vfs 4/);
});
