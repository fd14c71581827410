import { describe, expect, it } from 'vitest';
import { checkFirmwareConsistency } from '../../../src/doctor/consistency.js';
import { cx6, e810, inventory } from './builders.js';

describe('pf.firmware-consistency', () => {
  it('passes for ports of one model on the same firmware and driver', () => {
    const a = e810('0000:3b:00.0', 'ens1f0');
    const b = e810('0000:3b:00.1', 'ens1f1');
    expect(checkFirmwareConsistency(a, inventory([a, b])).status).toBe('pass');
  });

  it('ignores PFs of other models', () => {
    const a = e810('0000:3b:00.0', 'ens1f0');
    const c = cx6('0000:5e:00.0', 'ens2f0np0');
    expect(checkFirmwareConsistency(a, inventory([a, c])).title).toBe(
      'Only PF of its model (8086:1592)',
    );
  });

  it('warns with every address and version when firmware differs across same-model PFs', () => {
    const a = cx6('0000:5e:00.0', 'ens2f0np0');
    const b = cx6('0000:d8:00.0', 'ens5f0np0', {
      firmware: { version: '22.31.1014', running: {}, stored: {}, source: 'devlink' },
    });
    const r = checkFirmwareConsistency(b, inventory([a, b]));
    expect(r.status).toBe('warn');
    expect(r.title).toBe(
      'Firmware versions differ across 2 Mellanox Technologies MT2892 Family [ConnectX-6 Dx] (15b3:101d) PFs',
    );
    expect(r.evidence).toEqual([
      '0000:5e:00.0 (ens2f0np0): firmware 22.36.1010, driver mlx5_core 6.1.0-18-amd64',
      '0000:d8:00.0 (ens5f0np0): firmware 22.31.1014, driver mlx5_core 6.1.0-18-amd64 (this PF)',
    ]);
    expect(r.fix).toBe(
      'Update the NVM/firmware with `mlxfwmanager -u` so all 15b3:101d ports run the same version, then reboot.',
    );
  });

  it('warns when only the driver version differs', () => {
    const a = e810('0000:3b:00.0', 'ens1f0');
    const b = e810('0000:3b:00.1', 'ens1f1', { driverVersion: '1.12.7' });
    const r = checkFirmwareConsistency(a, inventory([a, b]));
    expect(r.status).toBe('warn');
    expect(r.title).toMatch(/^Driver versions differ/);
    expect(r.fix).toBe('Load the same ice build for all 8086:1592 ports.');
  });
});

describe('pf.firmware-consistency with devlink details', () => {
  it('catches an NVM difference hidden behind an equal headline version (ice fw.mgmt)', () => {
    const fw = (psid: string) => ({
      version: '7.3.4',
      running: { 'fw.mgmt': '7.3.4', 'fw.psid.api': psid },
      stored: {},
      source: 'devlink' as const,
    });
    const a = e810('0000:41:00.0', 'ens4f0', { firmware: fw('4.20') });
    const b = e810('0000:81:00.0', 'ens5f0', { firmware: fw('4.01') });
    const r = checkFirmwareConsistency(a, inventory([a, b]));
    expect(r.status).toBe('warn');
    expect(r.evidence).toEqual([
      '0000:41:00.0 (ens4f0): firmware 7.3.4, fw.psid.api 4.20, driver ice 6.1.0-18-amd64 (this PF)',
      '0000:81:00.0 (ens5f0): firmware 7.3.4, fw.psid.api 4.01, driver ice 6.1.0-18-amd64',
    ]);
    expect(r.fix).toBe(
      "Update the NVM/firmware with Intel's NVM Update Utility (nvmupdate64e) so all 8086:1592 ports run the same version, then reboot.",
    );
  });
});
