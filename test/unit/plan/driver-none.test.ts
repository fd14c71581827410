// `driver: none` on the simulator's mirror of the lab guest (the NVMe PF): the executor's
// releaseDriver leaves VFs on no driver with driver_override "none", so a later probe does not bind
// them; the same scenario runs on the real kernel in test/kernel/driver-none.lab.ts.
import { afterEach, expect, it } from 'vitest';
import { pciAddress } from '../../../src/host/names.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import {
  applyConfirmed,
  firstFailure,
  nvmePolicy,
  planPolicy,
  vfAddress,
  vfDriverStates,
} from '../../kernel/driver-none/scenario.js';

const PF = pciAddress('0000:00:02.0');
let h: SimHost;
afterEach(() => h.close());

async function boot(): Promise<SimHost> {
  h = await loadSimHost('qemu-nvme-lab', { timing: 'off' });
  return h;
}

it('takes VFs from vfio-pci to no driver (forced: they look in use), and a probe leaves them there', async () => {
  const host = await boot();
  const toVfio = await applyConfirmed(host, await planPolicy(host, nvmePolicy('vfio-pci')));
  expect(toVfio.ok, firstFailure(toVfio)).toBe(true);
  expect((await vfDriverStates(host, PF, [1, 2])).map((s) => s.driver)).toEqual([
    'vfio-pci',
    'vfio-pci',
  ]);

  const unforced = await planPolicy(host, nvmePolicy('none'));
  expect(unforced.refusals.map((r) => r.reason)).toEqual([
    'rebinding VF 1 is bound to vfio-pci (a VM may be using it)',
    'rebinding VF 2 is bound to vfio-pci (a VM may be using it)',
  ]);
  const plan = await planPolicy(host, nvmePolicy('none'), { force: true });
  expect(plan.steps).toMatchObject([
    {
      kind: 'vfDrivers',
      changes: [
        { vf: 1, from: 'vfio-pci', to: 'none' },
        { vf: 2, from: 'vfio-pci', to: 'none' },
      ],
    },
  ]);
  const before = host.journal.length;
  const r = await applyConfirmed(host, plan);
  expect(r.ok, firstFailure(r)).toBe(true);
  const [vf1, vf2] = [await vfAddress(host, PF, 1), await vfAddress(host, PF, 2)];
  expect(host.journal.slice(before).map((j) => `${j.target} = ${j.value.trim()}`)).toEqual([
    `/sys/bus/pci/devices/${vf1}/driver_override = none`,
    `/sys/bus/pci/drivers/vfio-pci/unbind = ${vf1}`,
    `/sys/bus/pci/devices/${vf2}/driver_override = none`,
    `/sys/bus/pci/drivers/vfio-pci/unbind = ${vf2}`,
  ]);
  expect(await vfDriverStates(host, PF, [1, 2])).toEqual([
    { vf: 1, driver: null, override: 'none' },
    { vf: 2, driver: null, override: 'none' },
  ]);

  // The override is what keeps them there: a probe finds no driver called "none".
  await host.writeFile('/sys/bus/pci/drivers_probe', vf1);
  expect((await vfDriverStates(host, PF, [1]))[0]!.driver).toBeNull();
  expect((await planPolicy(host, nvmePolicy('none'))).steps).toEqual([]);
});

it('creates VFs straight onto no driver', async () => {
  const host = await boot();
  const plan = await planPolicy(host, nvmePolicy('none'));
  expect(plan.steps.map((s) => s.kind)).toEqual(['numVfs', 'waitVfs', 'vfDrivers']);
  const r = await applyConfirmed(host, plan);
  expect(r.ok, firstFailure(r)).toBe(true);
  expect(await vfDriverStates(host, PF, [1, 2])).toEqual([
    { vf: 1, driver: null, override: 'none' },
    { vf: 2, driver: null, override: 'none' },
  ]);
  expect((await planPolicy(host, nvmePolicy('none'))).steps).toEqual([]);
});
