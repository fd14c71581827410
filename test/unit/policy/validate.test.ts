/** Validation against the host: firmware caps, driver refusals, the IOMMU, MACs. */
import { describe, expect, it } from 'vitest';
import { inventory, resolve, texts } from './support.js';

const E810 = 'dual-socket-e810-cx6';

describe('validation: numVfs and firmware caps', () => {
  it('names the mlx5 firmware cap and the mlxconfig command to raise it', async () => {
    const r = await resolve(E810, ['cx6', { selector: { pfNames: ['ens2f0np0'] }, numVfs: 32 }]);
    expect(texts(r.errors)).toEqual([
      'cx6.yaml:9:3: spec.numVfs: 32 is above totalVfs 16 of ens2f0np0 (0000:5e:00.0) — raise the firmware cap with mlxconfig -d 0000:5e:00.0 set SRIOV_EN=1 NUM_OF_VFS=32 and reboot',
    ]);
  });

  it('says 63 is the ixgbe driver cap', async () => {
    const r = await resolve('small-82599', ['x', { selector: { drivers: ['ixgbe'] }, numVfs: 64 }]);
    expect(r.errors.map((e) => e.message)).toEqual([
      "64 is above totalVfs 63 of enp4s0f0 (0000:04:00.0) — 63 is the ixgbe driver's cap and cannot be raised; use at most 63 VFs or a NIC with more (E810: 256 per port)",
      "64 is above totalVfs 63 of enp4s0f1 (0000:04:00.1) — 63 is the ixgbe driver's cap and cannot be raised; use at most 63 VFs or a NIC with more (E810: 256 per port)",
    ]);
  });

  it('points ice users at the NVM/BIOS', async () => {
    const r = await resolve(E810, ['e', { selector: { pfNames: ['ens1f0'] }, numVfs: 200 }]);
    expect(r.errors.map((e) => e.message)).toEqual([
      "200 is above totalVfs 128 of ens1f0 (0000:3b:00.0) — the cap comes from the NVM (E810 supports up to 256 per port): raise it in the BIOS/HII device settings or with Intel's EPCT tool and reboot, or use at most 128",
    ]);
  });
});

describe('validation: VF settings', () => {
  const ens1f0 = { pfNames: ['ens1f0'] };

  it('refuses a minimum rate above the maximum, and qos or 802.1ad without a VLAN', async () => {
    const r = await resolve(E810, [
      'p',
      {
        selector: ens1f0,
        numVfs: 4,
        vfGroups: [
          { range: '0-1', minTxRate: 5000, maxTxRate: 1000 },
          { range: '2', qos: 3 },
          { range: '3', vlanProto: '802.1ad' },
        ],
      },
    ]);
    expect(texts(r.errors)).toEqual([
      'p.yaml:12:7: spec.vfGroups[0].minTxRate: 5000 is above maxTxRate 1000 — the guaranteed rate cannot exceed the cap; lower minTxRate or raise maxTxRate (0 = no cap)',
      'p.yaml:15:7: spec.vfGroups[1].qos: 3 needs a VLAN — the 802.1p priority travels in the VLAN tag; set vlan (1-4094) or remove qos',
      'p.yaml:17:7: spec.vfGroups[2].vlanProto: 802.1ad needs a VLAN — set vlan (1-4094) or remove vlanProto',
    ]);
  });

  it('accepts maxTxRate 0 (no cap) with any minimum', async () => {
    const r = await resolve(E810, [
      'p',
      { selector: ens1f0, numVfs: 2, vfGroups: [{ minTxRate: 500, maxTxRate: 0 }] },
    ]);
    expect(r.errors).toEqual([]);
  });

  it('refuses MAC lists whose length differs from the range, and multicast MACs', async () => {
    const r = await resolve(E810, [
      'p',
      {
        selector: ens1f0,
        numVfs: 4,
        vfGroups: [
          { range: '0-2', mac: ['02:00:00:00:00:01', '02:00:00:00:00:02'] },
          { range: '3', mac: ['01:00:5e:00:00:01'] },
        ],
      },
    ]);
    expect(texts(r.errors)).toEqual([
      'p.yaml:12:7: spec.vfGroups[0].mac: has 2 MACs for the 3 VFs 0-2 of ens1f0 (0000:3b:00.0) — give one MAC per VF, in range order, or use mac: auto',
      'p.yaml:17:11: spec.vfGroups[1].mac[0]: 01:00:5e:00:00:01 is a multicast address — a VF needs a unicast MAC (even first octet, e.g. 02:...)',
    ]);
  });

  it('refuses one MAC on two VFs across policies and files', async () => {
    const r = await resolve(
      E810,
      [
        'a',
        {
          selector: ens1f0,
          numVfs: 2,
          vfGroups: [{ mac: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }],
        },
      ],
      [
        'b',
        { selector: { pfNames: ['ens1f1'] }, numVfs: 1, vfGroups: [{ mac: '02:00:00:00:00:02' }] },
      ],
    );
    expect(texts(r.errors)).toEqual([
      'b.yaml:11:7: spec.vfGroups[0].mac[0]: 02:00:00:00:00:02 (VF 0 of ens1f1 (0000:3b:00.1)) is also the MAC of VF 1 of ens1f0 (0000:3b:00.0) from policy "a" (a.yaml:13) — every VF needs its own MAC',
    ]);
  });

  it('refuses an MTU above what the driver accepts', async () => {
    const r = await resolve(E810, [
      'p',
      { selector: { drivers: ['mlx5_core'] }, numVfs: 1, mtu: 9900, vfGroups: [{ mtu: 9990 }] },
    ]);
    expect(r.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.vfGroups[0].mtu: 9990 is above the largest MTU mlx5_core VFs accept on ens2f0np0 (0000:5e:00.0) (9978) — use at most 9978',
      'spec.vfGroups[0].mtu: 9990 is above the largest MTU mlx5_core VFs accept on ens2f1np1 (0000:5e:00.1) (9978) — use at most 9978',
    ]);
    const ice = await resolve(E810, ['q', { selector: ens1f0, numVfs: 1, mtu: 9800 }]);
    expect(ice.errors.map((e) => e.message)).toEqual([
      '9800 is above the largest MTU ice accepts on ens1f0 (0000:3b:00.0) (9702) — use at most 9702',
    ]);
  });

  it('warns about a VF MTU above the PF MTU and an MTU on vfio-pci VFs', async () => {
    const r = await resolve(E810, [
      'p',
      {
        selector: ens1f0,
        numVfs: 2,
        vfGroups: [
          { range: '0', mtu: 9000 },
          { range: '1', driver: 'vfio-pci', mtu: 9000 },
        ],
      },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => `${w.field}: ${w.message}`)).toEqual([
      'spec.vfGroups[0].mtu: 9000 is above the PF MTU of ens1f0 (0000:3b:00.0) (1500) — frames larger than the PF MTU are dropped on the uplink on most NICs; raise spec.mtu to at least 9000',
      'spec.vfGroups[1].mtu: is ignored for vfio-pci VFs — they have no host netdev; the guest or application sets its own MTU',
    ]);
  });
});

describe('validation: driver capabilities', () => {
  it('warns that ixgbe refuses 802.1ad and minTxRate, and rates above the link speed', async () => {
    const r = await resolve('small-82599', [
      'p',
      {
        selector: { pfNames: ['enp4s0f1'] },
        numVfs: 4,
        vfGroups: [{ vlan: 10, vlanProto: '802.1ad', minTxRate: 100, maxTxRate: 20000 }],
      },
    ]);
    expect(r.errors).toEqual([]);
    expect(texts(r.warnings)).toEqual([
      'p.yaml:12:7: spec.vfGroups[0].vlanProto: 802.1ad on enp4s0f1 (0000:04:00.1): ixgbe refuses 802.1ad VF VLANs (EPROTONOSUPPORT) — use 802.1Q, or a NIC that does QinQ on VFs (ice in double VLAN mode)',
      'p.yaml:13:7: spec.vfGroups[0].minTxRate: 100 is not supported by ixgbe on enp4s0f1 (0000:04:00.1) (the kernel refuses min_tx_rate with EINVAL) — remove minTxRate; only maxTxRate works on this NIC',
      'p.yaml:14:7: spec.vfGroups[0].maxTxRate: 20000 is above the link speed of enp4s0f1 (0000:04:00.1) (10000 Mbit/s) — drivers refuse a rate above the link speed (EINVAL); use at most 10000',
    ]);
  });

  it('warns that ice takes 802.1ad only in double VLAN mode', async () => {
    const r = await resolve(E810, [
      'p',
      {
        selector: { pfNames: ['ens1f0'] },
        numVfs: 1,
        vfGroups: [{ vlan: 10, vlanProto: '802.1ad' }],
      },
    ]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      '802.1ad on ens1f0 (0000:3b:00.0): ice accepts it only in double VLAN mode (DVM), otherwise the kernel refuses it (EPROTONOSUPPORT) — check the DDP package/NVM enable DVM, or use 802.1Q',
    ]);
  });

  it('refuses switchdev on drivers without a devlink eswitch, and only warns for legacy', async () => {
    const sw = await resolve('small-82599', [
      'p',
      { selector: { pfNames: ['enp4s0f1'] }, numVfs: 4, eswitchMode: 'switchdev' },
    ]);
    expect(texts(sw.errors)).toEqual([
      'p.yaml:10:3: spec.eswitchMode: switchdev is not supported on enp4s0f1 (0000:04:00.1): ixgbe has no devlink eswitch — remove eswitchMode, or use a switchdev-capable NIC (ice, mlx5_core)',
    ]);
    const legacy = await resolve('iommu-off', [
      'p',
      { selector: { pfNames: ['ens2f0'] }, numVfs: 2, eswitchMode: 'legacy' },
    ]);
    expect(legacy.errors).toEqual([]);
    expect(legacy.warnings.map((w) => w.message)).toEqual([
      'legacy is the only mode i40e has on ens2f0 (0000:18:00.0) (no devlink eswitch) — remove eswitchMode',
    ]);
  });

  it('refuses VLAN, spoofchk and trust through the PF on mlx5 in switchdev mode', async () => {
    const r = await resolve(E810, [
      'p',
      {
        selector: { pfNames: ['ens2f0np0'] },
        numVfs: 2,
        eswitchMode: 'switchdev',
        vfGroups: [{ vlan: 5, trust: true, maxTxRate: 1000 }],
      },
    ]);
    expect(r.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.vfGroups[0].vlan: cannot be set through the PF on ens2f0np0 (0000:5e:00.0) in switchdev mode (mlx5 answers EOPNOTSUPP) — configure it on the VF representor (OVS/tc) instead, or use eswitchMode legacy',
      'spec.vfGroups[0].trust: cannot be set through the PF on ens2f0np0 (0000:5e:00.0) in switchdev mode (mlx5 answers EOPNOTSUPP) — configure it on the VF representor (OVS/tc) instead, or use eswitchMode legacy',
    ]);
  });

  it('refuses vfio-pci VFs when the IOMMU is off, with the kernel command line fix', async () => {
    const r = await resolve('iommu-off', [
      'dpdk',
      { selector: { drivers: ['i40e'] }, numVfs: 2, vfGroups: [{ driver: 'vfio-pci' }] },
    ]);
    // One message for both PFs: the IOMMU is host-wide.
    expect(texts(r.errors)).toEqual([
      'dpdk.yaml:11:7: spec.vfGroups[0].driver: vfio-pci needs the IOMMU, which is off on this host (no IOMMU groups) — enable VT-d in the BIOS and add intel_iommu=on iommu=pt to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)',
    ]);
  });
});

describe('validation: PFs that need care', () => {
  it('warns when a policy changes the PF that carries the default route', async () => {
    const r = await resolve('small-82599', ['p', { selector: { drivers: ['ixgbe'] }, numVfs: 4 }]);
    expect(r.errors).toEqual([]);
    expect(texts(r.warnings)).toEqual([
      'p.yaml:6:3: spec.selector: selects enp4s0f0 (0000:04:00.0), which carries the default route, and changes it (numVfs 0 → 4) — apply will refuse unless explicitly overridden; select the PF only if it is meant to be repurposed',
    ]);
  });

  it('takes an NVMe PF (no netdev) by address: numVfs and vfio-pci only', async () => {
    const ok = await resolve('qemu-nvme-lab', [
      'nvme',
      {
        selector: { vendor: '1b36', deviceID: '0010' }, // QEMU's NVMe
        numVfs: 7,
        vfGroups: [{ range: '0-3', driver: 'vfio-pci' }],
      },
    ]);
    expect(ok.errors).toEqual([]);
    const nvme = (await inventory('qemu-nvme-lab')).pfs[0]!;
    expect(ok.desired[0]).toMatchObject({ pciAddress: nvme.pciAddress, netdev: null, numVfs: 7 });
    expect(ok.desired[0]!.vfs.map((v) => `${v.vfIndex}:${v.driver}`)).toEqual([
      '0:vfio-pci',
      '1:vfio-pci',
      '2:vfio-pci',
      '3:vfio-pci',
    ]);
    const bad = await resolve('qemu-nvme-lab', [
      'nvme',
      { selector: { drivers: ['nvme'] }, numVfs: 2, vfGroups: [{ mac: 'auto' }] },
    ]);
    expect(bad.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      `spec.vfGroups[0].mac: cannot be set on VFs of ${nvme.pciAddress}: the PF has no network interface (nvme), and VF settings go through it — remove mac; only numVfs and driver apply to this PF`,
    ]);
  });
});

describe('validation: rates the kernel cannot set on VFs it does not report (256-VF PFs)', () => {
  const ens1f0 = { pfNames: ['ens1f0'] };

  it('refuses a minimum rate alone on VFs past the netlink VF list, at the field, before anything runs', async () => {
    const r = await resolve('e810-8x256', [
      'far',
      { selector: ens1f0, numVfs: 256, vfGroups: [{ range: '30-40', minTxRate: 100 }] },
    ]);
    expect(r.errors.map((e) => [e.field, e.message])).toEqual([
      [
        'spec.vfGroups[0].minTxRate',
        "cannot be set alone on VFs 34-40 of ens1f0 (0000:17:00.0): the kernel sets minTxRate only together with maxTxRate, and it does not report these VFs' current maxTxRate (they are past its netlink VF list) — give maxTxRate too (0 = no limit)",
      ],
    ]);
  });

  it('accepts a maximum alone there (the kernel keeps the minimum), and both together', async () => {
    const r = await resolve('e810-8x256', [
      'far',
      {
        selector: ens1f0,
        numVfs: 256,
        vfGroups: [
          { range: '200-210', maxTxRate: 1000 },
          { range: '211-220', minTxRate: 10, maxTxRate: 1000 },
        ],
      },
    ]);
    expect(r.errors).toEqual([]);
  });

  it('predicts the VFs a new count leaves out from the modelled limit (230 VFs: only 0-7 reported)', async () => {
    const r = await resolve('e810-8x256', [
      'grow',
      {
        selector: { pfNames: ['ens2f0'] },
        numVfs: 230,
        vfGroups: [{ range: '0-9', minTxRate: 5 }],
      },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^cannot be set alone on VFs 8-9 of ens2f0 /),
    ]);
  });
});
