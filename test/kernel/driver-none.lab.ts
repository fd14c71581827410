// `driver: none` on the real kernel: policies put VFs 1-2 of QEMU's NVMe PF on vfio-pci and then on
// no driver through the executor's releaseDriver; they end unbound with driver_override "none", and a
// probe leaves them there. The simulator runs the same scenario in test/unit/plan/driver-none.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setNumVfs } from '../../src/executor/index.js';
import type { PciAddress } from '../../src/host/names.js';
import {
  applyConfirmed,
  firstFailure,
  nvmePolicy,
  planPolicy,
  vfAddress,
  vfDriverStates,
} from './driver-none/scenario.js';
import { labHost, nvmePf } from './support.js';

const host = await labHost();
let pf: PciAddress;

before(async () => {
  pf = await nvmePf(host);
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '1');
});
after(() => setNumVfs(host, pf, 0, { allowReset: true }));

test('takes VFs from vfio-pci to no driver (forced: they look in use), and a probe leaves them there', async () => {
  const toVfio = await applyConfirmed(host, await planPolicy(host, nvmePolicy('vfio-pci')));
  assert.equal(toVfio.ok, true, firstFailure(toVfio));
  assert.deepEqual(
    (await vfDriverStates(host, pf, [1, 2])).map((s) => s.driver),
    ['vfio-pci', 'vfio-pci'],
  );

  const unforced = await planPolicy(host, nvmePolicy('none'));
  assert.equal(unforced.refusals.length, 2, JSON.stringify(unforced.refusals));
  const plan = await planPolicy(host, nvmePolicy('none'), { force: true });
  assert.deepEqual(
    plan.steps.map((s) =>
      s.kind === 'vfDrivers' ? s.changes.map((c) => `${c.vf}:${c.from}→${c.to}`) : s.kind,
    ),
    [['1:vfio-pci→none', '2:vfio-pci→none']],
  );
  const r = await applyConfirmed(host, plan);
  assert.equal(r.ok, true, firstFailure(r));
  assert.deepEqual(await vfDriverStates(host, pf, [1, 2]), [
    { vf: 1, driver: null, override: 'none' },
    { vf: 2, driver: null, override: 'none' },
  ]);

  // The override is what keeps them there: a probe finds no driver called "none".
  await host.writeFile('/sys/bus/pci/drivers_probe', await vfAddress(host, pf, 1));
  assert.equal((await vfDriverStates(host, pf, [1]))[0]!.driver, null);
  assert.deepEqual((await planPolicy(host, nvmePolicy('none'))).steps, []);
});

test('creates VFs straight onto no driver', async () => {
  await setNumVfs(host, pf, 0, { allowReset: true });
  const plan = await planPolicy(host, nvmePolicy('none'));
  assert.deepEqual(
    plan.steps.map((s) => s.kind),
    ['numVfs', 'waitVfs', 'vfDrivers'],
  );
  const r = await applyConfirmed(host, plan);
  assert.equal(r.ok, true, firstFailure(r));
  assert.deepEqual(await vfDriverStates(host, pf, [1, 2]), [
    { vf: 1, driver: null, override: 'none' },
    { vf: 2, driver: null, override: 'none' },
  ]);
  assert.deepEqual((await planPolicy(host, nvmePolicy('none'))).steps, []);
});
