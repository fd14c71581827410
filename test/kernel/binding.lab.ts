// Binding a VF of the real NVMe PF to vfio-pci and back through sriovctl's driver-binding code.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  bindDriver,
  readDriver,
  readIommuGroup,
  readVirtfns,
  setNumVfs,
} from '../../src/executor/index.js';
import { driverName, type PciAddress } from '../../src/host/names.js';
import { labHost, nvmePf } from './support.js';

const host = await labHost();
let pf: PciAddress;
let vf: PciAddress;

before(async () => {
  pf = await nvmePf(host);
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '1');
  await setNumVfs(host, pf, 2);
  vf = (await readVirtfns(host, pf)).get(1)!;
});
after(() => setNumVfs(host, pf, 0, { allowReset: true }));

test('the VF has its own IOMMU group', async () => {
  assert.notEqual(await readIommuGroup(host, vf), null);
  assert.notEqual(await readIommuGroup(host, vf), await readIommuGroup(host, pf));
});

test('binds to vfio-pci through driver_override; /dev/vfio/<group> appears; the override is cleared', async () => {
  const group = await readIommuGroup(host, vf);
  const r = await bindDriver(host, vf, driverName('vfio-pci'));
  assert.equal(r.after, 'vfio-pci');
  assert.equal(r.vfioGroup, `/dev/vfio/${group}`);
  assert.equal((await host.entryKind(`/dev/vfio/${group}`)) !== null, true);
  assert.equal(
    (await host.readFile(`/sys/bus/pci/devices/${vf}/driver_override`)).trim(),
    '(null)',
  );
});

test('returns to its default driver', async () => {
  const r = await bindDriver(host, vf, null);
  assert.equal(r.before, 'vfio-pci');
  assert.notEqual(await readDriver(host, vf), 'vfio-pci');
});

test('VFs can be destroyed while one is bound to vfio-pci', async () => {
  await bindDriver(host, vf, driverName('vfio-pci'));
  await setNumVfs(host, pf, 0, { allowReset: true });
  assert.equal((await readVirtfns(host, pf)).size, 0);
});
