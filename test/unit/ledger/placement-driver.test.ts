// Placement and what a VF can be on this host: VFs the pool's driver cannot take (no IOMMU group,
// vfio-pci not loaded) are excluded before anything is reserved, counted, and the refusal says how
// to fix the host; VFs held by a failed scrub are counted as such; VFs of a PF without a netdev
// (NVMe) are placed by driver alone and refuse every network setting, naming the field.
import { describe, expect, it } from 'vitest';
import {
  networkSettingAsked,
  place,
  poolTakesNetworkSettings,
  resolveVlan,
  type PlacementResult,
} from '../../../src/ledger/placement.js';
import type { AttachRequest, Attachment, Pool, Tenant } from '../../../src/ledger/types.js';
import { vfDriverIncapacity } from '../../../src/ledger/vf-capability.js';
import { attachment, pool, request, simInventory, tenant } from './support.js';
import type { Inventory } from '../../../src/inventory/types.js';

const NVME_PF = '0000:00:02.0';

function run(
  inv: Inventory,
  p: Pool,
  t: Tenant,
  req: AttachRequest,
  attachments: readonly Attachment[] = [],
): PlacementResult {
  return place({
    inv,
    pool: p,
    tenant: t,
    request: req,
    interfaces: Array.from({ length: req.count ?? 1 }, (_, i) => `net${i}`),
    attachments,
    config: { oversubscription: 1 },
  });
}

function refusal(r: PlacementResult) {
  if (r.ok) throw new Error('placement succeeded');
  return r;
}

describe("the pool's driver and what the host can do", () => {
  it('no IOMMU group: vfio-pci VFs are excluded, counted, and the refusal says to enable the IOMMU', async () => {
    const { inv } = await simInventory('iommu-off');
    const vfio = pool('x710', { selector: { pfNames: ['ens2f0'] } });
    const t = tenant('team-a', { pools: ['x710'] });
    const r = refusal(run(inv, vfio, t, request({ tenant: 'team-a', pool: 'x710' })));
    expect(r.code).toBe('vf-driver-unusable');
    expect(r.explanation?.excluded).toEqual([
      { rule: 'without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them', count: 2 },
    ]);
    expect(r.reason).toBe(
      'pool x710 has 0 VFs that fit this request, 1 wanted; 2 in the pool; excluded: 2 without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
    );
    expect(r.fix).toMatch(/^enable the IOMMU \(`intel_iommu=on` or `amd_iommu=on`/);
    // The same VFs on their kernel driver need no IOMMU.
    const host = pool('x710', { selector: { pfNames: ['ens2f0'] }, vfDriver: 'host' });
    expect(run(inv, host, t, request({ tenant: 'team-a', pool: 'x710', count: 2 })).ok).toBe(true);
  });

  it('vfio-pci not loaded (IOMMU on): excluded with `modprobe vfio-pci` as the fix', async () => {
    const { inv } = await simInventory('small-82599');
    expect(inv.host.vfioPci).toMatchObject({ loaded: false, available: true });
    const vfio = pool('vf', { selector: { pfNames: ['enp4s0f1'] } });
    const t = tenant('edge', { pools: ['vf'], vlans: '10' });
    const r = refusal(run(inv, vfio, t, request({ tenant: 'edge', pool: 'vf' })));
    expect(r.code).toBe('vf-driver-unusable');
    expect(r.explanation?.excluded).toEqual([
      { rule: 'for vfio-pci, which is not loaded', count: 4 },
    ]);
    expect(r.fix).toMatch(/^`modprobe vfio-pci`/);
  });

  it('capability is per VF and driver, from the inventory alone', async () => {
    const { inv } = await simInventory('iommu-off');
    const pf = inv.pfs.find((p) => p.netdev === 'ens2f0')!;
    const vf = pf.vfs[0]!;
    expect(vfDriverIncapacity(inv.host, pf, vf, 'host')).toBeNull();
    expect(vfDriverIncapacity(inv.host, pf, vf, 'vfio-pci')?.rule).toMatch(/IOMMU/);
    // With an IOMMU group but no vfio-pci module at all, the fix is to install it.
    const noModule = { ...inv.host, vfioPci: { loaded: false, available: false, evidence: '' } };
    expect(vfDriverIncapacity(noModule, pf, { ...vf, iommuGroup: 7 }, 'vfio-pci')?.rule).toBe(
      'for vfio-pci, which is not installed on this host',
    );
    // A VF already on vfio-pci can stay there.
    expect(
      vfDriverIncapacity(noModule, pf, { ...vf, iommuGroup: 7, driver: 'vfio-pci' }, 'vfio-pci'),
    ).toBeNull();
  });

  it('a VF held by a failed scrub is counted as such, not as attached to a consumer', async () => {
    const { inv } = await simInventory('dual-socket-e810-cx6');
    const ens1 = pool('fast', { selector: { pfNames: ['ens1f0'] } });
    const t = tenant('team-a', { pools: ['fast'] });
    const held = [
      attachment('0000:3b:00.0', 0, { state: 'failed' }),
      attachment('0000:3b:00.0', 1, { state: 'failed' }),
      attachment('0000:3b:00.0', 2),
    ];
    const r = refusal(
      run(inv, ens1, t, request({ tenant: 'team-a', pool: 'fast', count: 8 }), held),
    );
    expect(r.explanation?.excluded).toEqual([
      { rule: 'held after a failed scrub (state failed)', count: 2 },
      { rule: 'attached to a consumer', count: 1 },
    ]);
  });
});

describe('VFs without a network (a PF without a netdev: NVMe)', () => {
  async function nvmeLab() {
    return (
      await simInventory('qemu-nvme-lab', (h) =>
        h.writeFile(`/sys/bus/pci/devices/${NVME_PF}/sriov_numvfs`, '3'),
      )
    ).inv;
  }
  const nvme = pool('nvme', { selector: { pciAddresses: [NVME_PF] } });
  const t = tenant('team-a', { pools: ['nvme'], vlans: '100' });

  it('are placed by driver alone when the request asks for no network setting', async () => {
    const inv = await nvmeLab();
    expect(poolTakesNetworkSettings(nvme, inv)).toBe(false);
    const r = run(inv, nvme, t, request({ tenant: 'team-a', pool: 'nvme', count: 2 }));
    if (!r.ok) throw new Error(r.reason);
    expect(r.choices.map((c) => [c.pf.pciAddress, c.pf.netdev, c.vf.vfIndex])).toEqual([
      [NVME_PF, null, 0],
      [NVME_PF, null, 1],
    ]);
    // The tenant's only VLAN is not given to a VF that has no network.
    expect(
      resolveVlan(request({ tenant: 'team-a', pool: 'nvme' }), t, {
        pool: nvme,
        takesSettings: false,
      }),
    ).toEqual({ ok: true, vlan: 0 });
  });

  for (const [field, value] of [
    ['mac', '02:00:00:00:00:01'],
    ['qos', 3],
    ['minTxRate', 100],
    ['maxTxRate', 1000],
    ['trust', true],
    ['spoofchk', false],
    ['linkState', 'enable'],
  ] as const) {
    it(`refuse ${field}, naming the field and why`, async () => {
      const inv = await nvmeLab();
      const tt = tenant('team-a', { pools: ['nvme'], vlans: '100', allowTrust: true });
      const r = refusal(
        run(inv, nvme, tt, request({ tenant: 'team-a', pool: 'nvme', [field]: value })),
      );
      expect(r).toMatchObject({ code: 'not-a-network-vf', field });
      expect(r.reason).toBe(
        `pool nvme holds VFs whose PF has no netdev (NVMe, accelerators): they are passed through by driver alone and take no network settings, so ${field} (${JSON.stringify(value)}) cannot be set; leave ${field} out`,
      );
    });
  }

  it('refuse a VLAN at the VLAN rule, with the same reason', async () => {
    const req = request({ tenant: 'team-a', pool: 'nvme', vlan: 100 });
    expect(networkSettingAsked(req)).toEqual({ field: 'vlan', value: 100 });
    expect(resolveVlan(req, t, { pool: nvme, takesSettings: false })).toMatchObject({
      ok: false,
      code: 'not-a-network-vf',
    });
  });

  it('in a pool that also has PFs with a netdev, the PF without one is excluded instead', async () => {
    const inv = await nvmeLab();
    // A second PF like the first, but with a netdev: the pool then takes network settings.
    const nvmePf = inv.pfs[0]!;
    const netPf = {
      ...nvmePf,
      pciAddress: '0000:00:03.0' as typeof nvmePf.pciAddress,
      netdev: 'eth9',
    };
    const withNet: Inventory = { ...inv, pfs: [nvmePf, netPf] };
    const mixed = pool('mixed', { selector: { pciAddresses: [NVME_PF, '0000:00:03.0'] } });
    expect(poolTakesNetworkSettings(mixed, withNet)).toBe(true);
    const tt = tenant('team-a', { pools: ['mixed'], vlans: '100' });
    const r = run(
      withNet,
      mixed,
      tt,
      request({ tenant: 'team-a', pool: 'mixed', vlan: 100, count: 3 }),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.choices.map((c) => c.pf.netdev)).toEqual(['eth9', 'eth9', 'eth9']);
    expect(r.explanation.excluded).toEqual([
      { rule: 'PF has no netdev (VF settings are made through it)', count: 3 },
    ]);
  });
});
