// VF settings through the simulated rtnetlink + iproute2: defaults real drivers leave, per-driver
// refusals, the fixed attribute order, the VF-list overflow above ~220 VFs, and ip's batch exits.
import { afterEach, describe, expect, it } from 'vitest';
import type { NetlinkChange, VfChange } from '../../../src/host/host.js';
import { UnsafeInputError } from '../../../src/host/errors.js';
import { ifName, macAddress } from '../../../src/host/names.js';
import { maxVfsInFullList, parsedVfCount } from '../../../src/host/netlink-vf-list.js';
import { loadSimHost, visibleVfCount, type SimHost } from '../../../src/host/sim/index.js';
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

function vf(pf: string, n: number, change: Omit<VfChange, 'kind' | 'pf' | 'vf'>): NetlinkChange {
  return { kind: 'vf', pf: ifName(pf), vf: n, ...change };
}

async function vfInfo(h: SimHost, pf: string, n: number) {
  const link = (await h.linkDump()).links.find((l) => l.ifname === pf);
  return link?.vfs?.find((v) => v.vf === n);
}

describe('link dump', () => {
  it('reports VFs with the defaults each driver leaves: zero MAC, no VLAN, spoofchk per driver', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const ice = await vfInfo(h, 'ens1f0', 0);
    expect(ice).toMatchObject({
      mac: '00:00:00:00:00:00',
      vlan: 0,
      qos: 0,
      minTxRate: 0,
      maxTxRate: 0,
      spoofchk: true,
      trust: false,
      linkState: 'auto',
    });
    const mlx = await vfInfo(h, 'ens2f0np0', 0);
    expect(mlx).toMatchObject({ spoofchk: false, trust: false });
    const dump = await h.linkDump();
    const pfLink = dump.links.find((l) => l.ifname === 'ens1f0')!;
    expect(pfLink).toMatchObject({
      parentBus: 'pci',
      parentDev: '0000:3b:00.0',
      adminUp: true,
      operstate: 'UP',
    });
    expect(pfLink.vfs).toHaveLength(8);
    // A PF without VFs still lists an empty VF list; a VF netdev lists none.
    expect(dump.links.find((l) => l.ifname === 'ens1f1')!.vfs).toEqual([]);
    expect(dump.links.find((l) => l.ifname === 'ens1f0v0')!.vfs).toBeUndefined();
  });

  it('truncates the VF list at the netlink attribute limit: 34 of 256, with a warning', async () => {
    expect(visibleVfCount(64)).toBe(64);
    expect(visibleVfCount(221)).toBe(221);
    expect(visibleVfCount(256)).toBe(34);
    const h = await boot('e810-8x256');
    const dump = await h.linkDump();
    const pf = dump.links.find((l) => l.ifname === 'ens1f0')!;
    expect(pf.vfs).toHaveLength(34);
    expect(pf.vfs!.map((v) => v.vf)).toEqual([...Array(34).keys()]);
    expect(pf.vfListTruncated).toBe(true);
    expect(dump.warnings).toContain('Truncated VF list: ens1f0');
  });

  it('truncates as the real 6.1 kernel measured: all to 220, then 0 at 222, 3 at 225, 8 at 230, 18 at 240, 34 at 256', () => {
    // kernel-lab-facts.md, "The netlink VF list past ~220 VFs": entries `ip link` showed per numVfs.
    const measured: [number, number][] = [
      [200, 200],
      [220, 220],
      [222, 0],
      [225, 3],
      [230, 8],
      [240, 18],
      [256, 34],
    ];
    expect(measured.map(([n]) => [n, visibleVfCount(n)])).toEqual(measured);
    // The wrapped attribute lengths measured (with stats): 2,548 bytes at 230, 10,244 at 256.
    expect((4 + 296 * 230) % 65536).toBe(2548);
    expect((4 + 296 * 256) % 65536).toBe(10244);
    // Without stats (SKIP_STATS) every one of 256 fits, as measured; the limits the doctor cites.
    expect(parsedVfCount(256, { stats: false })).toBe(256);
    expect(maxVfsInFullList()).toBe(221);
    expect(maxVfsInFullList({ stats: false })).toBe(334);
  });

  it('lists every VF at 221 and 0 at 222 on a simulated PF (the model is what the dump does)', async () => {
    const h = await boot('e810-8x256');
    const pf = async (n: number) => {
      await h.writeFile('/sys/class/net/ens2f0/device/sriov_numvfs', '0');
      await h.writeFile('/sys/class/net/ens2f0/device/sriov_numvfs', String(n));
      return (await h.linkDump({ ifname: ifName('ens2f0') })).links[0]!;
    };
    const at221 = await pf(221);
    expect([at221.vfs!.length, at221.vfListTruncated === true]).toEqual([221, false]);
    const at222 = await pf(222);
    expect([at222.vfs!.length, at222.vfListTruncated]).toEqual([0, true]);
  });

  it('a dump asked for some VFs carries only those; the truncation is still said, not hidden', async () => {
    const h = await boot('e810-8x256');
    const full = (await h.linkDump({ ifname: ifName('ens1f0') })).links[0]!;
    const some = await h.linkDump({ ifname: ifName('ens1f0'), vfs: [5, 2, 2, 100] });
    const link = some.links[0]!;
    // VF 100 is past the 34 user space can parse: absent, as in the full dump.
    expect(link.vfs).toEqual([full.vfs![2], full.vfs![5]]);
    expect(link.vfListTruncated).toBe(true);
    expect(some.warnings).toEqual(['Truncated VF list: ens1f0']);
    expect({ ...link, vfs: undefined }).toEqual({ ...full, vfs: undefined });
  });

  it('moves VF counters while traffic is simulated', async () => {
    let now = 1_000_000;
    const h = await boot('dual-socket-e810-cx6', { timing: 'off', clock: () => now });
    h.setTraffic('ens1f0', 2, {
      rxBytesPerSec: 1e6,
      txBytesPerSec: 5e5,
      rxPacketsPerSec: 1000,
      txPacketsPerSec: 500,
      rxDroppedPerSec: 10,
      txDroppedPerSec: 0,
    });
    now += 2000;
    const c = (await vfInfo(h, 'ens1f0', 2))!.counters!;
    expect(c).toMatchObject({
      rxBytes: 2_000_000,
      txBytes: 1_000_000,
      rxPackets: 2000,
      rxDropped: 20,
    });
    h.setTraffic('ens1f0', 2, null);
    now += 5000;
    expect((await vfInfo(h, 'ens1f0', 2))!.counters!.rxBytes).toBe(2_000_000);
  });
});

describe('VF settings', () => {
  it('the legacy rate (IFLA_VF_TX_RATE) keeps the minimum the kernel has, even past a truncated list', async () => {
    const h = await boot('e810-8x256');
    expect(
      await h.linkApply([vf('ens1f0', 250, { rate: { minTxRate: 100, maxTxRate: 500 } })]),
    ).toEqual([{ ok: true }]);
    expect(await h.linkApply([vf('ens1f0', 250, { txRate: 2000 })])).toEqual([{ ok: true }]);
    expect(h.pf('ens1f0').sriov!.vfState[250]).toMatchObject({ minTxRate: 100, maxTxRate: 2000 });
    // Below the kept minimum, or on a VF that does not exist: the kernel's EINVAL.
    const [below, none] = await h.linkApply([
      vf('ens1f0', 250, { txRate: 50 }),
      vf('ens1f0', 300, { txRate: 50 }),
    ]);
    expect([below, none]).toEqual([
      { ok: false, errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' },
      { ok: false, errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' },
    ]);
  });

  it('applies mac, vlan/qos, rates, spoofchk, trust and link state and reads them back', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const r = await h.linkApply([
      vf('ens1f0', 3, {
        mac: macAddress('02:00:00:00:00:03'),
        vlan: { vlan: 100, qos: 3, proto: '802.1Q' },
        rate: { minTxRate: 1000, maxTxRate: 5000 },
        spoofchk: false,
        trust: true,
        linkState: 'disable',
      }),
    ]);
    expect(r).toEqual([{ ok: true }]);
    expect(await vfInfo(h, 'ens1f0', 3)).toMatchObject({
      mac: '02:00:00:00:00:03',
      vlan: 100,
      qos: 3,
      minTxRate: 1000,
      maxTxRate: 5000,
      spoofchk: false,
      trust: true,
      linkState: 'disable',
    });
    // The VF's own netdev follows link-state disable.
    expect(await h.readFile('/sys/class/net/ens1f0v3/operstate')).toBe('down\n');
  });

  it.each([
    ['ixgbe', 'small-82599', 'enp4s0f1', 'EPROTONOSUPPORT'],
    ['mlx5_core', 'dual-socket-e810-cx6', 'ens2f0np0', 'EPROTONOSUPPORT'],
    ['ice (single VLAN mode)', 'dual-socket-e810-cx6', 'ens1f0', 'EPROTONOSUPPORT'],
  ])('refuses 802.1ad on %s', async (_drv, fixture, pf, errno) => {
    const h = await boot(fixture);
    const [r] = await h.linkApply([vf(pf, 0, { vlan: { vlan: 10, qos: 0, proto: '802.1ad' } })]);
    expect(r).toMatchObject({ ok: false, errno });
  });

  it('refuses min_tx_rate on Intel 82599 and bounds max_tx_rate by the link speed', async () => {
    const h = await boot('small-82599');
    expect(
      (await h.linkApply([vf('enp4s0f1', 0, { rate: { minTxRate: 100, maxTxRate: 1000 } })]))[0],
    ).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(
      (await h.linkApply([vf('enp4s0f1', 0, { rate: { minTxRate: 0, maxTxRate: 20000 } })]))[0],
    ).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(
      (await h.linkApply([vf('enp4s0f1', 0, { rate: { minTxRate: 0, maxTxRate: 2000 } })]))[0],
    ).toEqual({ ok: true });
  });

  it('refuses qos above 7, a VF index beyond numvfs and a multicast MAC with EINVAL', async () => {
    const h = await boot('dual-socket-e810-cx6');
    // The seam refuses qos > 7 before it reaches a batch line; the kernel refuses it too (raw ip).
    await expect(
      h.linkApply([vf('ens1f0', 0, { vlan: { vlan: 10, qos: 8, proto: '802.1Q' } })]),
    ).rejects.toBeInstanceOf(UnsafeInputError);
    const raw = h.outOfBand([vf('ens1f0', 0, { vlan: { vlan: 10, qos: 8, proto: '802.1Q' } })]);
    const r = await h.linkApply([
      vf('ens1f0', 8, { trust: true }),
      vf('ens1f0', 1, { mac: macAddress('01:00:5e:00:00:01') }),
    ]);
    expect([...raw, ...r].map((x) => (x.ok ? 'ok' : x.errno))).toEqual([
      'EINVAL',
      'EINVAL',
      'EINVAL',
    ]);
  });

  it('applies attributes in the kernel order and stops at the first refusal, keeping what was applied', async () => {
    const h = await boot('small-82599');
    const [r] = await h.linkApply([
      vf('enp4s0f1', 1, {
        mac: macAddress('02:aa:00:00:00:01'),
        vlan: { vlan: 20, qos: 0, proto: '802.1Q' },
        rate: { minTxRate: 50, maxTxRate: 1000 },
        trust: true,
      }),
    ]);
    expect(r).toMatchObject({ ok: false, errno: 'EINVAL' });
    // MAC and VLAN went in before the rate was refused; trust (after rate) never ran.
    expect(await vfInfo(h, 'enp4s0f1', 1)).toMatchObject({
      mac: '02:aa:00:00:00:01',
      vlan: 20,
      trust: false,
    });
  });

  it('keeps going after a failed line in a batch (ip -force) but not after ip exits', async () => {
    const h = await boot('e810-8x256');
    const r = await h.linkApply([
      vf('ens1f0', 0, { rate: { minTxRate: 0, maxTxRate: 200000 } }),
      vf('ens1f0', 1, { trust: true }),
      // VF 200 is beyond the truncated dump, so ip cannot fill in the missing min rate and exits.
      vf('ens1f0', 200, { rate: { maxTxRate: 1000 } }),
      vf('ens1f0', 201, { trust: true }),
    ]);
    expect(r[0]).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r[1]).toEqual({ ok: true });
    expect(r[2]).toEqual({ ok: false, message: 'Cannot find VF 200' });
    expect(r[3]).toMatchObject({ ok: false });
    expect(h.pf('ens1f0').sriov!.vfState[201]!.trust).toBe(false);
    // Both rate sides given: no lookup, the change reaches the kernel.
    expect(
      await h.linkApply([vf('ens1f0', 200, { rate: { minTxRate: 0, maxTxRate: 1000 } })]),
    ).toEqual([{ ok: true }]);
    expect(h.pf('ens1f0').sriov!.vfState[200]!.maxTxRate).toBe(1000);
  });

  it('answers MAC changes on a freshly created i40e VF with EAGAIN until its reset completes', async () => {
    let now = 5_000_000;
    const h = await boot('iommu-off', { timing: 0.001, clock: () => now });
    await h.writeFile('/sys/bus/pci/devices/0000:18:00.1/sriov_numvfs', '2');
    const set = () => h.linkApply([vf('ens2f1', 0, { mac: macAddress('02:00:00:00:10:00') })]);
    expect((await set())[0]).toMatchObject({ ok: false, errno: 'EAGAIN' });
    now += 10; // the reset window is 1.5 s scaled by 0.001
    expect((await set())[0]).toEqual({ ok: true });
  });

  it('registers VF netdevs late with realistic timing', async () => {
    // Realistic timing: the VF driver probes during the write, its netdev registers 250 ms later.
    // Node fires timers in deadline order, so the write's own (shorter) waits always finish first.
    const h = await boot('dual-socket-e810-cx6', { timing: 'realistic' });
    await h.writeFile('/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs', '2');
    expect(await h.entryKind('/sys/bus/pci/devices/0000:3b:11.0/driver')).toBe('link');
    expect(await h.entryKind('/sys/class/net/ens1f1v0')).toBeNull();
    await eventually(
      'the VF netdev ens1f1v0',
      async () => (await h.entryKind('/sys/class/net/ens1f1v0')) === 'link',
      { pollMs: 20 },
    );
  });

  it('sets PF MTU and admin state; VFs follow the PF link', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(
      await h.linkApply([{ kind: 'link', ifname: ifName('ens1f0'), mtu: 9000, up: false }]),
    ).toEqual([{ ok: true }]);
    expect(await h.readFile('/sys/class/net/ens1f0/mtu')).toBe('9000\n');
    expect(await h.readFile('/sys/class/net/ens1f0v1/operstate')).toBe('down\n');
    await expect(
      h.linkApply([{ kind: 'link', ifname: ifName('ens1f0'), mtu: 20 }]),
    ).rejects.toBeInstanceOf(UnsafeInputError);
    // Above the driver's max_mtu (9702 on E810) the kernel says EINVAL.
    expect(
      (await h.linkApply([{ kind: 'link', ifname: ifName('ens1f0'), mtu: 10000 }]))[0],
    ).toMatchObject({ errno: 'EINVAL' });
    expect((await h.linkApply([{ kind: 'link', ifname: ifName('nope0'), up: true }]))[0]).toEqual({
      ok: false,
      message: 'Cannot find device "nope0"',
    });
  });
});

describe('devlink', () => {
  it('reports eswitch mode for ice/mlx5, none for ixgbe, and refuses ice mode changes while VFs exist', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect(await h.devlinkEswitchMode('0000:3b:00.0' as never)).toBe('legacy');
    await expect(
      h.devlinkSetEswitchMode('0000:3b:00.0' as never, 'switchdev'),
    ).rejects.toMatchObject({ errno: 'EOPNOTSUPP' });
    await h.devlinkSetEswitchMode('0000:5e:00.0' as never, 'switchdev');
    expect(await h.devlinkEswitchMode('0000:5e:00.0' as never)).toBe('switchdev');
    // switchdev creates one representor per VF; legacy VF ops are refused on mlx5.
    expect(await h.entryKind('/sys/class/net/ens2f0npf0vf0')).toBe('link');
    expect(
      (await h.linkApply([vf('ens2f0np0', 0, { vlan: { vlan: 5, qos: 0, proto: '802.1Q' } })]))[0],
    ).toMatchObject({ errno: 'EOPNOTSUPP' });
    const small = await boot('small-82599');
    expect(await small.devlinkEswitchMode('0000:04:00.0' as never)).toBeNull();
    expect(await small.devlinkInfo('0000:04:00.0' as never)).toBeNull();
  });

  it('reports firmware versions the way each driver formats them', async () => {
    const h = await boot('dual-socket-e810-cx6');
    expect((await h.devlinkInfo('0000:3b:00.0' as never))?.running['fw.psid.api']).toBe('4.20');
    expect((await h.ethtoolDriverInfo(ifName('ens2f0np0'))).firmwareVersion).toBe(
      '22.36.1010 (MT_0000000359)',
    );
    expect((await h.ethtoolDriverInfo(ifName('ens1f0v0'))).firmwareVersion).toBe('N/A');
    expect((await h.ethtoolDriverInfo(ifName('ens1f0'))).busInfo).toBe('0000:3b:00.0');
  });
});
