/**
 * rtnetlink as seen through iproute2 on the simulated kernel: the link dump (with the VF list
 * overflow a real kernel has above ~220 VFs) and `ip -force -batch -` semantics for changes
 * (client-side checks, the kernel's fixed attribute order, and the lines ip never reaches after it
 * exits mid-batch).
 */
import { HostCommandError, STRERROR, type ErrnoName } from '../errors.js';
import type {
  LinkDump,
  LinkInfo,
  NetlinkChange,
  NetlinkResult,
  VfChange,
  VfInfo,
} from '../host.js';
import { ifName, type IfName } from '../names.js';
import { parsedVfCount } from '../netlink-vf-list.js';
import { DRIVERS } from './drivers.js';
import { zeroCounters, type SimKernel, type SimNetdev, type SimPciDevice } from './kernel.js';
import { LINK_STATE_NUMBER, type VfPort } from './vf-port.js';

/**
 * How many VFs user space can parse when the kernel nests `numVfs` entries with stats (what
 * iproute2 asks for): the nest's u16 nla_len wraps, so 256 VFs show as 34.
 */
export function visibleVfCount(numVfs: number): number {
  return parsedVfCount(numVfs);
}

function operstateUpper(k: SimKernel, nd: SimNetdev): string {
  return k.operstate(nd).toUpperCase();
}

function vfInfo(k: SimKernel, pf: SimPciDevice, i: number): VfInfo {
  const st = pf.sriov!.vfState[i]!;
  const def = pf.driver ? DRIVERS[pf.driver] : undefined;
  const info: VfInfo = {
    vf: i,
    mac: st.mac,
    vlan: st.vlan,
    qos: st.qos,
    vlanProto: st.vlanProto,
    minTxRate: st.minTxRate,
    maxTxRate: st.maxTxRate,
    linkState: st.linkState,
    // Drivers without ndo_get_vf_stats (bnxt) still get a stats nest, all zeros.
    counters: def?.vfOps?.stats ? k.vfCounters(st) : zeroCounters(),
  };
  if (st.spoofchk !== null) info.spoofchk = st.spoofchk;
  if (st.trust !== null) info.trust = st.trust;
  if (st.queryRss !== null) info.queryRss = st.queryRss;
  return info;
}

/** The VF port of a PCI PF netdev: state in the PF's SR-IOV record, checks from its driver. */
function pciVfPort(k: SimKernel, nd: SimNetdev): VfPort | null {
  const pf = nd.role === 'pf' ? nd.device : null;
  const ops = pf?.driver ? DRIVERS[pf.driver]?.vfOps : undefined;
  if (!pf?.sriov || !ops) return null;
  const sr = pf.sriov;
  return {
    numVfs: sr.numVfs,
    ops,
    info: (vf) => vfInfo(k, pf, vf),
    context: (vf) => {
      const st = sr.vfState[vf];
      return {
        vf,
        numVfs: sr.numVfs,
        pfLinkUp: k.operstate(nd) === 'up',
        pfSpeedMbps: pf.board.speedMbps,
        eswitchMode: pf.board.eswitchMode,
        vfInReset: st ? k.vfInReset(st) : false,
        doubleVlanMode: pf.board.doubleVlanMode,
      };
    },
    store: (vf) => {
      const st = sr.vfState[vf];
      if (!st) return null;
      return {
        mac: (mac) => {
          st.mac = mac;
          const vfDev = sr.vfs[vf];
          if (vfDev?.netdev && mac !== '00:00:00:00:00:00') vfDev.netdev.mac = mac;
        },
        vlan: (vlan, qos, proto) => {
          st.vlan = vlan;
          st.qos = qos;
          st.vlanProto = vlan === 0 && qos === 0 ? '802.1Q' : proto;
        },
        rate: (min, max) => {
          st.minTxRate = min;
          st.maxTxRate = max;
        },
        spoofchk: (on) => (st.spoofchk = on),
        linkState: (state) => (st.linkState = state),
        trust: (on) => (st.trust = on),
      };
    },
  };
}

/** The VF side of a netdev, or null when its driver has no VF ndos (not a PF, or a representor). */
export function vfPortOf(k: SimKernel, nd: SimNetdev): VfPort | null {
  if (nd.nsim) return k.netdevsim?.vfPort(nd) ?? null;
  return pciVfPort(k, nd);
}

/** What `ip -j -d -s link show` returns on the simulated kernel. */
export function dumpLinks(k: SimKernel, only?: IfName, wanted?: readonly number[]): LinkDump {
  const warnings: string[] = [];
  const links: LinkInfo[] = [];
  let netdevs: SimNetdev[];
  if (only !== undefined) {
    ifName(only);
    const nd = k.netdevs.get(only);
    netdevs = nd ? [nd] : [];
    if (netdevs.length === 0) {
      const argv = ['ip', '-j', '-d', '-s', 'link', 'show', 'dev', only];
      throw new HostCommandError(argv, 1, `Device "${only}" does not exist.\n`);
    }
  } else netdevs = [...k.netdevs.values()].sort((a, b) => a.ifindex - b.ifindex);
  for (const nd of netdevs) {
    const oper = operstateUpper(k, nd);
    const link: LinkInfo = {
      ifindex: nd.ifindex,
      ifname: nd.name as IfName,
      adminUp: nd.adminUp,
      // IFF_LOWER_UP is carrier while running; netdevsim keeps carrier on but reports UNKNOWN.
      lowerUp: nd.role === 'other' ? true : nd.nsim ? nd.adminUp && nd.carrier : oper === 'UP',
      operstate: oper,
      mtu: nd.mtu,
      mac: nd.mac,
    };
    if (nd.role !== 'other') {
      link.minMtu = nd.minMtu;
      link.maxMtu = nd.maxMtu;
    }
    if (nd.device) {
      link.parentBus = 'pci';
      link.parentDev = nd.device.address;
    } else if (nd.nsim) {
      link.parentBus = 'netdevsim';
      link.parentDev = `netdevsim${nd.nsim.dev.id}`;
    }
    // VFINFO_LIST only for drivers with ndo_get_vf_config: PCI PFs, netdevsim PF ports (not reps).
    const port = vfPortOf(k, nd);
    if (port) {
      const n = port.numVfs;
      const visible = visibleVfCount(n);
      link.vfs = [];
      if (wanted) {
        for (const i of [...new Set(wanted)].sort((a, b) => a - b))
          if (Number.isInteger(i) && i >= 0 && i < visible) link.vfs.push(port.info(i));
      } else for (let i = 0; i < visible; i++) link.vfs.push(port.info(i));
      if (visible < n) {
        link.vfListTruncated = true;
        warnings.push(`Truncated VF list: ${nd.name}`);
      }
    }
    links.push(link);
  }
  return { links, warnings };
}

/** A failed line's result, with the errno when the kernel answered. */
function kernelNo(errno: ErrnoName): NetlinkResult {
  return { ok: false, errno, message: `RTNETLINK answers: ${STRERROR[errno]}` };
}

/** ip exited (invarg, "Cannot find VF"): this line and every later one fail. */
class IpExit extends Error {}

/** Applies one VF change as do_setvfinfo would: MAC, VLAN, TX_RATE, RATE, spoofchk, state, trust; stop at the first error. */
function applyVf(
  k: SimKernel,
  c: VfChange,
  dump: () => LinkDump,
  nthFault: (c: VfChange) => ErrnoName | null,
): NetlinkResult {
  const nd = k.netdevs.get(c.pf);
  if (!nd) return { ok: false, message: `Cannot find device "${c.pf}"` };
  if (c.vlan && c.vlan.vlan > 4095)
    throw new IpExit(`Error: argument "${c.vlan.vlan}" is wrong: Invalid "vlan" value`);
  let min = c.rate?.minTxRate;
  let max = c.rate?.maxTxRate;
  if (c.rate && (min === undefined || max === undefined)) {
    // iproute2 fills the missing side from a fresh dump, and exits if the VF is not in it.
    const link = dump().links.find((l) => l.ifname === c.pf);
    const found = link?.vfs?.find((v) => v.vf === c.vf);
    if (!found) throw new IpExit(`Cannot find VF ${c.vf}`);
    min ??= found.minTxRate;
    max ??= found.maxTxRate;
  }
  if (min !== undefined && max !== undefined && max !== 0 && min > max) {
    return { ok: false, message: `Invalid min_tx_rate ${min} - must be <= max_tx_rate ${max}` };
  }
  const injected = nthFault(c);
  if (injected) return kernelNo(injected);
  // A driver without VF ndos (no PF, a representor): do_setvfinfo answers EOPNOTSUPP.
  const port = vfPortOf(k, nd);
  if (!port) return kernelNo('EOPNOTSUPP');
  const ops = port.ops;
  const ctx = port.context(c.vf);
  const st = port.store(c.vf);
  const noVf = c.vf >= port.numVfs || !st;
  if (c.mac !== undefined) {
    const e = ops.setMac(ctx, c.mac);
    if (e) return kernelNo(e);
    if (noVf) return kernelNo('EINVAL');
    st.mac(c.mac);
  }
  if (c.vlan !== undefined) {
    // The core truncates to u16/u8 before the driver sees the values.
    const vlan = c.vlan.vlan & 0xffff;
    const qos = c.vlan.qos & 0xff;
    const e = ops.setVlan(ctx, vlan, qos, c.vlan.proto);
    if (e) return kernelNo(e);
    if (noVf) return kernelNo('EINVAL');
    st.vlan(vlan, qos, c.vlan.proto);
  }
  if (c.txRate !== undefined) {
    // IFLA_VF_TX_RATE: ndo_get_vf_config gives the current minimum (EINVAL for a VF that does not
    // exist), then the rate is set with it kept; no dump is involved, truncated or not.
    if (noVf) return kernelNo('EINVAL');
    const keep = port.info(c.vf).minTxRate;
    if (c.txRate !== 0 && c.txRate < keep) return kernelNo('EINVAL');
    const r = ops.setRate(ctx, keep, c.txRate);
    if (typeof r === 'string') return kernelNo(r);
    st.rate(r.min, r.max);
  }
  if (min !== undefined && max !== undefined) {
    if (max !== 0 && max < min) return kernelNo('EINVAL');
    const r = ops.setRate(ctx, min, max);
    if (typeof r === 'string') return kernelNo(r);
    if (noVf) return kernelNo('EINVAL');
    st.rate(r.min, r.max);
  }
  if (c.spoofchk !== undefined) {
    const e = ops.setSpoofchk ? ops.setSpoofchk(ctx, c.spoofchk) : noVf ? 'EINVAL' : undefined;
    if (e) return kernelNo(e);
    if (noVf) return kernelNo('EINVAL');
    st.spoofchk(c.spoofchk);
  }
  if (c.linkState !== undefined) {
    const e = ops.setLinkState?.(ctx, LINK_STATE_NUMBER[c.linkState]);
    if (e) return kernelNo(e);
    if (noVf) return kernelNo('EINVAL');
    st.linkState(c.linkState);
  }
  if (c.trust !== undefined) {
    const e = ops.setTrust ? ops.setTrust(ctx, c.trust) : noVf ? 'EINVAL' : undefined;
    if (e) return kernelNo(e);
    if (noVf) return kernelNo('EINVAL');
    st.trust(c.trust);
  }
  return { ok: true };
}

/** Runs changes the way `ip -force -batch -` does: failed lines are reported, later lines still run, unless ip exits. */
export function applyNetlink(
  k: SimKernel,
  changes: readonly NetlinkChange[],
  fault: (c: NetlinkChange) => ErrnoName | null,
): NetlinkResult[] {
  const results: NetlinkResult[] = [];
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    try {
      if (c.kind === 'vf') {
        results.push(
          applyVf(
            k,
            c,
            () => dumpLinks(k),
            (vc) => fault(vc),
          ),
        );
      } else {
        const nd = k.netdevs.get(c.ifname);
        if (!nd) {
          results.push({ ok: false, message: `Cannot find device "${c.ifname}"` });
          continue;
        }
        const injected = fault(c);
        if (injected) {
          results.push(kernelNo(injected));
          continue;
        }
        const e = k.setLink(nd, c.up, c.mtu);
        results.push(e ? kernelNo(e) : { ok: true });
      }
    } catch (e) {
      if (!(e instanceof IpExit)) throw e;
      results.push({ ok: false, message: e.message });
      for (let j = i + 1; j < changes.length; j++) {
        results.push({
          ok: false,
          message: `not attempted: ip -batch stopped at change ${i + 1} of ${changes.length}`,
        });
      }
      break;
    }
  }
  return results;
}
