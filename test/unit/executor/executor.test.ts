// The executor's device operations on the simulated kernel: VF counts, driver binding and VF
// settings, each checked against the simulator's journal of writes and against read-back.
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindDriver,
  releaseDriver,
  applyVfSettings,
  OperationError,
  setNumVfs,
} from '../../../src/executor/index.js';
import { driverName, ifName, macAddress, pciAddress } from '../../../src/host/names.js';
import { mbps, vlanId } from '../../../src/host/vf-settings.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
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

const E810_1 = pciAddress('0000:3b:00.1');
const E810_0 = pciAddress('0000:3b:00.0');

async function failure(p: Promise<unknown>): Promise<OperationError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OperationError);
  return e as OperationError;
}

describe('setNumVfs', () => {
  it('creates VFs, is a no-op at the same count, and reads the count back', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await setNumVfs(h, E810_1, 4)).toMatchObject({ before: 0, after: 4, writes: ['4'] });
    expect(await setNumVfs(h, E810_1, 4)).toMatchObject({ before: 4, after: 4, writes: [] });
    expect(h.journal.filter((j) => j.op === 'write')).toHaveLength(1);
  });

  it('refuses N → M without allowReset before writing anything, and explains why', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const e = await failure(setNumVfs(h, E810_0, 2));
    expect(e.errno).toBe('EBUSY');
    expect(e.message).toMatch(
      /has 8 VFs; going to 2 means writing 0 first, which destroys every VF/,
    );
    expect(h.journal).toEqual([]);
    const r = await setNumVfs(h, E810_0, 2, { allowReset: true });
    expect(r.writes).toEqual(['0', '2']);
    expect(h.journal.map((j) => j.value)).toEqual(['0', '2']);
  });

  it('maps the kernel errno to the SR-IOV meaning and fix', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const range = await failure(setNumVfs(h, E810_1, 200));
    expect(range.errno).toBe('ERANGE');
    expect(range.message).toContain(
      '200 VFs is more than 0000:3b:00.1 supports (sriov_totalvfs 128)',
    );
    h.faults.add({ op: 'write', target: /sriov_numvfs$/, errno: 'ENOMEM' });
    const mem = await failure(setNumVfs(h, E810_1, 16));
    expect(mem.hint).toContain('pci=realloc');
    // Nothing was created: the host is in a known state and a re-run converges.
    expect(await h.readFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs')).toBe('0\n');
    expect((await setNumVfs(h, E810_1, 16)).after).toBe(16);
  });

  it('catches a driver that accepts a count and enables nothing (bnxt with the link down)', async () => {
    const h = await boot('mixed-firmware');
    const e = await failure(setNumVfs(h, pciAddress('0000:a1:00.0'), 4));
    expect(e.message).toMatch(
      /accepted 4 VFs but enabled 0 — bnxt_en does this while the interface is down/,
    );
    expect(e.hint).toContain('ip link set dev');
  });
});

describe('bindDriver', () => {
  it('moves a VF to vfio-pci through driver_override and clears the override afterwards', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const vf = pciAddress('0000:3b:01.4');
    const r = await bindDriver(h, vf, driverName('vfio-pci'));
    expect(r).toMatchObject({ before: 'iavf', after: 'vfio-pci' });
    expect(r.vfioGroup).toMatch(/^\/dev\/vfio\/\d+$/);
    expect(
      h.journal.map((j) => `${j.target.replace(/.*\/(pci\/)?/, '')} ${JSON.stringify(j.value)}`),
    ).toEqual([
      'driver_override "vfio-pci"',
      'unbind "0000:3b:01.4"',
      'drivers_probe "0000:3b:01.4"',
      'driver_override "\\n"',
    ]);
    expect(await h.readFile(`/sys/bus/pci/devices/${vf}/driver_override`)).toBe('(null)\n');
    // And back to the host driver its ID matches.
    expect(await bindDriver(h, vf, null)).toMatchObject({ before: 'vfio-pci', after: 'iavf' });
    expect(await bindDriver(h, vf, driverName('iavf'))).toMatchObject({ writes: [] });
  });

  it('refuses vfio-pci without an IOMMU group before touching the device', async () => {
    const h = await boot('iommu-off');
    const e = await failure(bindDriver(h, pciAddress('0000:18:02.0'), driverName('vfio-pci')));
    expect(e.message).toContain('has no IOMMU group');
    expect(e.hint).toContain('intel_iommu=on');
    expect(h.journal).toEqual([]);
  });

  it('puts the device back on its driver when the probe fails', async () => {
    const h = await boot('dual-socket-e810-cx6');
    h.faults.add({ op: 'write', target: '/sys/bus/pci/drivers_probe', errno: 'EIO' });
    const vf = pciAddress('0000:3b:01.5');
    await failure(bindDriver(h, vf, driverName('vfio-pci')));
    expect(await h.readLink(`/sys/bus/pci/devices/${vf}/driver`)).toMatch(/iavf$/);
    expect(await h.readFile(`/sys/bus/pci/devices/${vf}/driver_override`)).toBe('(null)\n');
  });

  // A driver can let a device go between the read of its driver link and the unbind (nvme drops
  // QEMU's offline secondary controllers about 0.5 s after binding them: the lab saw it). The
  // kernel then answers the unbind ENODEV, and the device is where it was meant to go.
  for (const target of ['vfio-pci', 'none'] as const)
    it(`${target === 'none' ? 'releaseDriver' : 'bindDriver'}: a driver that lets go of the VF before the unbind is not a failure`, async () => {
      const h = await boot('dual-socket-e810-cx6');
      const vf = pciAddress('0000:3b:01.6');
      const unbind = '/sys/bus/pci/drivers/iavf/unbind';
      h.faults.add({ op: 'write', target: unbind, hang: true });
      const moving =
        target === 'none' ? releaseDriver(h, vf) : bindDriver(h, vf, driverName('vfio-pci'));
      await eventually('the unbind in flight', () => h.faults.fired.length === 1);
      // iavf lets go on its own meanwhile (the rule held only the first unbind).
      await h.writeFile(unbind, vf);
      h.faults.releaseHangs();
      expect(await moving).toMatchObject({
        before: 'iavf',
        after: target === 'none' ? null : 'vfio-pci',
      });
      expect(h.journal.filter((j) => j.target === unbind).map((j) => j.result)).toEqual([
        'ok',
        'ENODEV',
      ]);
    });

  it('releaseDriver still fails when the VF went to another driver meanwhile', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const vf = pciAddress('0000:3b:01.7');
    const unbind = '/sys/bus/pci/drivers/iavf/unbind';
    h.faults.add({ op: 'write', target: unbind, hang: true });
    const releasing = releaseDriver(h, vf);
    await eventually('the unbind in flight', () => h.faults.fired.length === 1);
    // Someone moves it to vfio-pci behind sriovctl's back.
    await h.writeFile(unbind, vf);
    await h.writeFile(`/sys/bus/pci/devices/${vf}/driver_override`, 'vfio-pci');
    await h.writeFile('/sys/bus/pci/drivers_probe', vf);
    h.faults.releaseHangs();
    const e = await failure(releasing);
    expect(e.errno).toBe('ENODEV');
  });
});

describe('applyVfSettings', () => {
  it('applies settings in one batch and verifies them by reading back', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const r = await applyVfSettings(h, ifName('ens1f0'), [
      {
        vf: 0,
        settings: {
          mac: macAddress('02:00:00:00:00:10'),
          vlan: { vlan: vlanId(100), qos: 2, proto: '802.1Q' },
          trust: true,
        },
      },
      {
        vf: 1,
        settings: {
          minTxRate: mbps(1000),
          maxTxRate: mbps(10000),
          spoofchk: false,
          linkState: 'enable',
        },
      },
    ]);
    expect(r.map((x) => [x.vf, x.ok, x.readBack?.state])).toEqual([
      [0, true, 'verified'],
      [1, true, 'verified'],
    ]);
    expect(h.journal.filter((j) => j.op === 'netlink')).toHaveLength(2);
  });

  it('explains a per-driver refusal and still applies the other VFs', async () => {
    const h = await boot('small-82599');
    const r = await applyVfSettings(
      h,
      ifName('enp4s0f1'),
      [
        { vf: 0, settings: { vlan: { vlan: vlanId(10), qos: 0, proto: '802.1ad' } } },
        { vf: 1, settings: { trust: true } },
      ],
      { driver: 'ixgbe' },
    );
    expect(r[0]).toMatchObject({ ok: false, errno: 'EPROTONOSUPPORT' });
    expect(r[0]!.error!.message).toContain('does not support 802.1ad');
    expect(r[1]).toMatchObject({ ok: true, readBack: { state: 'verified' } });
  });

  it('retries a freshly created i40e VF that answers EAGAIN until its reset completes', async () => {
    const h = await boot('iommu-off', { timing: 0.05 });
    await setNumVfs(h, pciAddress('0000:18:00.1'), 2);
    const r = await applyVfSettings(
      h,
      ifName('ens2f1'),
      [{ vf: 0, settings: { mac: macAddress('02:00:00:00:20:00') } }],
      {
        retries: 6,
        retryDelayMs: 20,
      },
    );
    expect(r[0]).toMatchObject({ ok: true, readBack: { state: 'verified' } });
    expect(r[0]!.attempts).toBeGreaterThan(1);
  });

  it('reports a rounded value as a mismatch instead of success', async () => {
    const h = await boot('iommu-off');
    // i40e rounds a max rate below 50 Mbit/s up to 50.
    const [r] = await applyVfSettings(h, ifName('ens2f0'), [
      { vf: 0, settings: { maxTxRate: mbps(20) } },
    ]);
    expect(r!.readBack).toEqual({
      state: 'mismatch',
      fields: [{ field: 'maxTxRate', wanted: 20, found: 50 }],
    });
  });

  it('on a 256-VF PF sets a maximum alone on VFs the dump leaves out, keeping their minimum, and says it could not read them back', async () => {
    const h = await boot('e810-8x256');
    // Out of band: VF 200 has a minimum rate of 100 that no dump shows.
    h.outOfBand([
      { kind: 'vf', pf: ifName('ens1f0'), vf: 200, rate: { minTxRate: 100, maxTxRate: 500 } },
    ]);
    const r = await applyVfSettings(h, ifName('ens1f0'), [
      { vf: 10, settings: { maxTxRate: mbps(2000) } },
      { vf: 200, settings: { maxTxRate: mbps(2000) } },
      { vf: 201, settings: { minTxRate: mbps(0), maxTxRate: mbps(3000), trust: true } },
      { vf: 202, settings: { minTxRate: mbps(50) } },
    ]);
    expect(r[0]).toMatchObject({ ok: true, readBack: { state: 'verified' } });
    // The legacy TX_RATE: the kernel kept VF 200's minimum; nothing had to read it.
    expect(r[1]).toMatchObject({ ok: true, readBack: { state: 'unreadable' } });
    expect(h.pf('ens1f0').sriov!.vfState[200]).toMatchObject({ minTxRate: 100, maxTxRate: 2000 });
    expect(r[2]).toMatchObject({ ok: true, readBack: { state: 'unreadable' } });
    expect(h.pf('ens1f0').sriov!.vfState[201]).toMatchObject({ maxTxRate: 3000, trust: true });
    // A minimum alone needs the current maximum, which no dump reports for VF 202.
    expect(r[3]!.ok).toBe(false);
    expect(r[3]!.error!.hint).toBe(
      'give both minTxRate and maxTxRate for this VF (maxTxRate 0 = no limit)',
    );
    expect(h.pf('ens1f0').sriov!.vfState[202]).toMatchObject({ minTxRate: 0 });
  });
});
