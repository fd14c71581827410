/**
 * Network devices in the simulated kernel (net/core/dev.c, net-sysfs.c): registration and naming,
 * the attributes under /sys/class/net, operational state, link settings, switchdev representors
 * and VF traffic counters (linux-sriov-abi.md §9).
 */
import { KernelError, type ErrnoName } from '../../errors.js';
import type { EswitchMode, VfCounters } from '../../host.js';
import { ZERO_MAC, type MacAddress } from '../../names.js';
import {
  relativeLink,
  type KernelBase,
  type NsimPortRef,
  type SimNetdev,
  type SimPciDevice,
  type SimSriov,
  type TrafficRates,
  type VfState,
} from './objects.js';

/** What register_netdevice() is given. */
export interface NetdevSpec {
  name: string;
  mac: MacAddress;
  mtu: number;
  device: SimPciDevice | null;
  role: SimNetdev['role'];
  carrier: boolean;
  speedMbps: number;
  adminUp?: boolean;
  repOf?: { pf: SimPciDevice; vf: number };
  /** A non-PCI parent device directory (netdevsim's /sys/devices/netdevsim<ID>). */
  parentDir?: string;
  maxMtu?: number;
  nsim?: NsimPortRef;
  /** IFLA_PHYS_PORT_NAME when the driver reports one (devlink port attributes). */
  physPortName?: string;
}

/** A deterministic locally administered MAC for netdevs whose driver picks a random one. */
function pseudoRandomMac(seed: number): MacAddress {
  const b = [
    0x02 | ((seed * 7) & 0xfc),
    (seed >> 24) & 0xff,
    (seed >> 16) & 0xff,
    (seed >> 8) & 0xff,
    seed & 0xff,
    0x5a,
  ];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':') as MacAddress;
}

/** Netdevs: registration, naming, state, representors and VF counters. */
export class NetCore {
  private nextIfindex = 1;
  private macSeed = 0x10000;

  constructor(private readonly k: KernelBase) {}

  /** A locally administered unicast MAC, as eth_hw_addr_random() gives (deterministic here). */
  randomMac(): MacAddress {
    return pseudoRandomMac(this.macSeed++);
  }

  /** The name dev_alloc_name() gives an `eth%d` netdev: the lowest unused number. */
  allocEthName(): string {
    let n = 0;
    while (this.k.netdevs.has(`eth${n}`)) n++;
    return `eth${n}`;
  }

  /** register_netdevice(): the netdev, its /sys/class/net link and attribute files. */
  addNetdev(spec: NetdevSpec): SimNetdev {
    const parentDir = spec.device?.sysDir ?? spec.parentDir;
    const sysDir = parentDir
      ? `${parentDir}/net/${spec.name}`
      : `/sys/devices/virtual/net/${spec.name}`;
    const nd: SimNetdev = {
      ifindex: this.nextIfindex++,
      name: spec.name,
      mac: spec.mac,
      mtu: spec.mtu,
      minMtu: spec.role === 'other' ? 0 : 68,
      maxMtu: spec.maxMtu ?? (spec.role === 'other' ? 0 : 9702),
      adminUp: spec.adminUp ?? true,
      carrier: spec.carrier,
      speedMbps: spec.speedMbps,
      device: spec.device,
      role: spec.role,
      sysDir,
      ...(spec.repOf ? { repOf: spec.repOf } : {}),
      ...(spec.nsim ? { nsim: spec.nsim } : {}),
    };
    this.k.netdevs.set(nd.name, nd);
    const v = this.k.vfs;
    v.mkdirp(sysDir);
    v.link(`/sys/class/net/${nd.name}`, relativeLink('/sys/class/net', sysDir));
    v.file(`${sysDir}/address`, { read: () => `${nd.mac}\n` });
    v.file(`${sysDir}/mtu`, { read: () => `${nd.mtu}\n` });
    v.file(`${sysDir}/ifindex`, { read: () => `${nd.ifindex}\n` });
    v.file(`${sysDir}/operstate`, { read: () => `${this.operstate(nd)}\n` });
    v.file(`${sysDir}/carrier`, {
      read: () => {
        if (!nd.adminUp) throw new KernelError('EINVAL', 'read', `${sysDir}/carrier`);
        return this.operstate(nd) === 'up' ? '1\n' : '0\n';
      },
    });
    v.file(`${sysDir}/speed`, {
      read: () => {
        // Down interface or no get_link_ksettings (lo, netdevsim): EINVAL; up without link: -1.
        if (!nd.adminUp || nd.role === 'other' || nd.nsim)
          throw new KernelError('EINVAL', 'read', `${sysDir}/speed`);
        return this.operstate(nd) === 'up' ? `${nd.speedMbps}\n` : '-1\n';
      },
    });
    v.constant(`${sysDir}/type`, nd.role === 'other' ? '772\n' : '1\n');
    if (parentDir) v.link(`${sysDir}/device`, relativeLink(sysDir, parentDir));
    if (nd.role === 'rep' && nd.repOf)
      v.constant(`${sysDir}/phys_port_name`, `pf0vf${nd.repOf.vf}\n`);
    if (spec.physPortName !== undefined)
      v.constant(`${sysDir}/phys_port_name`, `${spec.physPortName}\n`);
    return nd;
  }

  /** Operational state as RFC 2863 / IF_OPER_*: VFs follow the PF link unless forced. */
  operstate(nd: SimNetdev): string {
    if (nd.role === 'other') return 'unknown';
    if (!nd.adminUp) return 'down';
    // netdevsim never calls netif_carrier_on/off, so no linkwatch event ever moves an up port off
    // IF_OPER_UNKNOWN (like dummy).
    if (nd.nsim) return 'unknown';
    if (nd.role === 'vf' && nd.device?.pf) {
      const pf = nd.device.pf;
      const st = pf.sriov?.vfState[nd.device.vfIndex];
      if (st?.linkState === 'disable') return 'down';
      if (st?.linkState === 'enable') return 'up';
      return pf.board.linkUp && (pf.netdev?.adminUp ?? false) ? 'up' : 'down';
    }
    return nd.carrier ? 'up' : 'down';
  }

  registerDeviceNetdev(dev: SimPciDevice): void {
    const register = () => {
      if (dev.netdev || !dev.driver) return;
      const st = dev.pf ? dev.pf.sriov?.vfState[dev.vfIndex] : undefined;
      // A host VF driver takes the admin MAC when one was set, else it makes up a random one.
      const mac = dev.pf
        ? st && st.mac !== ZERO_MAC
          ? st.mac
          : pseudoRandomMac(this.macSeed++)
        : dev.board.mac;
      dev.netdev = this.addNetdev({
        name: dev.netdevName,
        mac,
        mtu: 1500,
        device: dev,
        role: dev.pf ? 'vf' : 'pf',
        carrier: dev.pf ? true : dev.board.linkUp,
        speedMbps: dev.board.speedMbps,
      });
    };
    // VF netdevs are registered by the VF driver's asynchronous probe and renamed by udev later.
    if (dev.pf) this.k.schedule(250, `netdev ${dev.netdevName} registers`, register);
    else register();
  }

  /** unregister_netdevice(): removes the netdev and its sysfs. */
  unregisterNetdev(nd: SimNetdev): void {
    this.k.netdevs.delete(nd.name);
    this.k.vfs.remove(nd.sysDir);
    this.k.vfs.remove(`/sys/class/net/${nd.name}`);
    if (nd.device?.netdev === nd) nd.device.netdev = null;
  }

  createRepresentors(pf: SimPciDevice, sr: SimSriov): void {
    for (let i = 0; i < sr.numVfs; i++) {
      this.addNetdev({
        name: `${pf.netdevBase}npf0vf${i}`.slice(0, 15),
        mac: this.randomMac(),
        mtu: 1500,
        device: pf,
        role: 'rep',
        carrier: true,
        speedMbps: 0,
        repOf: { pf, vf: i },
      });
    }
  }

  removeRepresentors(pf: SimPciDevice): void {
    for (const nd of [...this.k.netdevs.values()]) {
      if (nd.role === 'rep' && nd.repOf?.pf === pf) this.unregisterNetdev(nd);
    }
  }

  /** devlink eswitch set: mode changes, with ice refusing while VFs exist. */
  setEswitchMode(pf: SimPciDevice, mode: EswitchMode): void {
    const target = `devlink pci/${pf.address}`;
    const def = pf.driver ? this.k.drivers.get(pf.driver) : undefined;
    if (!def?.eswitch) throw new KernelError('EOPNOTSUPP', 'devlink', target);
    if (pf.board.eswitchMode === mode) return;
    if (def.eswitch.needsNoVfs && (pf.sriov?.numVfs ?? 0) > 0) {
      throw new KernelError(
        'EOPNOTSUPP',
        'devlink',
        target,
        'Changing eswitch mode is allowed only if there is no VFs created',
      );
    }
    pf.board.eswitchMode = mode;
    if (pf.sriov && pf.sriov.numVfs > 0) {
      if (mode === 'switchdev') this.createRepresentors(pf, pf.sriov);
      else this.removeRepresentors(pf);
    }
  }

  /** Sets a link's admin state or MTU (RTM_NEWLINK without VF attributes). */
  setLink(nd: SimNetdev, up: boolean | undefined, mtu: number | undefined): ErrnoName | null {
    if (mtu !== undefined) {
      if (nd.role !== 'other' && (mtu < nd.minMtu || mtu > nd.maxMtu)) return 'EINVAL';
      nd.mtu = mtu;
    }
    if (up !== undefined) nd.adminUp = up;
    return null;
  }

  /** Current counters of a VF including simulated traffic up to now. */
  vfCounters(st: VfState): VfCounters {
    const t = st.traffic;
    if (!t) return { ...st.counters };
    const secs = Math.max(0, (this.k.config.clock() - st.trafficSince) / 1000);
    const c = st.counters;
    return {
      rxBytes: Math.floor(c.rxBytes + t.rxBytesPerSec * secs),
      rxPackets: Math.floor(c.rxPackets + t.rxPacketsPerSec * secs),
      rxMulticast: c.rxMulticast,
      rxBroadcast: c.rxBroadcast,
      rxDropped: Math.floor(c.rxDropped + t.rxDroppedPerSec * secs),
      txBytes: Math.floor(c.txBytes + t.txBytesPerSec * secs),
      txPackets: Math.floor(c.txPackets + t.txPacketsPerSec * secs),
      txDropped: Math.floor(c.txDropped + t.txDroppedPerSec * secs),
    };
  }

  /** Starts, changes or stops (null) simulated traffic on a VF; counters keep what they reached. */
  setTraffic(pf: SimPciDevice, vf: number, rates: TrafficRates | null): void {
    const st = pf.sriov?.vfState[vf];
    if (!st) throw new Error(`sim: ${pf.address} has no VF ${vf}`);
    st.counters = this.vfCounters(st);
    st.traffic = rates;
    st.trafficSince = this.k.config.clock();
  }

  /** Brings a PF's physical link up or down (cable, switch port). */
  setCarrier(pf: SimPciDevice, up: boolean): void {
    pf.board.linkUp = up;
    if (pf.netdev) pf.netdev.carrier = up;
  }

  /** The PF device behind a netdev name, if that netdev is a PF with VF ops. */
  pfByNetdev(name: string): SimPciDevice | null {
    const nd = this.k.netdevs.get(name);
    if (!nd || nd.role !== 'pf' || !nd.device?.sriov) return null;
    return nd.device;
  }
}
