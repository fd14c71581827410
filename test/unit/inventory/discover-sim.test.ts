/**
 * Discovery on the simulated kernel's shipped fixtures: realistic hosts end to end through the
 * same seam, checking the facts each fixture is built to show.
 */
import { describe, expect, it } from 'vitest';
import { listFixtures, loadSimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';

describe('discover on the simulated kernel', () => {
  it.each(listFixtures())(
    'reads fixture %s without crashing and without unexplained gaps',
    async (name) => {
      const inv = await discover(await loadSimHost(name, { timing: 'off' }));
      expect(inv.pfs.length).toBeGreaterThan(0);
      for (const pf of inv.pfs) {
        // Every VF sysfs shows is in the snapshot, and every unknown VF config is accounted for.
        expect(pf.vfs).toHaveLength(pf.numVfs);
        expect(
          pf.vfs.filter((v) => v.config === null && pf.netdev !== null).map((v) => v.vfIndex),
        ).toEqual(pf.unreadableVfs);
        if (pf.unreadableVfs.length > 0) {
          expect(
            inv.issues.some((i) => i.pciAddress === pf.pciAddress && /unknown/.test(i.message)),
          ).toBe(true);
        }
      }
      expect(Object.isFrozen(inv.pfs)).toBe(true);
    },
  );

  it('reports the 8 x 256 host with every VF and the kernel-truncated lists marked unreadable', async () => {
    const inv = await discover(await loadSimHost('e810-8x256', { timing: 'off' }));
    expect(inv.pfs).toHaveLength(8);
    for (const pf of inv.pfs) {
      expect(pf.vfs).toHaveLength(256);
      expect(pf.vfListTruncated).toBe(true);
      expect(pf.vfs.filter((v) => v.config !== null).length + pf.unreadableVfs.length).toBe(256);
    }
    expect(inv.issues.filter((i) => i.code === 'vf-list-truncated')).toHaveLength(8);
  });

  it('sees the host without an IOMMU as such', async () => {
    const inv = await discover(await loadSimHost('iommu-off', { timing: 'off' }));
    expect(inv.host.iommu.groupCount).toBe(0);
    const vfs = inv.pfs.flatMap((p) => p.vfs);
    expect(vfs.length).toBeGreaterThan(0);
    expect(vfs.every((v) => v.iommuGroup === null)).toBe(true);
  });

  it('finds the double-managed and default-route PFs', async () => {
    const small = await discover(await loadSimHost('small-82599', { timing: 'off' }));
    const routed = small.pfs.filter((p) => p.carriesDefaultRoute);
    expect(routed.map((p) => p.netdev)).toEqual(small.host.defaultRouteIfnames);
    expect(routed[0]!.managedBy.map((c) => c.manager)).toContain('netplan');
    const mixed = await discover(await loadSimHost('mixed-firmware', { timing: 'off' }));
    expect(mixed.pfs.some((p) => p.managedBy.some((c) => c.manager === 'NetworkManager'))).toBe(
      true,
    );
    expect(new Set(mixed.pfs.map((p) => p.firmware.version)).size).toBeGreaterThan(1);
  });
});
