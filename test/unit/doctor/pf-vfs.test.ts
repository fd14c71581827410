import { describe, expect, it } from 'vitest';
import { checkVfIsolation } from '../../../src/doctor/pf-isolation.js';
import { checkVfList } from '../../../src/doctor/pf-netlink.js';
import { pciAddress } from '../../../src/host/names.js';
import { e810, inventory, vfs } from './builders.js';

const PF = pciAddress('0000:3b:00.0');

describe('pf.vf-iommu-groups', () => {
  it('passes when every VF has its own group', () => {
    const pf = e810(PF, 'ens1f0', { numVfs: 4, vfs: vfs(PF, 4) });
    const r = checkVfIsolation(pf, inventory([pf]));
    expect(r.status).toBe('pass');
    expect(r.title).toBe('Each of the 4 VFs has its own IOMMU group');
  });

  it('warns when VFs share a group, listing the members from the inventory', () => {
    const list = vfs(PF, 3).map((vf) => ({ ...vf, iommuGroup: 100 }));
    const pf = e810(PF, 'ens1f0', { numVfs: 3, vfs: list });
    const r = checkVfIsolation(pf, inventory([pf]));
    expect(r.status).toBe('warn');
    expect(r.evidence).toEqual([
      '/sys/kernel/iommu_groups/100/devices: 0000:3b:01.0 (VF 0 of ens1f0), 0000:3b:01.1 (VF 1 of ens1f0), 0000:3b:01.2 (VF 2 of ens1f0)',
    ]);
    expect(r.fix).toContain('ACS');
  });

  it('warns when a VF shares its group with the PF', () => {
    const list = vfs(PF, 2);
    list[1] = { ...list[1]!, iommuGroup: 40 };
    const pf = e810(PF, 'ens1f0', { numVfs: 2, vfs: list });
    const r = checkVfIsolation(pf, inventory([pf]));
    expect(r.status).toBe('warn');
    expect(r.evidence[0]).toContain('0000:3b:00.0 (PF ens1f0)');
  });

  it('fails when the IOMMU is on but VFs have no group', () => {
    const list = vfs(PF, 4).map((vf, i) => (i >= 2 ? { ...vf, iommuGroup: null } : vf));
    const pf = e810(PF, 'ens1f0', { numVfs: 4, vfs: list });
    const r = checkVfIsolation(pf, inventory([pf]));
    expect(r.status).toBe('fail');
    expect(r.title).toContain('VFs 2-3 have no IOMMU group');
  });

  it('is info (not fail) when the IOMMU is off: iommu.enabled already fails', () => {
    const list = vfs(PF, 2).map((vf) => ({ ...vf, iommuGroup: null }));
    const pf = e810(PF, 'ens1f0', { numVfs: 2, vfs: list, iommuGroup: null });
    expect(checkVfIsolation(pf, inventory([pf], { iommu: { groupCount: 0 } })).status).toBe('info');
  });
});

describe('pf.vf-list', () => {
  it('passes when netlink reported every VF, counting the VFs it reported', () => {
    const r = checkVfList(e810(PF, 'ens1f0', { numVfs: 4, vfs: vfs(PF, 4) }));
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual(['ip -d -s link show ens1f0: 4 of 4 VFs reported']);
  });

  it('is info for a PF without a netdev: netlink was not asked, so nothing is claimed reported', () => {
    const nvme = e810(PF, 'unused', {
      netdev: null,
      driver: 'nvme',
      numVfs: 3,
      vfs: vfs(PF, 3).map((v) => ({ ...v, driver: null, netdev: null, config: null })),
    });
    const r = checkVfList(nvme);
    expect(r.status).toBe('info');
    expect(r.title).toBe(
      '0000:3b:00.0 has no netdev: it has no netlink VF list (VF MAC, VLAN and rates do not apply)',
    );
    expect(r.evidence).toEqual(['/sys/bus/pci/devices/0000:3b:00.0/net: no network interface']);
  });

  it('warns with the unreadable VF range, and advises the modelled limit (221), not the count seen', () => {
    const list = vfs(PF, 256).map((v) => (v.vfIndex >= 34 ? { ...v, config: null } : v));
    const pf = e810(PF, 'ens1f0', {
      totalVfs: 256,
      numVfs: 256,
      vfs: list,
      vfListTruncated: true,
      unreadableVfs: Array.from({ length: 222 }, (_, i) => 34 + i),
    });
    const r = checkVfList(pf);
    expect(r.status).toBe('warn');
    expect(r.title).toBe(
      "The kernel's netlink VF list overflowed: sriovctl cannot read settings of VFs 34-255 through `ip link`",
    );
    expect(r.evidence).toEqual([
      'ip -d -s link show ens1f0: Truncated VF list (34 of 256 VFs reported)',
    ]);
    expect(r.fix).toBe(
      "Keep numVfs on ens1f0 at or below 221 if every VF's settings must be readable (the nested VF list, " +
        "221 VFs with per-VF stats, fills the kernel's 64 KiB attribute; above that it wraps); settings of " +
        'VFs 34-255 can still be written but not read back or verified.',
    );
  });

  it('warns, without calling it truncation, when netlink left VFs out of an untruncated list', () => {
    const list = vfs(PF, 4).map((v) => (v.vfIndex >= 2 ? { ...v, config: null } : v));
    const pf = e810(PF, 'ens1f0', { numVfs: 4, vfs: list, unreadableVfs: [2, 3] });
    const r = checkVfList(pf);
    expect(r.status).toBe('warn');
    expect(r.title).toBe('Netlink did not report VFs 2-3 of ens1f0: their settings are unknown');
    expect(r.evidence).toEqual(['ip -d -s link show ens1f0: 2 of 4 VFs reported, not truncated']);
  });
});
