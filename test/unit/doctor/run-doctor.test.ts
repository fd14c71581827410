import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/doctor/index.js';
import { netdevsimDevice } from '../../../src/host/names.js';
import { cx6, e810, inventory } from './builders.js';

describe('runDoctor', () => {
  it('reports host checks first, then each PF in inventory order', () => {
    const a = e810('0000:3b:00.0', 'ens1f0');
    const b = cx6('0000:5e:00.0', 'ens2f0np0');
    const report = runDoctor(inventory([a, b]));
    const scopes = report.results.map((r) => r.scope);
    const firstPf = scopes.indexOf(a.pciAddress);
    expect(scopes.slice(0, firstPf).every((s) => s === 'host')).toBe(true);
    expect(scopes.lastIndexOf(a.pciAddress)).toBeLessThan(scopes.indexOf(b.pciAddress));
    expect(report.results.map((r) => r.id).slice(0, firstPf)).toEqual([
      'host.sriov-devices',
      'iommu.enabled',
      'iommu.passthrough',
      'iommu.interrupt-remapping',
      'cpu.virtualization',
      'vfio.pci',
    ]);
  });

  it('is pass/info on a healthy host', () => {
    const report = runDoctor(inventory([e810('0000:3b:00.0', 'ens1f0')]));
    expect(report.worst).toBe('info');
  });

  it('takes the worst status: one default-route PF makes it warn, no IOMMU makes it fail', () => {
    const pf = e810('0000:3b:00.0', 'ens1f0', { carriesDefaultRoute: true });
    expect(runDoctor(inventory([pf])).worst).toBe('warn');
    expect(
      runDoctor(inventory([pf], { kernelCmdline: 'ro', iommu: { groupCount: 0 } })).worst,
    ).toBe('fail');
  });

  it('cites where each PF was found: netdevsim devices under their own bus, not PCI', () => {
    const pci = e810('0000:3b:00.0', 'ens1f0');
    const nsim = e810('0000:3b:00.1', 'eth0', {
      pciAddress: netdevsimDevice('netdevsim10'),
      bus: 'netdevsim',
    });
    const r = runDoctor(inventory([pci, nsim])).results[0]!;
    expect(r.evidence).toEqual([
      '/sys/bus/pci/devices/*/sriov_totalvfs: 0000:3b:00.0',
      '/sys/bus/netdevsim/devices/*/sriov_numvfs: netdevsim10',
    ]);
  });

  it('says plainly when there is no SR-IOV device', () => {
    const r = runDoctor(inventory([])).results[0]!;
    expect(r.id).toBe('host.sriov-devices');
    expect(r.title).toBe(
      'No SR-IOV capable devices found on this host (no PCI device under /sys/bus/pci/devices has sriov_totalvfs).',
    );
  });

  it('gives every warn and fail a fix', () => {
    const pf = e810('0000:3b:00.0', 'ens1f0', {
      carriesDefaultRoute: true,
      adminUp: false,
      linkUp: false,
      totalVfs: 0,
      managedBy: [{ manager: 'netplan', evidence: '/etc/netplan/01.yaml' }],
    });
    const report = runDoctor(
      inventory([pf], {
        cpuVirtualization: null,
        iommu: { acpiTable: null, groupCount: 0 },
        vfioPci: { loaded: false },
      }),
    );
    const flagged = report.results.filter((r) => r.status === 'warn' || r.status === 'fail');
    // Everything this inventory gets wrong is flagged, so the loop below has something to check.
    expect(flagged.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'iommu.enabled',
        'cpu.virtualization',
        'vfio.pci',
        'pf.sriov-capable',
        'pf.link',
        'pf.default-route',
        'pf.managed-by',
      ]),
    );
    for (const r of flagged) expect(r.fix, r.id).toBeTruthy();
    // A PF with SR-IOV disabled gets no VF checks: they could only repeat the same problem.
    expect(report.results.some((r) => r.id === 'pf.vf-list')).toBe(false);
  });
});
