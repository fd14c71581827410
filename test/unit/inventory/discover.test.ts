import { afterEach, describe, expect, it } from 'vitest';
import type { LinkInfo, VfInfo } from '../../../src/host/host.js';
import type { IfName, MacAddress } from '../../../src/host/names.js';
import { discover } from '../../../src/inventory/discover.js';
import { VF_LINK_ENTRY_PREFIX, VF_SYSFS_ENTRIES } from '../../../src/inventory/sysfs-entries.js';
import { SysfsTree, vfAddress, type TreePf } from './support/sysfs-tree.js';
import { TreeHost, type ScriptedCommands } from './support/tree-host.js';

const trees: SysfsTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});

function tree(): SysfsTree {
  const t = new SysfsTree();
  trees.push(t);
  return t.intelHost();
}

/** An X710 port with 8 VFs bound to iavf, as i40e lays them out (offset 16, stride 1). */
const X710: TreePf = {
  pci: '0000:3b:00.0',
  vendor: '8086',
  device: '1572',
  subsystemDevice: '0001',
  driver: 'i40e',
  totalVfs: 64,
  numVfs: 8,
  offset: 16,
  stride: 1,
  vfDevice: '154c',
  numaNode: 0,
  iommuGroup: 27,
  netdev: { name: 'enp59s0f0', mac: '3c:fd:fe:a0:00:01', mtu: 9000, speed: '10000\n' },
  vfDriver: 'iavf',
  vfNetdevs: true,
};

function vfInfo(vf: number, extra: Partial<VfInfo> = {}): VfInfo {
  return {
    vf,
    mac: '00:00:00:00:00:00' as MacAddress,
    vlan: 0,
    qos: 0,
    vlanProto: '802.1Q',
    minTxRate: 0,
    maxTxRate: 0,
    spoofchk: true,
    trust: false,
    linkState: 'auto',
    ...extra,
  };
}

function pfLink(name: string, pci: string, vfs: VfInfo[] | undefined, truncated = false): LinkInfo {
  return {
    ifindex: 4,
    ifname: name as IfName,
    adminUp: true,
    lowerUp: true,
    operstate: 'UP',
    mtu: 9000,
    parentBus: 'pci',
    parentDev: pci,
    ...(vfs ? { vfs } : {}),
    ...(truncated ? { vfListTruncated: true } : {}),
  };
}

function x710Commands(extra: ScriptedCommands = {}): ScriptedCommands {
  return {
    linkDump: {
      links: [
        pfLink(
          'enp59s0f0',
          X710.pci,
          [0, 1, 2, 3, 4, 5, 6, 7].map((i) => vfInfo(i)),
        ),
      ],
      warnings: [],
    },
    ethtool: {
      enp59s0f0: {
        driver: 'i40e',
        version: '6.1.0-18-amd64',
        firmwareVersion: '9.20 0x8000d95e 1.3353.0',
        busInfo: X710.pci,
      },
    },
    ...extra,
  };
}

describe('discover', () => {
  it('finds a PF and its VFs through virtfn links, with drivers, groups and netdevs', async () => {
    const t = tree().pf(X710);
    const inv = await discover(new TreeHost(t.root, x710Commands()));

    expect(inv.issues).toEqual([]);
    expect(inv.pfs).toHaveLength(1);
    const pf = inv.pfs[0]!;
    expect(pf).toMatchObject({
      pciAddress: '0000:3b:00.0',
      vendorId: '8086',
      deviceId: '1572',
      subsystemVendorId: '8086',
      subsystemDeviceId: '0001',
      classCode: '020000',
      vendorName: 'Intel Corporation',
      deviceName: 'Ethernet Controller X710 for 10GbE SFP+',
      vfDeviceId: '154c',
      driver: 'i40e',
      driverOverride: null,
      sriovConfigurable: true,
      driverVersion: '6.1.0-18-amd64',
      firmware: { version: '9.20 0x8000d95e 1.3353.0', source: 'ethtool' },
      netdev: 'enp59s0f0',
      mac: '3c:fd:fe:a0:00:01',
      mtu: 9000,
      adminUp: true,
      linkUp: true,
      speedMbps: 10000,
      numaNode: 0,
      iommuGroup: 27,
      totalVfs: 64,
      numVfs: 8,
      vfOffset: 16,
      vfStride: 1,
      driversAutoprobe: true,
      eswitchMode: null,
      carriesDefaultRoute: false,
      managedBy: [],
      vfListTruncated: false,
      unreadableVfs: [],
    });
    expect(pf.vfs.map((v) => v.pciAddress)).toEqual([
      '0000:3b:02.0',
      '0000:3b:02.1',
      '0000:3b:02.2',
      '0000:3b:02.3',
      '0000:3b:02.4',
      '0000:3b:02.5',
      '0000:3b:02.6',
      '0000:3b:02.7',
    ]);
    expect(pf.vfs[3]).toEqual({
      vfIndex: 3,
      pciAddress: '0000:3b:02.3',
      deviceId: '154c',
      driver: 'iavf',
      driverOverride: null,
      netdev: 'enp59s0f0v3',
      // The scripted link dump has no VF netdev links, so the MTU is unknown.
      netdevMtu: null,
      iommuGroup: pf.vfs[0]!.iommuGroup! + 3,
      numaNode: 0,
      config: {
        mac: '00:00:00:00:00:00',
        vlan: 0,
        qos: 0,
        vlanProto: '802.1Q',
        minTxRate: 0,
        maxTxRate: 0,
        spoofchk: true,
        trust: false,
        linkState: 'auto',
        counters: null,
      },
    });
    expect(inv.host).toMatchObject({
      hostname: 'node1',
      kernelRelease: '6.1.0-18-amd64',
      cpuVirtualization: 'vmx',
    });
  });

  it('returns a deeply frozen snapshot', async () => {
    const inv = await discover(new TreeHost(tree().pf(X710).root, x710Commands()));
    expect(Object.isFrozen(inv)).toBe(true);
    expect(Object.isFrozen(inv.pfs[0]!.vfs[0]!.config)).toBe(true);
    expect(() => {
      (inv.pfs[0]!.vfs as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('reads VF settings from the PF link and copies counters, trust and spoofchk as reported', async () => {
    const t = tree().pf(X710);
    const counters = {
      rxBytes: 1,
      rxPackets: 2,
      rxMulticast: 3,
      rxBroadcast: 4,
      rxDropped: 5,
      txBytes: 6,
      txPackets: 7,
      txDropped: 8,
    };
    const vfs = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
      i === 2
        ? vfInfo(2, {
            mac: '02:aa:00:00:00:02' as MacAddress,
            vlan: 100,
            qos: 3,
            vlanProto: '802.1ad',
            maxTxRate: 1000,
            minTxRate: 10,
            linkState: 'disable',
            counters,
          })
        : { ...vfInfo(i), spoofchk: undefined, trust: undefined },
    ) as VfInfo[];
    const inv = await discover(
      new TreeHost(
        t.root,
        x710Commands({ linkDump: { links: [pfLink('enp59s0f0', X710.pci, vfs)], warnings: [] } }),
      ),
    );
    const pf = inv.pfs[0]!;
    expect(pf.vfs[2]!.config).toEqual({
      mac: '02:aa:00:00:00:02',
      vlan: 100,
      qos: 3,
      vlanProto: '802.1ad',
      minTxRate: 10,
      maxTxRate: 1000,
      spoofchk: true,
      trust: false,
      linkState: 'disable',
      counters,
    });
    // -1 ("not reported") stays unknown rather than becoming false.
    expect(pf.vfs[0]!.config).toMatchObject({ spoofchk: null, trust: null });
  });

  it('marks VFs missing from a truncated netlink list as unreadable, never as unset', async () => {
    // ice with 256 VFs: the kernel's nested VF list overflows and only VFs 0-33 arrive.
    const t = tree().pf({
      ...X710,
      device: '159b',
      driver: 'ice',
      totalVfs: 256,
      numVfs: 256,
      offset: 8,
      stride: 1,
      vfDevice: '1889',
      vfNetdevs: false,
    });
    const listed = Array.from({ length: 34 }, (_, i) => vfInfo(i));
    const host = new TreeHost(t.root, {
      linkDump: {
        links: [pfLink('enp59s0f0', X710.pci, listed, true)],
        warnings: ['Truncated VF list: enp59s0f0'],
      },
    });
    const pf = (await discover(host)).pfs[0]!;

    expect(pf.vfs).toHaveLength(256);
    expect(pf.vfListTruncated).toBe(true);
    expect(pf.unreadableVfs).toEqual(Array.from({ length: 222 }, (_, i) => 34 + i));
    expect(pf.vfs.filter((v) => v.config === null).map((v) => v.vfIndex)).toEqual(pf.unreadableVfs);
    expect(pf.vfs[33]!.config).not.toBeNull();
    const inv = await discover(host);
    const truncated = inv.issues.filter((i) => i.code === 'vf-list-truncated');
    expect(truncated).toHaveLength(1);
    expect(truncated[0]!.message).toContain('VFs 34-255 (222 of 256)');
    expect(truncated[0]!.message).toContain('unknown, not unset');
    expect(truncated[0]!.pciAddress).toBe(X710.pci);
  });

  it('reports VF settings as unknown when the link dump fails, and keeps everything sysfs knows', async () => {
    const t = tree().pf(X710);
    const inv = await discover(new TreeHost(t.root, { linkDump: { errno: 'EIO' } }));
    const pf = inv.pfs[0]!;
    expect(pf.vfs).toHaveLength(8);
    expect(pf.vfs.every((v) => v.config === null)).toBe(true);
    expect(pf.unreadableVfs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(inv.issues.map((i) => i.code)).toEqual(
      expect.arrayContaining(['command-failed', 'vf-config-unreadable']),
    );
  });

  it('skips a PF whose vendor ID is garbage, naming the file', async () => {
    const t = tree()
      .pf(X710)
      .pf({ ...X710, pci: '0000:5e:00.0', netdev: null, vfNetdevs: false, numVfs: 0 });
    t.write('/sys/devices/pci0000:00/0000:5e:00.0/vendor', '0xzz\n');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs.map((p) => p.pciAddress)).toEqual(['0000:3b:00.0']);
    expect(inv.issues).toEqual([
      {
        code: 'malformed-value',
        path: '/sys/bus/pci/devices/0000:5e:00.0/vendor',
        message: 'expected a hex ID like 0x0000, found "0xzz"',
        pciAddress: '0000:5e:00.0',
      },
      expect.objectContaining({ code: 'pf-skipped', path: '/sys/bus/pci/devices/0000:5e:00.0' }),
    ]);
  });

  it('keeps a PF whose sriov_numvfs is garbage, counting its virtfn links and saying so', async () => {
    const t = tree().pf(X710);
    t.write('/sys/devices/pci0000:00/0000:3b:00.0/sriov_numvfs', 'abc\n');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs[0]!.numVfs).toBe(8);
    expect(inv.issues).toEqual([
      expect.objectContaining({
        code: 'malformed-value',
        path: '/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs',
        message: 'expected an unsigned decimal number, found "abc"',
      }),
    ]);
  });

  it('skips a device whose sriov_totalvfs is garbage', async () => {
    const t = tree().pf(X710);
    t.write('/sys/devices/pci0000:00/0000:3b:00.0/sriov_totalvfs', '-4\n');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs).toEqual([]);
    expect(inv.issues.map((i) => [i.code, i.path])).toEqual([
      ['malformed-value', '/sys/bus/pci/devices/0000:3b:00.0/sriov_totalvfs'],
      ['pf-skipped', '/sys/bus/pci/devices/0000:3b:00.0'],
    ]);
  });

  it('keeps a VF whose driver link dangles, as unbound, with an issue naming the link', async () => {
    const t = tree().pf(X710);
    const vf = vfAddress(X710.pci, 16, 1, 5);
    t.link(`${t.deviceDir(vf)}/driver`, '../../../bus/pci/drivers/gone_driver');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    const v5 = inv.pfs[0]!.vfs[5]!;
    expect(v5).toMatchObject({ vfIndex: 5, pciAddress: vf, driver: null });
    expect(inv.issues).toEqual([
      expect.objectContaining({ code: 'dangling-link', path: `/sys/bus/pci/devices/${vf}/driver` }),
    ]);
    expect(inv.issues[0]!.message).toContain('gone_driver');
  });

  it('skips a VF whose virtfn link points somewhere odd, and one that leads to no device', async () => {
    const t = tree().pf(X710);
    const pfDir = t.deviceDir(X710.pci);
    t.link(`${pfDir}/virtfn2`, '../../../kernel/something');
    t.unlink(t.deviceDir(vfAddress(X710.pci, 16, 1, 6)));
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    const pf = inv.pfs[0]!;
    expect(pf.vfs.map((v) => v.vfIndex)).toEqual([0, 1, 3, 4, 5, 7]);
    expect(inv.issues.map((i) => [i.code, i.path])).toEqual([
      ['malformed-value', '/sys/bus/pci/devices/0000:3b:00.0/virtfn2'],
      ['dangling-link', '/sys/bus/pci/devices/0000:3b:00.0/virtfn6'],
    ]);
    expect(inv.issues[0]!.message).toMatch(
      /^VF 2 skipped: expected a link to a sibling PCI device/,
    );
  });

  it('flags a virtfn link that disagrees with sriov_offset and sriov_stride, trusting the link', async () => {
    const t = tree().pf(X710);
    t.write('/sys/devices/pci0000:00/0000:3b:00.0/sriov_offset', '17\n');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs[0]!.vfs[0]!.pciAddress).toBe('0000:3b:02.0');
    expect(inv.issues).toEqual([
      expect.objectContaining({
        code: 'vf-address-mismatch',
        path: '/sys/bus/pci/devices/0000:3b:00.0/virtfn0',
      }),
    ]);
    expect(inv.issues[0]!.message).toContain('(8 VFs disagree)');
  });

  it('reports a dangling VF iommu_group link and a garbage VF numa_node with their paths', async () => {
    const t = tree().pf(X710);
    const vf1 = t.deviceDir(vfAddress(X710.pci, 16, 1, 1));
    t.link(`${vf1}/iommu_group`, '../../../kernel/iommu_groups/9999');
    t.write(`${vf1}/numa_node`, 'zero\n');
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    const v1 = inv.pfs[0]!.vfs[1]!;
    expect(v1.iommuGroup).toBeNull();
    expect(v1.numaNode).toBe(0); // the PF's node, with the issue below
    expect(inv.issues.map((i) => [i.code, i.path])).toEqual([
      ['dangling-link', '/sys/bus/pci/devices/0000:3b:02.1/iommu_group'],
      ['malformed-value', '/sys/bus/pci/devices/0000:3b:02.1/numa_node'],
    ]);
  });

  it('folds an entry missing on many VFs into one issue', async () => {
    const t = tree().pf(X710);
    for (let i = 0; i < 8; i++)
      t.unlink(`${t.deviceDir(vfAddress(X710.pci, 16, 1, i))}/driver_override`);
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs[0]!.vfs.map((v) => v.driverOverride)).toEqual(Array(8).fill(null));
    expect(inv.issues).toEqual([
      expect.objectContaining({
        code: 'missing-entry',
        path: '/sys/bus/pci/devices/0000:3b:02.0/driver_override',
        message:
          "expected the VF's driver_override to exist; it is missing (also missing on 7 more VFs of this PF)",
      }),
    ]);
  });

  it('reads speed as unknown when the kernel refuses it (down) or prints -1', async () => {
    const down = tree().pf({ ...X710, netdev: { ...X710.netdev!, operstate: 'down' } });
    const speedPath = '/sys/class/net/enp59s0f0/speed';
    const inv = await discover(
      new TreeHost(down.root, x710Commands({ readFaults: { [speedPath]: 'EINVAL' } })),
    );
    expect(inv.pfs[0]).toMatchObject({ speedMbps: null, linkUp: false });
    expect(inv.issues).toEqual([]);

    const unknown = tree().pf({ ...X710, netdev: { ...X710.netdev!, speed: '-1\n' } });
    const inv2 = await discover(new TreeHost(unknown.root, x710Commands()));
    expect(inv2.pfs[0]!.speedMbps).toBeNull();
  });

  it("heads with ethtool's firmware string, keeps devlink's versions, and survives devlink and ethtool failing", async () => {
    const t = tree().pf({ ...X710, device: '159b', driver: 'ice' });
    const devlink = {
      handle: `pci/${X710.pci}`,
      driver: 'ice',
      fixed: { 'board.id': 'K65390-000' },
      running: { 'fw.mgmt': '2.1.7', 'fw.undi': '1.2581.0' },
      stored: { 'fw.mgmt': '2.1.7' },
    };
    const commands = x710Commands({
      devlinkInfo: { [X710.pci]: devlink },
      eswitch: { [X710.pci]: 'legacy' },
    });
    const inv = await discover(new TreeHost(t.root, commands));
    // ethtool's NVM/EETRACK/OROM string is what vendors publish and admins compare.
    expect(inv.pfs[0]!.firmware).toEqual({
      version: '9.20 0x8000d95e 1.3353.0',
      running: devlink.running,
      stored: devlink.stored,
      source: 'ethtool',
    });
    expect(inv.pfs[0]!.eswitchMode).toBe('legacy');

    // Without an ethtool firmware string, devlink's running fw stands in.
    const tNa = tree().pf({ ...X710, device: '159b', driver: 'ice' });
    const na = { ...commands.ethtool!.enp59s0f0!, firmwareVersion: 'N/A' };
    const invNa = await discover(
      new TreeHost(tNa.root, { ...commands, ethtool: { enp59s0f0: na } }),
    );
    expect(invNa.pfs[0]!.firmware).toMatchObject({ version: '2.1.7', source: 'devlink' });

    const t2 = tree().pf({ ...X710, device: '159b', driver: 'ice' });
    const inv2 = await discover(
      new TreeHost(
        t2.root,
        x710Commands({
          devlinkInfo: { [X710.pci]: { errno: 'EIO' } },
          ethtool: { enp59s0f0: { errno: 'EIO' } },
          eswitch: { [X710.pci]: { errno: 'EOPNOTSUPP' } },
        }),
      ),
    );
    expect(inv2.pfs[0]).toMatchObject({
      firmware: { version: null, source: 'none' },
      driverVersion: null,
      eswitchMode: null,
    });
    expect(inv2.issues.map((i) => [i.code, i.path])).toEqual([
      ['command-failed', 'devlink dev info pci/0000:3b:00.0'],
      ['command-failed', 'ethtool -i enp59s0f0'],
    ]);
  });

  it('takes the driver version from /sys/module when there is no netdev', async () => {
    const t = tree().pf({
      ...X710,
      vendor: '1b36',
      device: '0010',
      driver: 'nvme',
      classCode: '010802',
      vfDevice: '10',
      netdev: null,
      vfDriver: null,
      numVfs: 2,
      offset: 1,
      stride: 1,
    });
    t.write('/sys/module/nvme/version', '1.0\n');
    const inv = await discover(new TreeHost(t.root, {}));
    expect(inv.pfs[0]).toMatchObject({
      deviceName: 'QEMU NVM Express Controller',
      classCode: '010802',
      vfDeviceId: '0010',
      driverVersion: '1.0',
      netdev: null,
      sriovConfigurable: true,
      unreadableVfs: [],
      vfListTruncated: false,
    });
    expect(inv.pfs[0]!.vfs.map((v) => v.config)).toEqual([null, null]);
    expect(inv.issues).toEqual([]);
  });

  it('decides sriovConfigurable for vfio-pci from its enable_sriov parameter', async () => {
    const t = tree().pf({ ...X710, driver: 'vfio-pci', netdev: null, numVfs: 0 });
    t.write('/sys/module/vfio_pci/parameters/enable_sriov', 'Y\n');
    expect((await discover(new TreeHost(t.root, {}))).pfs[0]!.sriovConfigurable).toBe(true);
    t.write('/sys/module/vfio_pci/parameters/enable_sriov', 'N\n');
    expect((await discover(new TreeHost(t.root, {}))).pfs[0]!.sriovConfigurable).toBe(false);
    const u = tree().pf({ ...X710, driver: 'some_oot_driver', netdev: null, numVfs: 0 });
    expect((await discover(new TreeHost(u.root, {}))).pfs[0]!.sriovConfigurable).toBeNull();
  });

  it('sees a default route that runs through a bond over the PF', async () => {
    const t = tree().pf(X710);
    t.mkdir('/sys/devices/virtual/net/bond0').link(
      '/sys/class/net/bond0',
      '../../devices/virtual/net/bond0',
    );
    t.link(
      '/sys/devices/virtual/net/bond0/lower_enp59s0f0',
      '../../../pci0000:00/0000:3b:00.0/net/enp59s0f0',
    );
    t.mkdir('/sys/devices/virtual/net/bond0.100').link(
      '/sys/class/net/bond0.100',
      '../../devices/virtual/net/bond0.100',
    );
    t.link('/sys/devices/virtual/net/bond0.100/lower_bond0', '../bond0');
    const inv = await discover(
      new TreeHost(
        t.root,
        x710Commands({
          defaultRoutes: [{ family: 'inet', dev: 'bond0.100' as IfName, gateway: '10.0.0.1' }],
        }),
      ),
    );
    expect(inv.pfs[0]!.carriesDefaultRoute).toBe(true);
    expect(inv.host.defaultRouteIfnames).toEqual(['bond0.100']);
  });

  it('names NetworkManager, netplan and systemd-networkd when they claim the PF, with evidence', async () => {
    const t = tree().pf(X710);
    t.write('/run/NetworkManager/devices/4', '[device]\nmanaged=true\n')
      .write(
        '/etc/NetworkManager/system-connections/sriov.nmconnection',
        '[connection]\nid=sriov\ntype=ethernet\ninterface-name=enp59s0f0\n\n[sriov]\ntotal-vfs=8\n',
      )
      .write(
        '/etc/NetworkManager/system-connections/other.nmconnection',
        '[connection]\ninterface-name=enp59s0f0v1\n',
      )
      .write(
        '/etc/netplan/50-cloud-init.yaml',
        'network:\n  version: 2\n  ethernets:\n    enp59s0f0:\n      virtual-function-count: 8\n',
      )
      .write(
        '/etc/netplan/60-vf.yaml',
        '# enp59s0f0 is configured elsewhere\nnetwork:\n  ethernets:\n    enp59s0f0v1: {}\n',
      )
      .write('/run/systemd/network/10-netplan-enp59s0f0.network', '[Match]\nName=enp59s0f0\n')
      .write(
        '/run/systemd/netif/links/4',
        'ADMIN_STATE=configured\nOPER_STATE=routable\nNETWORK_FILE=/run/systemd/network/10-netplan-enp59s0f0.network\n',
      );
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs[0]!.managedBy).toEqual([
      {
        manager: 'NetworkManager',
        evidence: '/etc/NetworkManager/system-connections/sriov.nmconnection',
      },
      { manager: 'NetworkManager', evidence: '/run/NetworkManager/devices/4' },
      { manager: 'netplan', evidence: '/etc/netplan/50-cloud-init.yaml' },
      { manager: 'netplan', evidence: '/run/systemd/network/10-netplan-enp59s0f0.network' },
      { manager: 'systemd-networkd', evidence: '/run/systemd/netif/links/4' },
    ]);
  });

  it('does not claim a PF that NetworkManager lists as unmanaged or networkd leaves alone', async () => {
    const t = tree().pf(X710);
    t.write('/run/NetworkManager/devices/4', '[device]\nmanaged=false\n').write(
      '/run/systemd/netif/links/4',
      'ADMIN_STATE=unmanaged\n',
    );
    const inv = await discover(new TreeHost(t.root, x710Commands()));
    expect(inv.pfs[0]!.managedBy).toEqual([]);
  });

  it('reads a constant number of entries per VF, listing the PF directory once', async () => {
    const perVf = async (numVfs: number) => {
      const t = tree().pf({ ...X710, numVfs, totalVfs: 64, vfNetdevs: false });
      const host = new TreeHost(t.root, {});
      await discover(host);
      const vfCalls = host.calls.filter(
        (c) => /0000:3b:0[2-9a-f]\.[0-7]/.test(c) && !c.includes('/virtfn'),
      );
      const virtfnCalls = host.calls.filter((c) => c.includes(`/${VF_LINK_ENTRY_PREFIX}`));
      const pfDirListings = host.calls.filter(
        (c) => c === 'readDir /sys/bus/pci/devices/0000:3b:00.0',
      );
      return {
        vfCalls: vfCalls.length,
        virtfnCalls: virtfnCalls.length,
        total: host.calls.length,
        pfDirListings: pfDirListings.length,
      };
    };
    const small = await perVf(4);
    const large = await perVf(40);
    // Per VF: exactly its entries. VFs are not probed for the PF marker: the PF's links claimed them.
    expect(small.vfCalls).toBe(4 * VF_SYSFS_ENTRIES.length);
    expect(large.vfCalls).toBe(40 * VF_SYSFS_ENTRIES.length);
    expect(large.virtfnCalls).toBe(40);
    expect(large.pfDirListings).toBe(1);
    // Everything else is per PF or per host: 36 more VFs cost exactly 36 * (entries + virtfn link).
    expect(large.total - small.total).toBe(36 * (VF_SYSFS_ENTRIES.length + 1));
  });

  it('returns an empty inventory with issues rather than throwing on an empty machine', async () => {
    const t = new SysfsTree();
    trees.push(t);
    const inv = await discover(new TreeHost(t.root, {}));
    expect(inv.pfs).toEqual([]);
    expect(inv.issues.map((i) => i.path)).toContain('/sys/bus/pci/devices');
    expect(inv.host.iommu).toMatchObject({
      acpiTable: null,
      units: [],
      groupCount: 0,
      interruptRemapping: null,
    });
  });
});
