// netdevsim on the simulated 6.1 kernel (linux-sriov-abi.md §5, kernel-lab-facts.md): the bus
// files, sriov_numvfs and debugfs max_vfs errnos, the VF ndos' checks, VF configs that survive
// disable, u16 rates, switchdev representors, devlink handles and the 256-VF dump truncation.
import { afterEach, describe, expect, it } from 'vitest';
import { MalformedHostError } from '../../../src/host/errors.js';
import type { NetlinkChange, VfChange } from '../../../src/host/host.js';
import { devlinkHandle, ifName, macAddress } from '../../../src/host/names.js';
import { simHostFromYaml, type SimHost, type SimOptions } from '../../../src/host/sim/index.js';
import { NSIM_VF_OPS, scanUints } from '../../../src/host/sim/netdevsim.js';
import { errnoOf } from '../../support/errno.js';
import { eventually } from '../../support/eventually.js';

const BUS = '/sys/bus/netdevsim';
const DEV = `${BUS}/devices/netdevsim10`;
const NUMVFS = `${DEV}/sriov_numvfs`;
const MAXVFS = '/sys/kernel/debug/netdevsim/netdevsim10/max_vfs';
const HANDLE = devlinkHandle('netdevsim/netdevsim10');

const hosts: SimHost[] = [];
/** The lab guest after a test ran `echo "10 1" > /sys/bus/netdevsim/new_device`. */
async function lab(opts: SimOptions = { timing: 'off' }): Promise<SimHost> {
  return fromYaml('  - { id: 10, ports: 1, portNames: [eth0] }', opts);
}
async function fromYaml(netdevsim: string, opts: SimOptions = { timing: 'off' }) {
  const h = await simHostFromYaml(
    `name: t\nhostname: t\ndevices:\n  - model: qemu-nvme\n    address: 0000:00:04.0\nnetdevsim:\n${netdevsim}`,
    opts,
  );
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

function vf(n: number, change: Omit<VfChange, 'kind' | 'pf' | 'vf'>, pf = 'eth0'): NetlinkChange {
  return { kind: 'vf', pf: ifName(pf), vf: n, ...change };
}

async function link(h: SimHost, name = 'eth0') {
  return (await h.linkDump()).links.find((l) => l.ifname === name);
}

async function vfInfo(h: SimHost, n: number) {
  return (await link(h))?.vfs?.find((v) => v.vf === n);
}

/** One change through ip -batch; the kernel's errno, or ok, or ip's own message. */
async function apply(h: SimHost, c: NetlinkChange): Promise<string> {
  const [r] = await h.linkApply([c]);
  return r!.ok ? 'ok' : (r!.errno ?? r!.message);
}

const ctx = (vfIdx: number, numVfs: number) => ({
  vf: vfIdx,
  numVfs,
  pfLinkUp: true,
  pfSpeedMbps: 0,
  eswitchMode: 'legacy' as const,
  vfInReset: false,
  doubleVlanMode: false,
});

describe('bus and device layout', () => {
  it('boots netdevsim10 with port eth0 as `echo "10 1" > new_device` leaves it', async () => {
    const h = await lab();
    expect(await h.readLink(DEV)).toBe('../../../devices/netdevsim10');
    expect(await h.readLink('/sys/devices/netdevsim10/driver')).toBe(
      '../../bus/netdevsim/drivers/netdevsim',
    );
    expect(await h.readDir(`${DEV}/net`)).toEqual(['eth0']);
    expect(await h.readLink('/sys/class/net/eth0')).toBe('../../devices/netdevsim10/net/eth0');
    expect(await h.readLink('/sys/class/net/eth0/device')).toBe('../../../netdevsim10');
    expect(await h.readFile('/sys/class/net/eth0/phys_port_name')).toBe('p1\n');
    expect(await h.readFile(NUMVFS)).toBe('0\n');
    expect(await h.readFile(MAXVFS)).toBe('4\n');
  });

  it('has no sriov_totalvfs, offset or stride', async () => {
    const h = await lab();
    for (const f of ['sriov_totalvfs', 'sriov_offset', 'sriov_stride'])
      expect(await h.entryKind(`${DEV}/${f}`)).toBeNull();
    expect(await h.readDir(DEV)).toEqual(
      expect.arrayContaining(['sriov_numvfs', 'new_port', 'del_port', 'net']),
    );
  });

  it('new_device creates ports named eth%d as the kernel allocates them, default 1 port', async () => {
    const h = await lab();
    await h.writeFile(`${BUS}/new_device`, '11 2');
    expect(await h.readDir(`${BUS}/devices/netdevsim11/net`)).toEqual(['eth1', 'eth2']);
    await h.writeFile(`${BUS}/new_device`, '12\n');
    expect(await h.readDir(`${BUS}/devices/netdevsim12/net`)).toEqual(['eth3']);
  });

  it('new_device: bad format or id above INT_MAX is EINVAL, a used id ENOSPC', async () => {
    const h = await lab();
    for (const bad of ['\n', 'abc', '-1', '2147483648'])
      expect(await errnoOf(h.writeFile(`${BUS}/new_device`, bad))).toBe('EINVAL');
    expect(await errnoOf(h.writeFile(`${BUS}/new_device`, '10 1'))).toBe('ENOSPC');
  });

  it('del_device: unknown id is ENOENT, bad format EINVAL; deleting removes ports and dirs', async () => {
    const h = await lab();
    expect(await errnoOf(h.writeFile(`${BUS}/del_device`, '99'))).toBe('ENOENT');
    expect(await errnoOf(h.writeFile(`${BUS}/del_device`, 'x'))).toBe('EINVAL');
    await h.writeFile(`${BUS}/del_device`, '10');
    expect(await h.entryKind(DEV)).toBeNull();
    expect(await h.entryKind('/sys/devices/netdevsim10')).toBeNull();
    expect(await h.entryKind('/sys/class/net/eth0')).toBeNull();
    expect(await h.entryKind('/sys/kernel/debug/netdevsim/netdevsim10')).toBeNull();
    await h.writeFile(`${BUS}/new_device`, '10');
  });

  it('probes asynchronously: sriov_numvfs is ENOENT and net/ empty until the probe ran', async () => {
    const h = await lab({ timing: 1 });
    await h.writeFile(`${BUS}/new_device`, '20 1');
    expect(await h.readDir(`${BUS}/devices/netdevsim20/net`)).toEqual([]);
    expect(await errnoOf(h.writeFile(`${BUS}/devices/netdevsim20/sriov_numvfs`, '1'))).toBe(
      'ENOENT',
    );
    await eventually(
      'the probe of netdevsim20',
      async () => (await h.readDir(`${BUS}/devices/netdevsim20/net`)).length > 0,
    );
    expect(await h.readDir(`${BUS}/devices/netdevsim20/net`)).toEqual(['eth1']);
  });

  it('new_port / del_port: EEXIST, ENOENT, EINVAL', async () => {
    const h = await lab();
    expect(await errnoOf(h.writeFile(`${DEV}/new_port`, '0'))).toBe('EEXIST');
    expect(await errnoOf(h.writeFile(`${DEV}/new_port`, 'x'))).toBe('EINVAL');
    await h.writeFile(`${DEV}/new_port`, '1');
    expect(await h.readFile('/sys/class/net/eth1/phys_port_name')).toBe('p2\n');
    expect(await errnoOf(h.writeFile(`${DEV}/del_port`, '7'))).toBe('ENOENT');
    await h.writeFile(`${DEV}/del_port`, '1');
    expect(await h.entryKind('/sys/class/net/eth1')).toBeNull();
  });

  it('the kernel-side sscanf("%u %u %u"): no sign, stops at a non-digit, 32-bit store', () => {
    expect(scanUints('10 1 4', 3)).toEqual([10, 1, 4]);
    expect(scanUints('10abc', 3)).toEqual([10]);
    expect(scanUints('-1', 3)).toEqual([]);
    expect(scanUints('4294967306', 1)).toEqual([10]);
  });
});

describe('sriov_numvfs', () => {
  it('kstrtouint errors as-is: EINVAL for junk and signs, ERANGE from 2^32', async () => {
    const h = await lab();
    for (const bad of ['abc', '-1', '\n'])
      expect(await errnoOf(h.writeFile(NUMVFS, bad))).toBe('EINVAL');
    expect(await errnoOf(h.writeFile(NUMVFS, '4294967296'))).toBe('ERANGE');
  });

  it('same value is a no-op success, both non-zero is EBUSY', async () => {
    const h = await lab();
    expect(await errnoOf(h.writeFile(NUMVFS, '0'))).toBe('ok');
    await h.writeFile(NUMVFS, '0x2'); // kstrtouint base 0
    expect(await h.readFile(NUMVFS)).toBe('2\n');
    expect(await errnoOf(h.writeFile(NUMVFS, '2'))).toBe('ok');
    expect(await errnoOf(h.writeFile(NUMVFS, '3'))).toBe('EBUSY');
  });

  it('more than max_vfs (4 by default) is ENOMEM', async () => {
    const h = await lab();
    expect(await errnoOf(h.writeFile(NUMVFS, '5'))).toBe('ENOMEM');
    expect(await errnoOf(h.writeFile(NUMVFS, '4'))).toBe('ok');
  });

  it('creates no VF netdevs and no VF PCI devices in legacy mode', async () => {
    const h = await lab();
    const before = (await h.linkDump()).links.map((l) => l.ifname);
    const pci = await h.readDir('/sys/bus/pci/devices');
    await h.writeFile(NUMVFS, '4');
    expect((await h.linkDump()).links.map((l) => l.ifname)).toEqual(before);
    expect(await h.readDir('/sys/bus/pci/devices')).toEqual(pci);
    expect((await h.readDir(DEV)).filter((e) => e.startsWith('virtfn'))).toEqual([]);
  });

  it('goes through SimHost.writeFile: faults fire and the journal records the errno', async () => {
    const h = await lab();
    h.faults.add({ op: 'write', target: NUMVFS, errno: 'EIO' });
    expect(await errnoOf(h.writeFile(NUMVFS, '2'))).toBe('EIO');
    expect(await errnoOf(h.writeFile(NUMVFS, '9'))).toBe('ENOMEM');
    await h.writeFile(NUMVFS, '2');
    expect(h.journal.map((j) => [j.target, j.value, j.result])).toEqual([
      [NUMVFS, '2', 'EIO'],
      [NUMVFS, '9', 'ENOMEM'],
      [NUMVFS, '2', 'ok'],
    ]);
  });
});

describe('debugfs max_vfs', () => {
  it('is EBUSY while VFs are enabled (checked after parsing)', async () => {
    const h = await lab();
    await h.writeFile(NUMVFS, '1');
    expect(await errnoOf(h.writeFile(MAXVFS, '8'))).toBe('EBUSY');
    expect(await errnoOf(h.writeFile(MAXVFS, 'abc'))).toBe('EINVAL');
  });

  it('EINVAL for a bad number (base 10 only), ENOSPC from 10 bytes, ENOMEM past kcalloc', async () => {
    const h = await lab();
    for (const bad of ['abc', '-1', '0x10', '\n'])
      expect(await errnoOf(h.writeFile(MAXVFS, bad))).toBe('EINVAL');
    // ERANGE (above UINT_MAX-128) needs 10 digits, which char buf[10] refuses first.
    expect(await errnoOf(h.writeFile(MAXVFS, '4294967168'))).toBe('ENOSPC');
    expect(await errnoOf(h.writeFile(MAXVFS, '200000'))).toBe('ENOMEM');
    await h.writeFile(MAXVFS, '256\n');
    expect(await h.readFile(MAXVFS)).toBe('256\n');
  });

  it('rewriting max_vfs zeroes the VF configs', async () => {
    const h = await lab();
    await h.writeFile(NUMVFS, '1');
    await h.linkApply([vf(0, { mac: macAddress('02:00:00:00:00:01'), trust: true })]);
    await h.writeFile(NUMVFS, '0');
    await h.writeFile(MAXVFS, '4');
    await h.writeFile(NUMVFS, '1');
    expect(await vfInfo(h, 0)).toMatchObject({ mac: '00:00:00:00:00:00', trust: false });
  });
});

describe('VF ndos through ip -batch', () => {
  async function withVfs(n = 4) {
    const h = await lab();
    await h.writeFile(NUMVFS, String(n));
    return h;
  }

  it('new VFs: MAC zero, spoofchk/trust/query_rss off (never unreported), link auto, zero stats', async () => {
    const h = await withVfs(1);
    expect(await vfInfo(h, 0)).toEqual({
      vf: 0,
      mac: '00:00:00:00:00:00',
      vlan: 0,
      qos: 0,
      vlanProto: '802.1Q',
      minTxRate: 0,
      maxTxRate: 0,
      spoofchk: false,
      trust: false,
      queryRss: false,
      linkState: 'auto',
      counters: {
        rxBytes: 0,
        rxPackets: 0,
        rxMulticast: 0,
        rxBroadcast: 0,
        rxDropped: 0,
        txBytes: 0,
        txPackets: 0,
        txDropped: 0,
      },
    });
  });

  it('lists VFs on the PF port with parentbus netdevsim', async () => {
    const h = await withVfs(2);
    expect(await link(h)).toMatchObject({
      parentBus: 'netdevsim',
      parentDev: 'netdevsim10',
      adminUp: false,
      operstate: 'DOWN',
      maxMtu: 65535,
    });
    expect((await link(h))?.vfs).toHaveLength(2);
  });

  it('set_vf_mac: vf >= num_vfs and multicast are EINVAL, all-zero is allowed', async () => {
    const h = await withVfs(4);
    expect(await apply(h, vf(9, { mac: macAddress('02:00:00:00:00:09') }))).toBe('EINVAL');
    expect(await apply(h, vf(0, { mac: macAddress('01:00:5e:00:00:01') }))).toBe('EINVAL');
    expect(await apply(h, vf(0, { mac: macAddress('02:00:00:00:00:01') }))).toBe('ok');
    expect(await apply(h, vf(0, { mac: macAddress('00:00:00:00:00:00') }))).toBe('ok');
    expect((await vfInfo(h, 0))?.mac).toBe('00:00:00:00:00:00');
  });

  it('set_vf_vlan: vf >= num_vfs, vlan > 4095, qos > 7 are EINVAL in the driver', async () => {
    const h = await withVfs(4);
    expect(await apply(h, vf(4, { vlan: { vlan: 10, qos: 0, proto: '802.1Q' } }))).toBe('EINVAL');
    expect(h.outOfBand([vf(0, { vlan: { vlan: 10, qos: 8, proto: '802.1Q' } })])[0]).toMatchObject({
      errno: 'EINVAL',
    });
    expect(NSIM_VF_OPS.setVlan(ctx(0, 4), 4096, 0, '802.1Q')).toBe('EINVAL');
    // ip itself refuses vlan 4096 before the kernel sees it.
    expect(h.outOfBand([vf(0, { vlan: { vlan: 4096, qos: 0, proto: '802.1Q' } })])[0]).toEqual({
      ok: false,
      message: 'Error: argument "4096" is wrong: Invalid "vlan" value',
    });
  });

  it('set_vf_vlan accepts 802.1ad and reads it back; 802.1Q reads back without a protocol', async () => {
    const h = await withVfs(4);
    expect(await apply(h, vf(1, { vlan: { vlan: 100, qos: 3, proto: '802.1ad' } }))).toBe('ok');
    expect(await vfInfo(h, 1)).toMatchObject({ vlan: 100, qos: 3, vlanProto: '802.1ad' });
    // Stored as given even with vlan 0 (unlike hardware drivers, which clear the tag).
    expect(await apply(h, vf(2, { vlan: { vlan: 0, qos: 0, proto: '802.1ad' } }))).toBe('ok');
    expect((await vfInfo(h, 2))?.vlanProto).toBe('802.1ad');
    expect(await apply(h, vf(1, { vlan: { vlan: 5, qos: 0, proto: '802.1Q' } }))).toBe('ok');
    expect(await vfInfo(h, 1)).toMatchObject({ vlan: 5, qos: 0, vlanProto: '802.1Q' });
  });

  it('set_vf_rate stores u16: values are truncated mod 65536', async () => {
    const h = await withVfs(4);
    expect(await apply(h, vf(0, { rate: { minTxRate: 65537, maxTxRate: 70000 } }))).toBe('ok');
    expect(await vfInfo(h, 0)).toMatchObject({ minTxRate: 1, maxTxRate: 70000 - 65536 });
    expect(await h.readFile('/sys/kernel/debug/netdevsim/netdevsim10/max_vfs')).toBe('4\n');
  });

  it('set_vf_rate: vf >= num_vfs is EINVAL; max < min is EINVAL in the core; no link-speed check', async () => {
    const h = await withVfs(4);
    expect(await apply(h, vf(4, { rate: { minTxRate: 0, maxTxRate: 100 } }))).toBe('EINVAL');
    expect(h.outOfBand([vf(0, { rate: { minTxRate: 200, maxTxRate: 100 } })])[0]).toMatchObject({
      ok: false,
    });
    expect(await apply(h, vf(0, { rate: { minTxRate: 10, maxTxRate: 50000 } }))).toBe('ok');
  });

  it('set_vf_rate in switchdev mode is EOPNOTSUPP', async () => {
    const h = await withVfs(2);
    await h.devlinkSetEswitchMode(HANDLE, 'switchdev');
    expect(await apply(h, vf(0, { rate: { minTxRate: 0, maxTxRate: 100 } }))).toBe('EOPNOTSUPP');
    // The other ndos keep working in switchdev.
    expect(await apply(h, vf(0, { trust: true, spoofchk: true }))).toBe('ok');
  });

  it('spoofchk, trust, query_rss: vf >= num_vfs is EINVAL; values read back', async () => {
    const h = await withVfs(2);
    expect(await apply(h, vf(2, { spoofchk: true }))).toBe('EINVAL');
    expect(await apply(h, vf(2, { trust: true }))).toBe('EINVAL');
    expect(NSIM_VF_OPS.setQueryRss(ctx(2, 2), true)).toBe('EINVAL');
    expect(await apply(h, vf(1, { spoofchk: true, trust: true }))).toBe('ok');
    expect(await vfInfo(h, 1)).toMatchObject({ spoofchk: true, trust: true, queryRss: false });
  });

  it('link_state: only auto/enable/disable (0..2); vf >= num_vfs is EINVAL', async () => {
    const h = await withVfs(2);
    expect(NSIM_VF_OPS.setLinkState(ctx(0, 2), 3)).toBe('EINVAL');
    expect(NSIM_VF_OPS.setLinkState(ctx(0, 2), -1)).toBe('EINVAL');
    expect(NSIM_VF_OPS.setLinkState(ctx(0, 2), 2)).toBeUndefined();
    expect(await apply(h, vf(5, { linkState: 'enable' }))).toBe('EINVAL');
    expect(await apply(h, vf(0, { linkState: 'disable' }))).toBe('ok');
    expect((await vfInfo(h, 0))?.linkState).toBe('disable');
  });

  it('VF configs persist across disable and re-enable (unlike hardware drivers)', async () => {
    const h = await withVfs(4);
    await h.linkApply([
      vf(3, {
        mac: macAddress('02:00:00:00:00:03'),
        vlan: { vlan: 7, qos: 1, proto: '802.1ad' },
        rate: { minTxRate: 5, maxTxRate: 500 },
        spoofchk: true,
        trust: true,
        linkState: 'enable',
      }),
    ]);
    await h.writeFile(NUMVFS, '0');
    expect((await link(h))?.vfs).toEqual([]);
    await h.writeFile(NUMVFS, '4');
    expect(await vfInfo(h, 3)).toMatchObject({
      mac: '02:00:00:00:00:03',
      vlan: 7,
      qos: 1,
      vlanProto: '802.1ad',
      minTxRate: 5,
      maxTxRate: 500,
      spoofchk: true,
      trust: true,
      linkState: 'enable',
    });
  });

  it('256 VFs after raising max_vfs: the dump shows 34 and warns "Truncated VF list: eth0"', async () => {
    const h = await lab();
    await h.writeFile(MAXVFS, '256');
    await h.writeFile(NUMVFS, '256');
    const dump = await h.linkDump();
    const eth0 = dump.links.find((l) => l.ifname === 'eth0')!;
    expect(eth0.vfs).toHaveLength(34);
    expect(eth0.vfListTruncated).toBe(true);
    expect(dump.warnings).toEqual(['Truncated VF list: eth0']);
  });

  it('VF 200 beyond the truncated dump: one rate side alone is "Cannot find VF 200", both sides work', async () => {
    const h = await lab();
    await h.writeFile(MAXVFS, '256');
    await h.writeFile(NUMVFS, '256');
    const [alone, after] = await h.linkApply([
      vf(200, { rate: { maxTxRate: 1000 } }),
      vf(201, { trust: true }),
    ]);
    expect(alone).toEqual({ ok: false, message: 'Cannot find VF 200' });
    expect(after).toMatchObject({ ok: false, message: expect.stringMatching(/not attempted/) });
    expect(await apply(h, vf(200, { rate: { minTxRate: 0, maxTxRate: 1000 } }))).toBe('ok');
    expect(await apply(h, vf(200, { mac: macAddress('02:00:00:00:00:c8'), trust: true }))).toBe(
      'ok',
    );
  });
});

describe('devlink and switchdev', () => {
  it('answers for netdevsim/netdevsim10: legacy, driver netdevsim, fw.mgmt 10.20.30', async () => {
    const h = await lab();
    expect(await h.devlinkEswitchMode(HANDLE)).toBe('legacy');
    expect(await h.devlinkInfo(HANDLE)).toEqual({
      handle: 'netdevsim/netdevsim10',
      driver: 'netdevsim',
      fixed: {},
      running: { 'fw.mgmt': '10.20.30' },
      stored: { 'fw.mgmt': '10.20.30' },
    });
    expect(await errnoOf(h.devlinkInfo(devlinkHandle('netdevsim/netdevsim99')))).toBe('ENODEV');
    // The PCI forms keep working: a bare address and a pci/ handle name the same device.
    expect(await h.devlinkInfo(devlinkHandle('pci/0000:00:04.0'))).toBeNull();
  });

  it('switchdev adds a representor per VF (eth%d, phys_port_name pf0vf<N>) without VF ndos', async () => {
    const h = await lab();
    await h.writeFile(NUMVFS, '2');
    await h.devlinkSetEswitchMode(HANDLE, 'switchdev');
    expect(await h.devlinkEswitchMode(HANDLE)).toBe('switchdev');
    expect(await h.readFile('/sys/class/net/eth1/phys_port_name')).toBe('pf0vf0\n');
    expect(await h.readFile('/sys/class/net/eth2/phys_port_name')).toBe('pf0vf1\n');
    const rep = await link(h, 'eth1');
    expect(rep).toMatchObject({ parentBus: 'netdevsim', parentDev: 'netdevsim10' });
    expect(rep?.vfs).toBeUndefined();
    expect(await apply(h, vf(0, { trust: true }, 'eth1'))).toBe('EOPNOTSUPP');
    expect(await h.readFile('/sys/kernel/debug/netdevsim/netdevsim10/ports/128/tx_max')).toBe(
      '0\n',
    );
    await h.devlinkSetEswitchMode(HANDLE, 'legacy');
    expect(await h.entryKind('/sys/class/net/eth1')).toBeNull();
    expect(h.journal.filter((j) => j.op === 'devlink').map((j) => j.target)).toEqual([
      'netdevsim/netdevsim10',
      'netdevsim/netdevsim10',
    ]);
  });

  it('disabling VFs in switchdev removes the reps and falls back to legacy', async () => {
    const h = await lab();
    await h.devlinkSetEswitchMode(HANDLE, 'switchdev');
    await h.writeFile(NUMVFS, '2');
    expect(await h.entryKind('/sys/class/net/eth2')).toBe('link');
    await h.writeFile(NUMVFS, '0');
    expect(await h.entryKind('/sys/class/net/eth1')).toBeNull();
    expect(await h.devlinkEswitchMode(HANDLE)).toBe('legacy');
  });
});

describe('ethtool and net sysfs', () => {
  it('ethtool -i falls back to the bus driver: netdevsim, bus-info netdevsim10, kernel release', async () => {
    const h = await lab();
    expect(await h.ethtoolDriverInfo(ifName('eth0'))).toEqual({
      driver: 'netdevsim',
      version: '6.1.0-18-amd64',
      firmwareVersion: '',
      busInfo: 'netdevsim10',
    });
  });

  it('speed is EINVAL (no get_link_ksettings); an up port reports operstate unknown', async () => {
    const h = await lab();
    expect(await errnoOf(h.readFile('/sys/class/net/eth0/speed'))).toBe('EINVAL');
    await h.linkApply([{ kind: 'link', ifname: ifName('eth0'), up: true }]);
    expect(await errnoOf(h.readFile('/sys/class/net/eth0/speed'))).toBe('EINVAL');
    expect(await h.readFile('/sys/class/net/eth0/operstate')).toBe('unknown\n');
    expect(await link(h)).toMatchObject({ adminUp: true, lowerUp: true, operstate: 'UNKNOWN' });
  });
});

describe('fixtures', () => {
  it('udev naming gives eni<ID>np<port+1> ports and eni<ID>npf0vf<N> reps', async () => {
    const h = await fromYaml('  - id: 10\n    naming: udev\n    numVfs: 1\n');
    expect(await h.readDir('/sys/devices/netdevsim10/net')).toEqual(['eni10np1']);
    await h.devlinkSetEswitchMode(HANDLE, 'switchdev');
    expect(await h.entryKind('/sys/class/net/eni10npf0vf0')).toBe('link');
  });

  it('boots maxVfs and numVfs', async () => {
    const h = await fromYaml('  - id: 3\n    ports: 2\n    maxVfs: 8\n    numVfs: 6\n');
    expect(await h.readFile('/sys/bus/netdevsim/devices/netdevsim3/sriov_numvfs')).toBe('6\n');
    expect(await h.readDir('/sys/devices/netdevsim3/net')).toEqual(['eth0', 'eth1']);
    expect((await link(h, 'eth0'))?.vfs).toHaveLength(6);
  });

  it.each([
    ['  - id: 1\n  - id: 1\n', /netdevsim\[1\]\.id.*an id not used by netdevsim\[0\]/],
    ['  - id: 1\n    ports: 2\n    portNames: [eth0]\n', /portNames.*one name per port \(2\)/],
    ['  - id: 1\n    numVfs: 5\n', /numVfs.*at most maxVfs \(4\)/],
    [
      '  - id: 1\n    portNames: [x0]\n  - id: 2\n    portNames: [x0]\n',
      /netdevsim\[1\]\.portNames\[0\].*not used by another device/,
    ],
    ['  - id: -1\n', /netdevsim\[0\]\.id/],
  ])('refuses a bad netdevsim entry with a message naming the field (%#)', async (yaml, msg) => {
    const err = await fromYaml(yaml).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedHostError);
    expect(String((err as Error).message)).toMatch(msg);
  });
});
