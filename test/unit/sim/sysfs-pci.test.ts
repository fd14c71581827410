// The simulated kernel's PCI sysfs: formats, sriov_numvfs semantics in the kernel's check order,
// VF links and driver binding — each case from linux-sriov-abi.md §1-§2, §9 and kernel-lab-facts.md.
import { afterEach, describe, expect, it } from 'vitest';
import { loadSimHost, simHostFromYaml, type SimHost } from '../../../src/host/sim/index.js';
import { errnoOf } from '../../support/errno.js';

const hosts: SimHost[] = [];
async function boot(fixture: string, timing: 'off' | number = 'off'): Promise<SimHost> {
  const h = await loadSimHost(fixture, { timing });
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

const E810 = '/sys/bus/pci/devices/0000:3b:00.0';
const E810_1 = '/sys/bus/pci/devices/0000:3b:00.1';

describe('PCI attribute formats', () => {
  it('prints IDs as 0x%04x, class as 0x%06x, sriov_vf_device as bare %x and driver_override as (null)', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await h.readFile(`${E810}/vendor`)).toBe('0x8086\n');
    expect(await h.readFile(`${E810}/device`)).toBe('0x1592\n');
    expect(await h.readFile(`${E810}/class`)).toBe('0x020000\n');
    expect(await h.readFile(`${E810}/sriov_vf_device`)).toBe('1889\n');
    expect(await h.readFile(`${E810}/driver_override`)).toBe('(null)\n');
    expect(await h.readFile(`${E810}/modalias`)).toMatch(
      /^pci:v00008086d00001592sv00008086sd00000002bc02sc00i00\n$/,
    );
    expect(await h.readFile(`${E810}/sriov_offset`)).toBe('8\n');
    expect(await h.readFile(`${E810}/sriov_stride`)).toBe('1\n');
    expect(await h.readFile(`${E810}/sriov_drivers_autoprobe`)).toBe('1\n');
  });

  it('resolves bus links into the devices tree with relative targets', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await h.readLink('/sys/bus/pci/devices/0000:3b:00.0')).toBe(
      '../../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0',
    );
    expect(await h.readLink(`${E810}/driver`)).toBe('../../../../bus/pci/drivers/ice');
    expect(await h.readLink(`${E810}/virtfn0`)).toBe('../0000:3b:01.0');
    expect(await h.readLink('/sys/bus/pci/devices/0000:3b:01.0/physfn')).toBe('../0000:3b:00.0');
    expect(await h.readLink(`${E810}/iommu_group`)).toMatch(
      /^\.\.\/\.\.\/\.\.\/\.\.\/kernel\/iommu_groups\/\d+$/,
    );
  });

  it('shows sriov_* only on the PF, physfn only on the VF', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const vf = '/sys/bus/pci/devices/0000:3b:01.0';
    expect(await h.entryKind(`${vf}/physfn`)).toBe('link');
    expect(await h.entryKind(`${vf}/sriov_numvfs`)).toBeNull();
    expect(await errnoOf(h.readFile(`${vf}/sriov_totalvfs`))).toBe('ENOENT');
    expect(await h.readFile(`${vf}/device`)).toBe('0x1889\n');
  });

  it('refuses writes to read-only attributes with EACCES', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile(`${E810}/sriov_totalvfs`, '4'))).toBe('EACCES');
  });

  it('derives VF addresses from offset and stride, interleaving on the 82599', async () => {
    const h = await boot('small-82599');
    await h.writeFile('/sys/bus/pci/devices/0000:04:00.0/sriov_numvfs', '4');
    expect(await h.readLink('/sys/bus/pci/devices/0000:04:00.0/virtfn3')).toBe('../0000:04:10.6');
    expect(await h.readLink('/sys/bus/pci/devices/0000:04:00.1/virtfn0')).toBe('../0000:04:10.1');
    expect(await h.readLink('/sys/bus/pci/devices/0000:04:00.1/virtfn1')).toBe('../0000:04:10.3');
  });
});

describe('sriov_numvfs write', () => {
  it.each([
    ['abc', 'EINVAL'],
    ['-1', 'EINVAL'],
    ['65536', 'EINVAL'],
    ['08', 'EINVAL'],
    ['\n', 'EINVAL'],
    [' 4', 'EINVAL'],
    ['129', 'ERANGE'],
    ['65535', 'ERANGE'],
  ])('answers %j with %s', async (value, errno) => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, value))).toBe(errno);
    expect(await h.readFile(`${E810_1}/sriov_numvfs`)).toBe('0\n');
  });

  it('treats a zero-length write as a successful no-op (it never reaches the store; measured in the lab)', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, ''))).toBe('ok');
    expect(await h.readFile(`${E810_1}/sriov_numvfs`)).toBe('0\n');
    // Opening a read-only attribute for writing still fails first.
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_totalvfs`, ''))).toBe('EACCES');
  });

  it('accepts hex and a trailing newline (kstrtou16 base 0)', async () => {
    const h = await boot('dual-socket-e810-cx6');
    await h.writeFile(`${E810_1}/sriov_numvfs`, '0x4\n');
    expect(await h.readFile(`${E810_1}/sriov_numvfs`)).toBe('4\n');
  });

  it('refuses N→M with EBUSY, treats the same value as a no-op, and 0 destroys every VF', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile(`${E810}/sriov_numvfs`, '2'))).toBe('EBUSY');
    expect(await errnoOf(h.writeFile(`${E810}/sriov_numvfs`, '8'))).toBe('ok');
    await h.writeFile(`${E810}/sriov_numvfs`, '0');
    const entries = await h.readDir(E810);
    expect(entries.filter((e) => e.startsWith('virtfn'))).toEqual([]);
    expect(await h.entryKind('/sys/bus/pci/devices/0000:3b:01.0')).toBeNull();
    await h.writeFile(`${E810}/sriov_numvfs`, '2');
    expect((await h.readDir(E810)).filter((e) => e.startsWith('virtfn'))).toEqual([
      'virtfn0',
      'virtfn1',
    ]);
  });

  it('serialises concurrent writers as device_lock does: the second sees the VFs of the first', async () => {
    const h = await boot('dual-socket-e810-cx6', 0.01);
    const results = await Promise.all([
      errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '4')),
      errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '2')),
    ]);
    expect(results).toEqual(['ok', 'EBUSY']);
    expect(await h.readFile(`${E810_1}/sriov_numvfs`)).toBe('4\n');
    expect((await h.readDir(E810_1)).filter((e) => e.startsWith('virtfn'))).toHaveLength(4);
  });

  it('checks ERANGE before the driver, and answers ENOENT without a driver', async () => {
    const h = await boot('dual-socket-e810-cx6');
    await h.writeFile('/sys/bus/pci/drivers/ice/unbind', '0000:3b:00.1');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '200'))).toBe('ERANGE');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '0'))).toBe('ok');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '4'))).toBe('ENOENT');
  });

  it('shows the driver-reduced totalvfs while ixgbe is bound and the capability when unbound', async () => {
    const h = await boot('small-82599');
    const pf = '/sys/bus/pci/devices/0000:04:00.0';
    expect(await h.readFile(`${pf}/sriov_totalvfs`)).toBe('63\n');
    await h.writeFile('/sys/bus/pci/drivers/ixgbe/unbind', '0000:04:00.0');
    expect(await h.readFile(`${pf}/sriov_totalvfs`)).toBe('64\n');
    expect(await h.entryKind(`${pf}/driver`)).toBeNull();
  });

  it('unbinding a PF driver disables its VFs', async () => {
    const h = await boot('small-82599');
    await h.writeFile('/sys/bus/pci/drivers/ixgbe/unbind', '0000:04:00.1');
    expect(await h.readFile('/sys/bus/pci/devices/0000:04:00.1/sriov_numvfs')).toBe('0\n');
    expect(await h.entryKind('/sys/bus/pci/devices/0000:04:10.1')).toBeNull();
  });

  it('bnxt with its interface down accepts the write and enables nothing', async () => {
    const h = await boot('mixed-firmware');
    const pf = '/sys/bus/pci/devices/0000:a1:00.0';
    expect(await errnoOf(h.writeFile(`${pf}/sriov_numvfs`, '4'))).toBe('ok');
    expect(await h.readFile(`${pf}/sriov_numvfs`)).toBe('0\n');
  });

  it('ice refuses more VFs than the board supports with EOPNOTSUPP from the driver', async () => {
    const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
    hosts.push(h);
    h.pf('0000:3b:00.1').sriov!.resourceLimit = 64;
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_numvfs`, '100'))).toBe('EOPNOTSUPP');
  });
});

describe('VF driver binding', () => {
  it('binds new VFs to the host VF driver, or leaves them unbound when autoprobe is off', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await h.readLink('/sys/bus/pci/devices/0000:3b:01.0/driver')).toMatch(/drivers\/iavf$/);
    await h.writeFile(`${E810_1}/sriov_drivers_autoprobe`, '0');
    await h.writeFile(`${E810_1}/sriov_numvfs`, '3');
    const vf0 = (await h.readLink(`${E810_1}/virtfn0`)).split('/').pop();
    expect(vf0).toBe('0000:3b:11.0');
    expect(await h.entryKind(`/sys/bus/pci/devices/${vf0}/physfn`)).toBe('link');
    expect(await h.entryKind(`/sys/bus/pci/devices/${vf0}/driver`)).toBeNull();
  });

  it('rejects a bad autoprobe value and accepts kstrtobool spellings', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile(`${E810_1}/sriov_drivers_autoprobe`, 'maybe'))).toBe('EINVAL');
    await h.writeFile(`${E810_1}/sriov_drivers_autoprobe`, 'off');
    expect(await h.readFile(`${E810_1}/sriov_drivers_autoprobe`)).toBe('0\n');
    await h.writeFile(`${E810_1}/sriov_drivers_autoprobe`, 'yes');
    expect(await h.readFile(`${E810_1}/sriov_drivers_autoprobe`)).toBe('1\n');
  });

  it('moves a VF to vfio-pci through driver_override and drivers_probe, creating /dev/vfio/<group>', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const vf = '/sys/bus/pci/devices/0000:3b:01.2';
    const group = (await h.readLink(`${vf}/iommu_group`)).split('/').pop();
    // Already bound (to a matching driver): EBUSY.
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/iavf/bind', '0000:3b:01.2'))).toBe(
      'EBUSY',
    );
    await h.writeFile(`${vf}/driver/unbind`, '0000:3b:01.2');
    // vfio-pci's ID table only matches through driver_override.
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/bind', '0000:3b:01.2'))).toBe(
      'ENODEV',
    );
    await h.writeFile(`${vf}/driver_override`, 'vfio-pci\n');
    expect(await h.readFile(`${vf}/driver_override`)).toBe('vfio-pci\n');
    // The override names another driver: iavf no longer matches.
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/iavf/bind', '0000:3b:01.2'))).toBe(
      'ENODEV',
    );
    await h.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.2');
    expect(await h.readLink(`${vf}/driver`)).toMatch(/drivers\/vfio-pci$/);
    expect(await h.entryKind(`/dev/vfio/${group}`)).toBe('file');
    expect(await h.entryKind('/sys/class/net/ens1f0v2')).toBeNull();
    // Back to the host driver: clear the override, unbind, reprobe.
    await h.writeFile(`${vf}/driver_override`, '\n');
    expect(await h.readFile(`${vf}/driver_override`)).toBe('(null)\n');
    await h.writeFile('/sys/bus/pci/drivers/vfio-pci/unbind', '0000:3b:01.2');
    expect(await h.entryKind(`/dev/vfio/${group}`)).toBeNull();
    await h.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.2');
    expect(await h.readLink(`${vf}/driver`)).toMatch(/drivers\/iavf$/);
  });

  it('answers unbind from the wrong driver and unknown addresses with ENODEV; drivers_probe succeeds even if nothing binds', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/unbind', '0000:3b:01.0'))).toBe(
      'ENODEV',
    );
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/ice/bind', '0000:99:00.0'))).toBe(
      'ENODEV',
    );
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers_probe', '0000:99:00.0'))).toBe('ENODEV');
    await h.writeFile('/sys/bus/pci/devices/0000:3b:01.0/driver_override', 'none');
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.0');
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.0'))).toBe('ok');
    expect(await h.entryKind('/sys/bus/pci/devices/0000:3b:01.0/driver')).toBeNull();
  });

  it('vfio-pci needs an IOMMU group: without one the probe fails with EINVAL', async () => {
    const h = await simHostFromYaml(
      [
        'name: no-iommu-vfio',
        'hostname: t1',
        'iommu: { hardware: intel, enabled: false }',
        'vfioPci: loaded',
        'devices:',
        '  - { model: intel-x710-sfp, address: "0000:18:00.0", netdev: ens2f0, numVfs: 1 }',
      ].join('\n'),
      { timing: 'off' },
    );
    hosts.push(h);
    const vf = '/sys/bus/pci/devices/0000:18:02.0';
    expect(await h.entryKind(`${vf}/iommu_group`)).toBeNull();
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:18:02.0');
    await h.writeFile(`${vf}/driver_override`, 'vfio-pci');
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/bind', '0000:18:02.0'))).toBe(
      'EINVAL',
    );
  });

  it('new_id binds every matching unbound device and refuses IDs already in the static table', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/iavf/new_id', '8086 1889'))).toBe(
      'EEXIST',
    );
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/new_id', '8086'))).toBe(
      'EINVAL',
    );
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.5');
    await h.writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:01.6');
    await h.writeFile('/sys/bus/pci/drivers/vfio-pci/new_id', '8086 1889');
    expect(await h.readLink('/sys/bus/pci/devices/0000:3b:01.5/driver')).toMatch(/vfio-pci$/);
    expect(await h.readLink('/sys/bus/pci/devices/0000:3b:01.6/driver')).toMatch(/vfio-pci$/);
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/new_id', '8086 1889'))).toBe(
      'EEXIST',
    );
    expect(await errnoOf(h.writeFile('/sys/bus/pci/drivers/vfio-pci/remove_id', '8086 10ed'))).toBe(
      'ENODEV',
    );
  });
});

describe('host facts', () => {
  it('has no IOMMU groups or units when the kernel did not enable the IOMMU, but keeps the ACPI table', async () => {
    const h = await boot('iommu-off');
    expect(await h.readDir('/sys/class/iommu')).toEqual([]);
    expect(await h.entryKind('/sys/firmware/acpi/tables/DMAR')).toBe('file');
    expect(await h.readFile('/proc/cmdline')).not.toMatch(/intel_iommu=on/);
  });

  it('names VF netdevs after the PF as systemd does', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await h.readDir('/sys/bus/pci/devices/0000:3b:01.3/net')).toEqual(['ens1f0v3']);
    expect(await h.readDir('/sys/bus/pci/devices/0000:5e:00.2/net')).toEqual(['ens2f0v0']);
  });

  it('reads speed as EINVAL on a down interface and -1 without carrier', async () => {
    const h = await boot('mixed-firmware');
    expect(await errnoOf(h.readFile('/sys/class/net/ens6f0np0/speed'))).toBe('EINVAL');
    const d = await boot('dual-socket-e810-cx6');
    expect(await d.readFile('/sys/class/net/ens3f1/speed')).toBe('-1\n');
    expect(await d.readFile('/sys/class/net/ens3f0/speed')).toBe('100000\n');
  });
});
