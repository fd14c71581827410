/**
 * netdevsim as Linux 6.1 has it (drivers/net/netdevsim/{bus,dev,netdev}.c; linux-sriov-abi.md §5):
 * devices created through /sys/bus/netdevsim/new_device, SR-IOV through their own sriov_numvfs (no
 * PCI, no VF devices, no VF netdevs in legacy mode), the max_vfs debugfs knob, PF ports with the VF
 * ndos, devlink eswitch switchdev with one representor per VF, and the ethtool -i core fallback.
 * This is the device the real-kernel lab uses for VF netlink settings.
 */
import { KernelError, type ErrnoName } from '../errors.js';
import type { DevlinkInfo, EswitchMode, EthtoolDriverInfo, VfInfo, VlanProto } from '../host.js';
import { isMulticastMac, ZERO_MAC } from '../names.js';
import type { VfOpContext, VfOps } from './drivers.js';
import type { NetCore } from './kernel/netdev.js';
import {
  relativeLink,
  zeroCounters,
  type KernelBase,
  type NsimDevice,
  type NsimNaming,
  type NsimPortRef,
  type NsimVfConfig,
  type SimNetdev,
} from './kernel/objects.js';
import { kstrtoul } from './kparse.js';
import type { VfPort, VfStore } from './vf-port.js';

export type { NsimDevice, NsimNaming, NsimPortRef, NsimVfConfig } from './kernel/objects.js';

/** What netdevsim uses of the kernel: sysfs, deferred work, and netdev registration. */
export type NsimKernel = Pick<KernelBase, 'vfs' | 'schedule'> &
  Pick<NetCore, 'addNetdev' | 'allocEthName' | 'randomMac' | 'unregisterNetdev'>;

const BUS = '/sys/bus/netdevsim';
const DEBUGFS = '/sys/kernel/debug/netdevsim';
const DRIVER_DIR = `${BUS}/drivers/netdevsim`;

/** NSIM_BUS_DEV_MAX_VFS: the VF limit a new device starts with. */
export const NSIM_DEFAULT_MAX_VFS = 4;
/** max_vfs above NSIM_DEV_VF_PORT_INDEX_MAX - NSIM_DEV_VF_PORT_INDEX_BASE is ERANGE. */
const MAX_VFS_LIMIT = 0xffffffff - 128;
/** VF representor ports are numbered from NSIM_DEV_VF_PORT_INDEX_BASE. */
const VF_PORT_INDEX_BASE = 128;
/**
 * kcalloc(max_vfs, sizeof(struct nsim_vf_config) = 24) fails above KMALLOC_MAX_SIZE (4 MiB on
 * x86_64 with 4 KiB pages, MAX_ORDER 11), so max_vfs above 174762 is ENOMEM.
 */
const MAX_VF_CONFIGS = Math.floor((4 << 20) / 24);
/** 6.1 probes a bus device asynchronously: net/ shows up a little after new_device returns. */
const PROBE_MS = 20;
const INT_MAX = 0x7fffffff;
const UINT_MAX = 0xffffffff;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
/** netdevsim sets dev->max_mtu = ETH_MAX_MTU. */
const ETH_MAX_MTU = 0xffff;

/** A fresh (kcalloc'd) VF config: everything zero, so spoofchk/trust/rss report false. */
function zeroVfConfig(): NsimVfConfig {
  return {
    mac: ZERO_MAC,
    vlan: 0,
    qos: 0,
    vlanProto: 0,
    minTxRate: 0,
    maxTxRate: 0,
    spoofchk: false,
    trust: false,
    queryRss: false,
    linkState: 0,
  };
}

function checkVf(ctx: VfOpContext): ErrnoName | void {
  if (ctx.vf >= ctx.numVfs) return 'EINVAL';
}

/** netdev.c's VF ndos (nsim_netdev_ops), with rss_query_en and link state, which rtnetlink also reaches. */
export const NSIM_VF_OPS: VfOps & {
  setLinkState(ctx: VfOpContext, state: number): ErrnoName | void;
  setQueryRss(ctx: VfOpContext, on: boolean): ErrnoName | void;
} = {
  defaults: { spoofchk: false, trust: false, queryRss: false },
  // No ndo_get_vf_stats: the core still sends a stats nest, all zeros.
  stats: false,
  // "Only refuse multicast addresses, zero address can mean unset/any."
  setMac: (ctx, mac) => checkVf(ctx) ?? (isMulticastMac(mac) ? 'EINVAL' : undefined),
  // Any protocol is stored as given (802.1ad included).
  setVlan: (ctx, vlan, qos) =>
    ctx.vf >= ctx.numVfs || vlan > 4095 || qos > 7 ? 'EINVAL' : undefined,
  setRate: (ctx, min, max) => {
    // "Not supported in switchdev mode. Please use devlink API."
    if (ctx.eswitchMode === 'switchdev') return 'EOPNOTSUPP';
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    // vfconfigs[vf].{min,max}_tx_rate are u16: the int arguments are truncated on store.
    return { min: min & 0xffff, max: max & 0xffff };
  },
  setSpoofchk: checkVf,
  setTrust: checkVf,
  setQueryRss: checkVf,
  setLinkState: (ctx, state) => checkVf(ctx) ?? (state < 0 || state > 2 ? 'EINVAL' : undefined),
};

/**
 * The kernel's sscanf(buf, "%u %u %u"): how many leading unsigned decimals it converted (spaces
 * skipped, no sign accepted, stops at the first non-digit) and their values stored into unsigned
 * int (simple_strntoull truncated to 32 bits).
 */
export function scanUints(buf: string, max: number): number[] {
  const out: number[] = [];
  let i = 0;
  while (out.length < max) {
    while (i < buf.length && /\s/.test(buf[i]!)) i++;
    const m = /^[0-9]+/.exec(buf.slice(i));
    if (!m) break;
    out.push(Number(BigInt(m[0]) % 0x100000000n));
    i += m[0].length;
  }
  return out;
}

function fail(errno: ErrnoName, target: string, detail?: string): never {
  throw new KernelError(errno, 'write', target, detail);
}

function protoName(proto: number): VlanProto {
  // iproute2 prints "protocol" only when it is neither 0 nor 802.1Q, so the stored 0 of a VF
  // never given a VLAN reads back exactly like 802.1Q (vlan_list [{}]).
  return proto === ETH_P_8021AD ? '802.1ad' : '802.1Q';
}

const LINK_STATES = ['auto', 'enable', 'disable'] as const;

/** The netdevsim bus with its devices; one per kernel, created when the module loads. */
export class NetdevsimBus {
  readonly devices = new Map<number, NsimDevice>();

  constructor(
    private readonly k: NsimKernel,
    private readonly opts: { release: string; naming: NsimNaming },
  ) {
    const v = k.vfs;
    v.mkdirp(`${BUS}/devices`);
    v.mkdirp(DRIVER_DIR);
    v.mkdirp(DEBUGFS);
    v.file(`${BUS}/new_device`, { write: (val) => this.newDeviceFile(val) });
    v.file(`${BUS}/del_device`, { write: (val) => this.delDeviceFile(val) });
    v.file(`${BUS}/drivers_autoprobe`, { read: () => '1\n' });
    v.file(`${DRIVER_DIR}/uevent`, { write: () => undefined });
  }

  // ---------------------------------------------------------------- bus files

  /** new_device_store(): "ID [PORT_COUNT [NUM_QUEUES]]". */
  private newDeviceFile(value: string): void {
    const target = `${BUS}/new_device`;
    const f = scanUints(value, 3);
    if (f.length === 0)
      fail('EINVAL', target, 'Format for adding new device is "id port_count num_queues"');
    const [id, portCount = 1, numQueues = 1] = f as [number, number?, number?];
    if (id > INT_MAX) fail('EINVAL', target, 'Value of "id" is too big.');
    // ida_alloc_range(id, id) on a taken id.
    if (this.devices.has(id)) fail('ENOSPC', target);
    const dev = this.createDevice(id, portCount, numQueues, this.opts.naming);
    this.k.schedule(PROBE_MS, `netdevsim${id} probes`, () => this.probe(dev));
  }

  /** del_device_store(): "ID". */
  private delDeviceFile(value: string): void {
    const target = `${BUS}/del_device`;
    const f = scanUints(value, 1);
    if (f.length === 0) fail('EINVAL', target, 'Format for deleting device is "id"');
    const id = f[0]!;
    if (id > INT_MAX) fail('EINVAL', target, 'Value of "id" is too big.');
    const dev = this.devices.get(id);
    if (!dev) fail('ENOENT', target);
    this.removeDevice(dev);
  }

  // ---------------------------------------------------------------- devices

  /** Creates and probes a device at once, as boot does for `echo "ID PORTS" > new_device`. */
  addDevice(spec: {
    id: number;
    ports: number;
    queues?: number;
    naming?: NsimNaming;
    portNames?: readonly string[];
    maxVfs?: number;
  }): NsimDevice {
    if (this.devices.has(spec.id)) throw new Error(`sim: netdevsim${spec.id} already exists`);
    const dev = this.createDevice(
      spec.id,
      spec.ports,
      spec.queues ?? 1,
      spec.naming ?? this.opts.naming,
    );
    if (spec.maxVfs !== undefined) dev.maxVfs = spec.maxVfs;
    this.probe(dev, spec.portNames);
    return dev;
  }

  /** nsim_bus_dev_new() + device_register(): the device directory, before the driver probes. */
  private createDevice(
    id: number,
    portCount: number,
    numQueues: number,
    naming: NsimNaming,
  ): NsimDevice {
    const name = `netdevsim${id}`;
    const dev: NsimDevice = {
      id,
      // No parent device and no bus dev_root: device_add() puts it straight under /sys/devices.
      sysDir: `/sys/devices/${name}`,
      debugDir: `${DEBUGFS}/${name}`,
      portCount,
      numQueues,
      naming,
      probed: false,
      numVfs: 0,
      maxVfs: NSIM_DEFAULT_MAX_VFS,
      vfConfigs: [],
      eswitchMode: 'legacy',
      ports: new Map(),
      reps: new Map(),
    };
    this.devices.set(id, dev);
    const v = this.k.vfs;
    const d = dev.sysDir;
    v.mkdirp(`${d}/net`);
    v.link(`${BUS}/devices/${name}`, relativeLink(`${BUS}/devices`, d));
    v.link(`${d}/subsystem`, relativeLink(d, BUS));
    v.file(`${d}/uevent`, { read: () => (dev.probed ? 'DRIVER=netdevsim\n' : '') });
    v.file(`${d}/sriov_numvfs`, {
      read: () => `${dev.numVfs}\n`,
      write: (val) => this.writeNumVfs(dev, val),
    });
    v.file(`${d}/new_port`, { write: (val) => this.newPortFile(dev, val) });
    v.file(`${d}/del_port`, { write: (val) => this.delPortFile(dev, val) });
    return dev;
  }

  /** nsim_drv_probe(): VF configs, debugfs, then the PF ports. */
  private probe(dev: NsimDevice, names?: readonly string[]): void {
    if (this.devices.get(dev.id) !== dev || dev.probed) return;
    dev.probed = true;
    dev.vfConfigs = Array.from({ length: dev.maxVfs }, zeroVfConfig);
    const v = this.k.vfs;
    const name = `netdevsim${dev.id}`;
    v.link(`${dev.sysDir}/driver`, relativeLink(dev.sysDir, DRIVER_DIR));
    v.link(`${DRIVER_DIR}/${name}`, relativeLink(DRIVER_DIR, dev.sysDir));
    v.mkdirp(`${dev.debugDir}/ports`);
    v.file(`${dev.debugDir}/max_vfs`, {
      read: () => `${dev.maxVfs}\n`,
      write: (val) => this.writeMaxVfs(dev, val),
    });
    for (let i = 0; i < dev.portCount; i++) this.addPort(dev, 'pf', i, names?.[i]);
  }

  /** nsim_bus_dev_del(): the driver's remove (VFs off, reps and ports gone), then the device. */
  private removeDevice(dev: NsimDevice): void {
    if (dev.probed) {
      dev.numVfs = 0;
      this.removeReps(dev);
      dev.eswitchMode = 'legacy';
      for (const nd of dev.ports.values()) this.k.unregisterNetdev(nd);
      dev.ports.clear();
    }
    const name = `netdevsim${dev.id}`;
    const v = this.k.vfs;
    v.remove(dev.debugDir);
    v.remove(`${DRIVER_DIR}/${name}`);
    v.remove(`${BUS}/devices/${name}`);
    v.remove(dev.sysDir);
    this.devices.delete(dev.id);
  }

  // ---------------------------------------------------------------- ports

  private portName(dev: NsimDevice, kind: 'pf' | 'vf', index: number): string {
    if (dev.naming === 'kernel') return this.k.allocEthName();
    // systemd's netdevsim naming: eni<ID>n<phys_port_name>.
    return kind === 'pf' ? `eni${dev.id}np${index + 1}` : `eni${dev.id}npf0vf${index}`;
  }

  /** __nsim_dev_port_add(): a devlink port and its netdev, admin down as registered. */
  private addPort(dev: NsimDevice, kind: 'pf' | 'vf', index: number, name?: string): SimNetdev {
    const ref: NsimPortRef = kind === 'pf' ? { dev, kind, port: index } : { dev, kind, vf: index };
    const nd = this.k.addNetdev({
      name: name ?? this.portName(dev, kind, index),
      mac: this.k.randomMac(),
      mtu: 1500,
      device: null,
      parentDir: dev.sysDir,
      role: kind === 'pf' ? 'pf' : 'rep',
      carrier: true,
      speedMbps: 0,
      adminUp: false,
      maxMtu: ETH_MAX_MTU,
      nsim: ref,
      // devlink port attrs: PHYSICAL port_number = index + 1; PCI_VF pf 0 vf N.
      physPortName: kind === 'pf' ? `p${index + 1}` : `pf0vf${index}`,
    });
    const portIndex = kind === 'pf' ? index : VF_PORT_INDEX_BASE + index;
    const pdir = `${dev.debugDir}/ports/${portIndex}`;
    this.k.vfs.mkdirp(pdir);
    this.k.vfs.link(`${pdir}/dev`, `../../../netdevsim${dev.id}`);
    if (kind === 'vf') {
      const cfg = () => dev.vfConfigs[index] ?? zeroVfConfig();
      this.k.vfs.file(`${pdir}/tx_share`, { read: () => `${cfg().minTxRate}\n` });
      this.k.vfs.file(`${pdir}/tx_max`, { read: () => `${cfg().maxTxRate}\n` });
    }
    (kind === 'pf' ? dev.ports : dev.reps).set(index, nd);
    return nd;
  }

  private removePort(dev: NsimDevice, kind: 'pf' | 'vf', index: number): void {
    const map = kind === 'pf' ? dev.ports : dev.reps;
    const nd = map.get(index);
    if (!nd) return;
    this.k.unregisterNetdev(nd);
    map.delete(index);
    const portIndex = kind === 'pf' ? index : VF_PORT_INDEX_BASE + index;
    this.k.vfs.remove(`${dev.debugDir}/ports/${portIndex}`);
  }

  private createReps(dev: NsimDevice): void {
    for (let vf = 0; vf < dev.numVfs; vf++) this.addPort(dev, 'vf', vf);
  }

  private removeReps(dev: NsimDevice): void {
    for (const vf of [...dev.reps.keys()]) this.removePort(dev, 'vf', vf);
  }

  /** new_port_store(): kstrtouint(buf, 0) port index; EEXIST when taken. */
  private newPortFile(dev: NsimDevice, value: string): void {
    const target = `${dev.sysDir}/new_port`;
    // The device is usable once registered; before the probe ran there is no nsim_dev to add to.
    if (!dev.probed) fail('EBUSY', target);
    const r = kstrtoul(value, UINT_MAX);
    if (!r.ok) fail(r.errno, target);
    if (dev.ports.has(r.value)) fail('EEXIST', target);
    this.addPort(dev, 'pf', r.value);
  }

  /** del_port_store(): ENOENT when there is no such PF port. */
  private delPortFile(dev: NsimDevice, value: string): void {
    const target = `${dev.sysDir}/del_port`;
    if (!dev.probed) fail('EBUSY', target);
    const r = kstrtoul(value, UINT_MAX);
    if (!r.ok) fail(r.errno, target);
    if (!dev.ports.has(r.value)) fail('ENOENT', target);
    this.removePort(dev, 'pf', r.value);
  }

  // ---------------------------------------------------------------- SR-IOV

  /** nsim_bus_dev_numvfs_store() + nsim_drv_configure_vfs(), check for check. */
  private writeNumVfs(dev: NsimDevice, value: string): void {
    const target = `${dev.sysDir}/sriov_numvfs`;
    // kstrtouint's own errno is returned as-is (unlike PCI): ERANGE from 2^32 up.
    const r = kstrtoul(value, UINT_MAX);
    if (!r.ok) fail(r.errno, target);
    const n = r.value;
    if (!dev.probed) fail('ENOENT', target);
    if (n === dev.numVfs) return;
    if (dev.numVfs !== 0 && n !== 0) fail('EBUSY', target);
    if (n > dev.maxVfs) fail('ENOMEM', target);
    dev.numVfs = n;
    if (dev.eswitchMode === 'switchdev') {
      if (n > 0) this.createReps(dev);
      else {
        // nsim_esw_legacy_enable(): the reps go and the eswitch falls back to legacy.
        this.removeReps(dev);
        dev.eswitchMode = 'legacy';
      }
    }
    // VF configs are untouched either way: they survive disable and re-enable.
  }

  /** debugfs max_vfs write (nsim_bus_dev_max_vfs_write), in the kernel's check order. */
  private writeMaxVfs(dev: NsimDevice, value: string): void {
    const target = `${dev.debugDir}/max_vfs`;
    // char buf[10]: a write of 10 bytes or more does not fit.
    if (value.length >= 10) fail('ENOSPC', target);
    const r = kstrtoul(value, UINT_MAX, 10);
    if (!r.ok) fail('EINVAL', target);
    if (r.value > MAX_VFS_LIMIT) fail('ERANGE', target);
    if (r.value > MAX_VF_CONFIGS) fail('ENOMEM', target);
    // Only now, under the devlink lock: refused while VFs are enabled.
    if (dev.numVfs !== 0) fail('EBUSY', target);
    dev.maxVfs = r.value;
    dev.vfConfigs = Array.from({ length: r.value }, zeroVfConfig);
  }

  // ---------------------------------------------------------------- devlink, ethtool

  /** The device behind a devlink handle `netdevsim/netdevsim<ID>`, if registered (probed). */
  byHandle(handle: string): NsimDevice | null {
    const m = /^netdevsim\/netdevsim([0-9]+)$/.exec(handle);
    const dev = m ? this.devices.get(Number(m[1])) : undefined;
    return dev?.probed ? dev : null;
  }

  /** nsim_devlink_eswitch_mode_set(): switchdev adds a representor per VF, legacy removes them. */
  setEswitchMode(dev: NsimDevice, mode: EswitchMode): void {
    if (mode === dev.eswitchMode) return;
    if (mode === 'legacy') this.removeReps(dev);
    else this.createReps(dev);
    dev.eswitchMode = mode;
  }

  /** nsim_dev_info_get(): driver name and fw.mgmt 10.20.30, running and stored. */
  devlinkInfo(dev: NsimDevice): DevlinkInfo {
    return {
      handle: `netdevsim/netdevsim${dev.id}`,
      driver: 'netdevsim',
      fixed: {},
      running: { 'fw.mgmt': '10.20.30' },
      stored: { 'fw.mgmt': '10.20.30' },
    };
  }

  /** ethtool -i without get_drvinfo: the core names the parent's driver and device, version = release. */
  ethtoolDriverInfo(nd: SimNetdev): EthtoolDriverInfo | null {
    if (!nd.nsim) return null;
    return {
      driver: 'netdevsim',
      version: this.opts.release,
      firmwareVersion: '',
      busInfo: `netdevsim${nd.nsim.dev.id}`,
    };
  }

  // ---------------------------------------------------------------- VF ndos

  /** The VF side of a PF port; null for representors (nsim_vf_netdev_ops has no VF ndos). */
  vfPort(nd: SimNetdev): VfPort | null {
    const ref = nd.nsim;
    if (!ref || ref.kind !== 'pf') return null;
    const dev = ref.dev;
    return {
      numVfs: dev.numVfs,
      ops: NSIM_VF_OPS,
      info: (vf) => this.vfInfo(dev, vf),
      context: (vf) => ({
        vf,
        numVfs: dev.numVfs,
        pfLinkUp: nd.adminUp,
        pfSpeedMbps: 0,
        eswitchMode: dev.eswitchMode,
        vfInReset: false,
        doubleVlanMode: false,
      }),
      store: (vf) => {
        const c = vf < dev.numVfs ? dev.vfConfigs[vf] : undefined;
        return c ? this.vfStore(c) : null;
      },
    };
  }

  private vfStore(c: NsimVfConfig): VfStore {
    return {
      mac: (mac) => (c.mac = mac),
      vlan: (vlan, qos, proto) => {
        c.vlan = vlan;
        c.qos = qos;
        // IFLA_VF_VLAN passes htons(ETH_P_8021Q); VLAN_LIST passes the given protocol.
        c.vlanProto = proto === '802.1ad' ? ETH_P_8021AD : ETH_P_8021Q;
      },
      rate: (min, max) => {
        c.minTxRate = min;
        c.maxTxRate = max;
      },
      spoofchk: (on) => (c.spoofchk = on),
      linkState: (state) => (c.linkState = LINK_STATES.indexOf(state)),
      trust: (on) => (c.trust = on),
    };
  }

  /** nsim_get_vf_config(): every field reported, booleans never -1. */
  private vfInfo(dev: NsimDevice, vf: number): VfInfo {
    const c = dev.vfConfigs[vf] ?? zeroVfConfig();
    return {
      vf,
      mac: c.mac,
      vlan: c.vlan,
      qos: c.qos,
      vlanProto: protoName(c.vlanProto),
      minTxRate: c.minTxRate,
      maxTxRate: c.maxTxRate,
      spoofchk: c.spoofchk,
      trust: c.trust,
      queryRss: c.queryRss,
      linkState: LINK_STATES[c.linkState] ?? 'auto',
      counters: zeroCounters(),
    };
  }
}
