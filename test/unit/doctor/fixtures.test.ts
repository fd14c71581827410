/** The doctor on inventories discovered from the simulated hosts that ship with sriovctl. */
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/doctor/index.js';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';

async function doctorOn(fixture: string) {
  return runDoctor(await discover(await loadSimHost(fixture, { timing: 'off' })));
}

describe('doctor on simulated hosts', () => {
  it('iommu-off: fails iommu.enabled with the Intel kernel-parameter fix', async () => {
    const report = await doctorOn('iommu-off');
    const r = report.results.find((x) => x.id === 'iommu.enabled')!;
    expect(report.worst).toBe('fail');
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('/sys/firmware/acpi/tables/DMAR: present');
    expect(r.evidence).toContain('/sys/kernel/iommu_groups: 0 groups');
    expect(r.fix).toBe(
      'Add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` (Debian/Ubuntu) ' +
        'or `grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.',
    );
  });

  it('dual-socket-e810-cx6: the default route is on the onboard I210 (not SR-IOV), so no PF gets the warning', async () => {
    const report = await doctorOn('dual-socket-e810-cx6');
    // Every SR-IOV PF of the fixture is checked, and none carries the default route.
    expect(
      report.results.filter((x) => x.id === 'pf.default-route').map((x) => [x.scope, x.status]),
    ).toEqual([
      ['0000:3b:00.0', 'pass'],
      ['0000:3b:00.1', 'pass'],
      ['0000:5e:00.0', 'pass'],
      ['0000:5e:00.1', 'pass'],
      ['0000:86:00.0', 'pass'],
      ['0000:86:00.1', 'pass'],
    ]);
    expect(report.results.find((x) => x.id === 'iommu.enabled')!.status).toBe('pass');
  });

  it('small-82599: warns not to repurpose the uplink PF that carries the default route', async () => {
    const report = await doctorOn('small-82599');
    const warned = report.results.filter((x) => x.id === 'pf.default-route' && x.status === 'warn');
    expect(warned.map((x) => x.scope)).toEqual(['0000:04:00.0']);
    expect(warned[0]!.fix).toBe(
      'Manage a different PF, or move the management traffic (the default route) off enp4s0f0 before changing its VFs or driver.',
    );
  });

  it('mixed-firmware: flags the older NVM, the NM-managed port and the bnxt port that is down', async () => {
    const report = await doctorOn('mixed-firmware');
    const warn = (id: string) =>
      report.results.filter((x) => x.id === id && x.status === 'warn').map((x) => x.scope);
    expect(warn('pf.firmware-consistency')).toHaveLength(4);
    expect(warn('pf.managed-by')).toHaveLength(1);
    const link = report.results.find((x) => x.id === 'pf.link' && x.status === 'warn')!;
    expect(link.title).toContain('bnxt_en refuses to create VFs while the interface is down');
  });

  it('e810-8x256: warns that VF settings past the netlink overflow are unreadable', async () => {
    const report = await doctorOn('e810-8x256');
    const r = report.results.find((x) => x.id === 'pf.vf-list')!;
    expect(r.status).toBe('warn');
    expect(r.title).toContain('cannot read settings of VFs 34-255');
  });
});
