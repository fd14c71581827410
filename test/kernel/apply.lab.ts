// Declarative provisioning on the real kernel: a policy for the NVMe PF (numVfs, one VF range on
// vfio-pci) is planned, applied through the executor, read back, and a second plan is empty.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setNumVfs, readDriver, readVirtfns } from '../../src/executor/index.js';
import { discover } from '../../src/inventory/discover.js';
import { applyPlan } from '../../src/policy/apply.js';
import { parsePolicyText, resolvePolicies } from '../../src/policy/index.js';
import { planChanges } from '../../src/policy/plan.js';
import { labHost, nvmePf } from './support.js';

const host = await labHost();
const pf = await nvmePf(host);
after(() => setNumVfs(host, pf, 0, { allowReset: true }));

const POLICY = `
apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: nvme-passthrough }
spec:
  selector: { vendor: '1b36', deviceID: '0010' }
  numVfs: 4
  vfGroups:
    - { range: 2-3, driver: vfio-pci }
`;

async function plan() {
  const inv = await discover(host);
  const r = resolvePolicies(parsePolicyText(POLICY, 'nvme-passthrough.yaml'), inv);
  assert.deepEqual(r.errors, []);
  return planChanges(r.desired, inv);
}

test('plans, applies and verifies numVfs and a vfio-pci range; a second plan is empty', async () => {
  const first = await plan();
  assert.deepEqual(
    first.steps.map((s) => s.kind),
    ['numVfs', 'waitVfs', 'vfDrivers'],
  );
  const result = await applyPlan(host, first, { confirmedDisruptive: true });
  assert.equal(
    result.ok,
    true,
    JSON.stringify(result.outcomes.find((o) => o.status === 'failed')?.error?.message),
  );
  const vfs = await readVirtfns(host, pf);
  assert.equal(vfs.size, 4);
  assert.equal(await readDriver(host, vfs.get(2)!), 'vfio-pci');
  assert.equal(await readDriver(host, vfs.get(3)!), 'vfio-pci');
  const second = await plan();
  assert.deepEqual(second.steps, [], JSON.stringify(second.steps));
});
