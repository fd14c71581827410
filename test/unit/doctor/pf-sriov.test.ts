import { describe, expect, it } from 'vitest';
import { checkPfDriver, checkSriovCapable, checkTotalVfs } from '../../../src/doctor/pf-sriov.js';
import { cx6, e810 } from './builders.js';

describe('pf.sriov-capable', () => {
  it('passes with totalVfs > 0', () => {
    const r = checkSriovCapable(e810('0000:3b:00.0', 'ens1f0'));
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual(['/sys/bus/pci/devices/0000:3b:00.0/sriov_totalvfs: 128']);
  });

  it('fails on an mlx5 card with SRIOV_EN=0, with the mlxconfig fix for that PCI address', () => {
    const r = checkSriovCapable(cx6('0000:5e:00.0', 'ens2f0np0', { totalVfs: 0 }));
    expect(r.status).toBe('fail');
    expect(r.fix).toBe(
      'Enable SR-IOV in the adapter firmware: `mlxconfig -d 0000:5e:00.0 set SRIOV_EN=1 NUM_OF_VFS=8` ' +
        '(8 = the number of VFs you need), then reboot or run `mlxfwreset -d 0000:5e:00.0 reset`.',
    );
  });

  it('points other vendors at the BIOS/NVM SR-IOV setting', () => {
    const r = checkSriovCapable(e810('0000:3b:00.0', 'ens1f0', { totalVfs: 0 }));
    expect(r.fix).toMatch(/^Enable SR-IOV in the BIOS\/UEFI setup/);
  });
});

describe('pf.driver', () => {
  it('passes when a driver with sriov_configure is bound', () => {
    const r = checkPfDriver(e810('0000:3b:00.0', 'ens1f0'));
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual([
      '/sys/bus/pci/devices/0000:3b:00.0/driver: -> ice (version 6.1.0-18-amd64)',
    ]);
  });

  it('fails when unbound, naming the module to load for an E810', () => {
    const r = checkPfDriver(
      e810('0000:3b:00.0', 'ens1f0', { driver: null, driverVersion: null, netdev: null }),
    );
    expect(r.status).toBe('fail');
    expect(r.title).toContain('ENOENT');
    expect(r.fix).toBe(
      'Bind the PF to its network driver: `modprobe ice`, then `echo 0000:3b:00.0 > /sys/bus/pci/drivers_probe`.',
    );
  });

  it('fails when the driver lacks sriov_configure', () => {
    const r = checkPfDriver(e810('0000:3b:00.0', 'ens1f0', { sriovConfigurable: false }));
    expect(r.status).toBe('fail');
    expect(r.title).toBe(
      'Driver ice does not implement sriov_configure: writing sriov_numvfs fails with ENOENT',
    );
  });

  it('fails when the PF sits on vfio-pci and says how to hand it back', () => {
    const r = checkPfDriver(e810('0000:3b:00.0', 'ens1f0', { driver: 'vfio-pci', netdev: null }));
    expect(r.status).toBe('fail');
    expect(r.fix).toContain('/sys/bus/pci/drivers/ice/bind');
  });

  it('is info when sriov_configure support is unknown', () => {
    expect(checkPfDriver(e810('0000:3b:00.0', 'ens1f0', { sriovConfigurable: null })).status).toBe(
      'info',
    );
  });
});

describe('pf.total-vfs', () => {
  it('explains the mlx5 firmware limit and how to raise it', () => {
    const r = checkTotalVfs(cx6('0000:5e:00.0', 'ens2f0np0'));
    expect(r.status).toBe('info');
    expect(r.title).toBe('totalVfs 16, numVfs 0: firmware-limited (mlxconfig NUM_OF_VFS)');
    expect(r.fix).toBe(
      'To raise it: `mlxconfig -d 0000:5e:00.0 set NUM_OF_VFS=<n>`, then reboot or run `mlxfwreset -d 0000:5e:00.0 reset`.',
    );
  });

  it('explains ixgbe capping at 63', () => {
    const r = checkTotalVfs(
      e810('0000:04:00.0', 'enp4s0f0', { driver: 'ixgbe', deviceId: '10fb', totalVfs: 63 }),
    );
    expect(r.title).toContain('ixgbe caps it at 63');
  });
});
