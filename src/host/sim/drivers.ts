/**
 * Driver behaviour in the simulated kernel: which devices each driver matches, what its
 * sriov_configure does, and how its VF ndos validate settings (linux-sriov-abi.md §1.5, §4.3).
 */
import type { ErrnoName } from '../errors.js';
import type { VlanProto } from '../host.js';
import { isMulticastMac, type MacAddress } from '../names.js';

export interface IdMatch {
  vendor: number;
  device: number;
}

/** What a PF driver's netlink VF ops accept; each returns an errno or nothing. */
export interface VfOps {
  defaults: { spoofchk: boolean | null; trust: boolean | null; queryRss: boolean | null };
  /** Driver implements ndo_get_vf_stats (others report zeros). */
  stats: boolean;
  setMac(ctx: VfOpContext, mac: MacAddress): ErrnoName | void;
  setVlan(ctx: VfOpContext, vlan: number, qos: number, proto: VlanProto): ErrnoName | void;
  /** Returns the (min, max) the driver stores, or an errno. */
  setRate(ctx: VfOpContext, min: number, max: number): ErrnoName | { min: number; max: number };
  setSpoofchk?(ctx: VfOpContext, on: boolean): ErrnoName | void;
  setTrust?(ctx: VfOpContext, on: boolean): ErrnoName | void;
  setLinkState?(ctx: VfOpContext, state: number): ErrnoName | void;
}

/** What a VF op may ask about the PF and the VF it acts on. */
export interface VfOpContext {
  vf: number;
  numVfs: number;
  pfLinkUp: boolean;
  pfSpeedMbps: number;
  eswitchMode: 'legacy' | 'switchdev';
  /** The VF was created so recently that the driver is still resetting it (i40e). */
  vfInReset: boolean;
  /** ice Double VLAN Mode (accepts 802.1ad). */
  doubleVlanMode: boolean;
}

export interface SriovConfigureContext {
  requested: number;
  capTotalVfs: number;
  /** A per-board resource limit below TotalVFs (i40e num_req_vfs, ice num_supported). */
  resourceLimit: number | null;
  netdevUp: boolean;
  vfsAssigned: boolean;
  vfioEnableSriov: boolean;
}

export interface DriverDef {
  name: string;
  module: string;
  ids: IdMatch[];
  /** Also matches by PCI class (nvme binds any NVMe controller). */
  classMatch?: number;
  /** vfio-pci: the table only matches when driver_override names the driver. */
  overrideOnly?: boolean;
  /** Registers a netdev for each device it binds. */
  netdev: boolean;
  /** PF drivers: sriov_configure(n) → number of VFs enabled, or an errno. Absent: ENOENT. */
  sriovConfigure?(ctx: SriovConfigureContext): number | ErrnoName;
  /** pci_sriov_set_totalvfs() at probe (ixgbe 63). */
  driverMaxVfs?: number;
  vfOps?: VfOps;
  /** devlink eswitch mode support; mode changes allowed only without VFs (ice). */
  eswitch?: { needsNoVfs: boolean };
  /** Time a freshly probed VF stays in reset, answering MAC changes with EAGAIN (i40e). */
  vfResetMs?: number;
  /** Probe time per VF, for VF creation timing. */
  vfProbeMs?: number;
  /** Refuses to bind a PF that has VFs enabled (vfio-pci). */
  refusesPfWithVfs?: boolean;
  /** Needs an IOMMU group to bind (vfio-pci). */
  needsIommuGroup?: boolean;
  version: string;
}

function vlanCommon(ctx: VfOpContext, vlan: number, qos: number): ErrnoName | void {
  if (ctx.vf >= ctx.numVfs || vlan > 4095 || qos > 7) return 'EINVAL';
}

function checkVf(ctx: VfOpContext): ErrnoName | void {
  if (ctx.vf >= ctx.numVfs) return 'EINVAL';
}

const intelMac = (ctx: VfOpContext, mac: MacAddress): ErrnoName | void => {
  if (ctx.vf >= ctx.numVfs || isMulticastMac(mac)) return 'EINVAL';
};

/** Intel parts have no VF min rate; max is bounded by the link. */
function intelRate(minRoundUp: number) {
  return (ctx: VfOpContext, min: number, max: number): ErrnoName | { min: number; max: number } => {
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    if (min !== 0) return 'EINVAL';
    if (max > ctx.pfSpeedMbps) return 'EINVAL';
    return { min: 0, max: max > 0 && max < minRoundUp ? minRoundUp : max };
  };
}

const ixgbeOps: VfOps = {
  defaults: { spoofchk: true, trust: false, queryRss: false },
  stats: true,
  setMac: intelMac,
  setVlan: (ctx, vlan, qos, proto) =>
    vlanCommon(ctx, vlan, qos) ?? (proto !== '802.1Q' ? 'EPROTONOSUPPORT' : undefined),
  setRate: (ctx, min, max) => {
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    // ixgbe_ndo_set_vf_bw: link must be up at 10G, no min rate, max in (10, link].
    if (!ctx.pfLinkUp || ctx.pfSpeedMbps !== 10000 || min !== 0) return 'EINVAL';
    if (max !== 0 && (max <= 10 || max > ctx.pfSpeedMbps)) return 'EINVAL';
    return { min, max };
  },
};

const i40eOps: VfOps = {
  defaults: { spoofchk: true, trust: false, queryRss: null },
  stats: true,
  setMac: (ctx, mac) => (ctx.vfInReset ? 'EAGAIN' : intelMac(ctx, mac)),
  setVlan: (ctx, vlan, qos, proto) =>
    (ctx.vfInReset ? 'EAGAIN' : undefined) ??
    vlanCommon(ctx, vlan, qos) ??
    (proto !== '802.1Q' ? 'EPROTONOSUPPORT' : undefined),
  setRate: intelRate(50),
};

const iceOps: VfOps = {
  defaults: { spoofchk: true, trust: false, queryRss: null },
  stats: true,
  setMac: intelMac,
  setVlan: (ctx, vlan, qos, proto) =>
    vlanCommon(ctx, vlan, qos) ??
    (proto === '802.1ad' && !ctx.doubleVlanMode ? 'EPROTONOSUPPORT' : undefined),
  setRate: (ctx, min, max) => {
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    if (max > ctx.pfSpeedMbps || min > ctx.pfSpeedMbps) return 'EINVAL';
    return { min, max };
  },
};

const mlx5Ops: VfOps = {
  defaults: { spoofchk: false, trust: false, queryRss: null },
  stats: true,
  setMac: (ctx, mac) => checkVf(ctx) ?? (isMulticastMac(mac) ? 'EINVAL' : undefined),
  setVlan: (ctx, vlan, qos, proto) =>
    (ctx.eswitchMode === 'switchdev' ? 'EOPNOTSUPP' : undefined) ??
    vlanCommon(ctx, vlan, qos) ??
    (proto !== '802.1Q' ? 'EPROTONOSUPPORT' : undefined),
  setRate: (ctx, min, max) => {
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    if (max > ctx.pfSpeedMbps) return 'EINVAL';
    return { min, max };
  },
  setSpoofchk: (ctx) => (ctx.eswitchMode === 'switchdev' ? 'EOPNOTSUPP' : checkVf(ctx)),
  setTrust: (ctx) => (ctx.eswitchMode === 'switchdev' ? 'EOPNOTSUPP' : checkVf(ctx)),
};

const bnxtOps: VfOps = {
  defaults: { spoofchk: false, trust: false, queryRss: null },
  stats: false,
  setMac: intelMac,
  setVlan: (ctx, vlan, qos, proto) =>
    vlanCommon(ctx, vlan, qos) ??
    (proto !== '802.1Q' && (vlan !== 0 || qos !== 0) ? 'EPROTONOSUPPORT' : undefined),
  setRate: (ctx, min, max) => {
    if (ctx.vf >= ctx.numVfs) return 'EINVAL';
    if (max > ctx.pfSpeedMbps || min > ctx.pfSpeedMbps) return 'EINVAL';
    return { min, max };
  },
};

const simple = (ctx: SriovConfigureContext): number | ErrnoName =>
  ctx.requested === 0 && ctx.vfsAssigned ? 'EPERM' : ctx.requested;

export const DRIVERS: Record<string, DriverDef> = {
  ixgbe: {
    name: 'ixgbe',
    module: 'ixgbe',
    ids: [
      { vendor: 0x8086, device: 0x10fb },
      { vendor: 0x8086, device: 0x1528 },
      { vendor: 0x8086, device: 0x1563 },
    ],
    netdev: true,
    driverMaxVfs: 63,
    sriovConfigure: simple,
    vfOps: ixgbeOps,
    vfProbeMs: 15,
    version: '6.1.0-18-amd64',
  },
  ixgbevf: {
    name: 'ixgbevf',
    module: 'ixgbevf',
    ids: [{ vendor: 0x8086, device: 0x10ed }],
    netdev: true,
    version: '6.1.0-18-amd64',
  },
  i40e: {
    name: 'i40e',
    module: 'i40e',
    ids: [
      { vendor: 0x8086, device: 0x1572 },
      { vendor: 0x8086, device: 0x1583 },
      { vendor: 0x8086, device: 0x158b },
    ],
    netdev: true,
    sriovConfigure: (ctx) => {
      if (ctx.resourceLimit !== null && ctx.requested > ctx.resourceLimit) return 'EPERM';
      return simple(ctx);
    },
    vfOps: i40eOps,
    vfResetMs: 1500,
    vfProbeMs: 40,
    version: '6.1.0-18-amd64',
  },
  ice: {
    name: 'ice',
    module: 'ice',
    ids: [
      { vendor: 0x8086, device: 0x1592 },
      { vendor: 0x8086, device: 0x1593 },
      { vendor: 0x8086, device: 0x159b },
    ],
    netdev: true,
    sriovConfigure: (ctx) => {
      if (ctx.requested > (ctx.resourceLimit ?? ctx.capTotalVfs)) return 'EOPNOTSUPP';
      if (ctx.requested === 0 && ctx.vfsAssigned) return 'EBUSY';
      return ctx.requested;
    },
    vfOps: iceOps,
    eswitch: { needsNoVfs: true },
    vfProbeMs: 25,
    version: '6.1.0-18-amd64',
  },
  iavf: {
    name: 'iavf',
    module: 'iavf',
    ids: [
      { vendor: 0x8086, device: 0x154c },
      { vendor: 0x8086, device: 0x1889 },
    ],
    netdev: true,
    version: '6.1.0-18-amd64',
  },
  mlx5_core: {
    name: 'mlx5_core',
    module: 'mlx5_core',
    ids: [
      { vendor: 0x15b3, device: 0x101d },
      { vendor: 0x15b3, device: 0x101e },
      { vendor: 0x15b3, device: 0x101f },
      { vendor: 0x15b3, device: 0x1021 },
    ],
    netdev: true,
    sriovConfigure: simple,
    vfOps: mlx5Ops,
    eswitch: { needsNoVfs: false },
    vfProbeMs: 120,
    version: '6.1.0-18-amd64',
  },
  bnxt_en: {
    name: 'bnxt_en',
    module: 'bnxt_en',
    ids: [
      { vendor: 0x14e4, device: 0x16d7 },
      { vendor: 0x14e4, device: 0x16d8 },
      { vendor: 0x14e4, device: 0x16dc },
    ],
    netdev: true,
    // bnxt_sriov_configure: "Reject SRIOV config request since if is down!" returns 0 → success.
    sriovConfigure: (ctx) =>
      ctx.requested !== 0 && !ctx.netdevUp ? 0 : ctx.vfsAssigned ? 0 : ctx.requested,
    vfOps: bnxtOps,
    eswitch: { needsNoVfs: false },
    vfProbeMs: 30,
    version: '1.10.2-224.0.158.0',
  },
  igb: {
    name: 'igb',
    module: 'igb',
    ids: [{ vendor: 0x8086, device: 0x1533 }],
    netdev: true,
    version: '6.1.0-18-amd64',
  },
  nvme: {
    name: 'nvme',
    module: 'nvme',
    ids: [],
    classMatch: 0x010802,
    netdev: false,
    sriovConfigure: simple,
    vfProbeMs: 10,
    version: '1.0',
  },
  'pci-pf-stub': {
    name: 'pci-pf-stub',
    module: 'pci_pf_stub',
    ids: [],
    netdev: false,
    sriovConfigure: simple,
    version: '',
  },
  'vfio-pci': {
    name: 'vfio-pci',
    module: 'vfio_pci',
    ids: [],
    overrideOnly: true,
    netdev: false,
    sriovConfigure: (ctx) => (ctx.vfioEnableSriov ? simple(ctx) : 'ENOENT'),
    refusesPfWithVfs: true,
    needsIommuGroup: true,
    version: '',
  },
};
