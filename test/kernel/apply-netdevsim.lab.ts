// Declarative provisioning of a netdevsim port on the real kernel (issue 4): a policy selecting the
// port by pfNames sets numVfs through netdevsim's own sriov_numvfs and per-VF MAC/VLAN/rate/trust
// through the port's netlink VF list; discovery reads it back and a second plan is empty.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setNumVfs } from '../../src/executor/index.js';
import { netdevsimDevice } from '../../src/host/names.js';
import { discover } from '../../src/inventory/discover.js';
import { applyPlan } from '../../src/policy/apply.js';
import { parsePolicyText, resolvePolicies } from '../../src/policy/index.js';
import { planChanges } from '../../src/policy/plan.js';
import { labHost, netdevsim, removeNetdevsim } from './support.js';

const ID = 12;
const DEV = netdevsimDevice(`netdevsim${ID}`);
const host = await labHost();
await removeNetdevsim(host, ID);
const port = await netdevsim(host, ID);
after(async () => {
  await setNumVfs(host, DEV, 0, { allowReset: true }).catch(() => undefined);
  await removeNetdevsim(host, ID);
});

const POLICY = `
apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: nsim-lab }
spec:
  selector: { pfNames: [${port}] }
  numVfs: 4
  vfGroups:
    - { range: 0-3, mac: auto, vlan: 100, qos: 3, minTxRate: 10, maxTxRate: 100, trust: true }
`;

async function plan() {
  const inv = await discover(host);
  const r = resolvePolicies(parsePolicyText(POLICY, 'nsim-lab.yaml'), inv);
  assert.deepEqual(r.errors, []);
  return { r, plan: planChanges(r.desired, inv) };
}

test('plans and applies numVfs and VF settings on a netdevsim port; a second plan is empty', async () => {
  const first = await plan();
  assert.equal(first.r.desired.length, 1);
  assert.equal(first.r.desired[0]!.pciAddress, DEV);
  const kinds = first.plan.steps.map((s) => s.kind);
  assert.deepEqual(
    kinds.filter((k) => k !== 'pfUp'),
    ['numVfs', 'waitVfs', 'vfMacs', 'vfSettings'],
  );
  const result = await applyPlan(host, first.plan, { confirmedDisruptive: true });
  assert.equal(
    result.ok,
    true,
    JSON.stringify(result.outcomes.find((o) => o.status === 'failed')?.error?.message),
  );
  assert.equal((await host.readFile(`/sys/bus/netdevsim/devices/${DEV}/sriov_numvfs`)).trim(), '4');

  const inv = await discover(host);
  const pf = inv.pfs.find((p) => p.pciAddress === DEV);
  assert.ok(pf, 'netdevsim device in the inventory');
  assert.equal(pf.bus, 'netdevsim');
  assert.equal(pf.numVfs, 4);
  assert.equal(pf.vfs.length, 4);
  for (const vf of pf.vfs) {
    const want = first.r.desired[0]!.vfs[vf.vfIndex]!.settings;
    assert.equal(vf.pciAddress, null);
    assert.equal(vf.config?.mac, want.mac);
    assert.equal(vf.config?.vlan, 100);
    assert.equal(vf.config?.qos, 3);
    assert.equal(vf.config?.minTxRate, 10);
    assert.equal(vf.config?.maxTxRate, 100);
    assert.equal(vf.config?.trust, true);
  }
  const second = await plan();
  assert.deepEqual(second.plan.steps, [], JSON.stringify(second.plan.steps));
});
