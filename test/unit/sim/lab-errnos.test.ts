// The errno table measured on a real 6.1 kernel with QEMU's NVMe SR-IOV PF (kernel-lab-facts.md),
// reproduced step by step through the seam on the simulator's mirror of that guest.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { errnoOf } from '../../support/errno.js';

const PF = '/sys/bus/pci/devices/0000:00:02.0';
let h: SimHost;
beforeEach(async () => {
  h = await loadSimHost('qemu-nvme-lab', { timing: 'off' });
});
afterEach(() => h.close());

it('shows the NVMe PF as the lab does', async () => {
  expect(await h.readFile(`${PF}/vendor`)).toBe('0x1b36\n');
  expect(await h.readFile(`${PF}/device`)).toBe('0x0010\n');
  expect(await h.readFile(`${PF}/sriov_totalvfs`)).toBe('7\n');
  expect(await h.readFile(`${PF}/sriov_offset`)).toBe('1\n');
  expect(await h.readFile(`${PF}/sriov_stride`)).toBe('1\n');
  expect(await h.readFile(`${PF}/sriov_vf_device`)).toBe('10\n');
  expect(await h.readFile(`${PF}/sriov_vf_total_msix`)).toBe('0\n');
  expect(await h.readLink(`${PF}/driver`)).toMatch(/drivers\/nvme$/);
});

it('walks the measured errno table in order', async () => {
  expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, '4'))).toBe('ok');
  expect((await h.readDir(PF)).filter((e) => e.startsWith('virtfn'))).toEqual([
    'virtfn0',
    'virtfn1',
    'virtfn2',
    'virtfn3',
  ]);
  expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, '4'))).toBe('ok');
  expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, '2'))).toBe('EBUSY');
  expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, '9'))).toBe('ERANGE');
  for (const bad of ['abc', '-1', '65536'])
    expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, bad))).toBe('EINVAL');
  expect(await errnoOf(h.writeFile(`${PF}/sriov_totalvfs`, '3'))).toBe('EACCES');

  const vf = '/sys/bus/pci/devices/0000:00:02.1';
  // nvme probes the VFs and gives them up again: QEMU's secondary controllers are offline.
  expect(await h.entryKind(`${vf}/driver`)).toBeNull();
  const group = (await h.readLink(`${vf}/iommu_group`)).split('/').pop();
  await h.writeFile(`${vf}/driver_override`, 'vfio-pci');
  await h.writeFile('/sys/bus/pci/drivers_probe', '0000:00:02.1');
  expect(await h.readLink(`${vf}/driver`)).toMatch(/drivers\/vfio-pci$/);
  expect(await h.entryKind(`/dev/vfio/${group}`)).toBe('file');

  expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/nvme/bind', '0000:00:09.0'))).toBe(
    'ENODEV',
  );
  expect(await errnoOf(h.writeFile(`${PF}/sriov_numvfs`, '0'))).toBe('ok');
  expect((await h.readDir(PF)).filter((e) => e.startsWith('virtfn'))).toEqual([]);
  expect(await h.entryKind(`/dev/vfio/${group}`)).toBeNull();

  await h.writeFile(`${PF}/sriov_drivers_autoprobe`, '0');
  await h.writeFile(`${PF}/sriov_numvfs`, '3');
  for (const i of [1, 2, 3])
    expect(await h.entryKind(`/sys/bus/pci/devices/0000:00:02.${i}/driver`)).toBeNull();
});
