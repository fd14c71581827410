/**
 * Placement: which VFs an attach request gets, and why — or why not. A pure function of the
 * inventory, the pool, the tenant and the attachments that exist, so every decision can be
 * replayed and explained. Admission rules live here too: a PF's guaranteed rates never exceed
 * its link speed times the oversubscription factor, and tenants stay inside their quotas.
 */
import { minRateSupported, vlanProtoSupport } from '../executor/quirks.js';
import type { Inventory, PfSnapshot, VfSnapshot } from '../inventory/types.js';
import { parsePfName, parseRange } from '../contract/ranges.js';
import type {
  Attachment,
  AttachmentState,
  AttachRequest,
  Pool,
  PoolSpec,
  Tenant,
} from './types.js';
import { vfDriverIncapacity, type VfIncapacity } from './vf-capability.js';

export interface PlacementConfig {
  /** Guaranteed rates on a PF may add up to its link speed times this; default 1.0. */
  oversubscription: number;
}

/** One VF a pool covers. */
export interface PoolMember {
  pf: PfSnapshot;
  vf: VfSnapshot;
}

export interface PlacementChoice {
  pf: PfSnapshot;
  vf: VfSnapshot;
  interface: string;
  /** Why this VF: NUMA, the PF's load, the strategy. */
  why: string;
}

/** How many candidate VFs each rule removed, in the order the rules apply. */
export interface Exclusion {
  rule: string;
  count: number;
}

export interface PlacementExplanation {
  poolVfs: number;
  excluded: Exclusion[];
  candidates: number;
  strategy: 'spread' | 'pack';
}

export type PlacementResult =
  | { ok: true; choices: PlacementChoice[]; explanation: PlacementExplanation }
  | {
      ok: false;
      /** A stable machine code: quota, bandwidth, no-capacity, forbidden, ... */
      code: PlacementRefusal;
      reason: string;
      /** The field of the request the refusal is about, when there is one. */
      field?: string;
      /** What would make the request fit, when placement knows (enable the IOMMU, ...). */
      fix?: string;
      explanation?: PlacementExplanation;
    };

export type PlacementRefusal =
  | 'pool-not-allowed'
  | 'vlan-not-allowed'
  | 'trust-not-allowed'
  | 'vf-quota'
  | 'bandwidth-quota'
  | 'no-capacity'
  /** No VF of the pool can work on the pool's driver on this host (no IOMMU, no vfio-pci). */
  | 'vf-driver-unusable'
  /** The request asks for network settings on VFs that have no network (NVMe, accelerators). */
  | 'not-a-network-vf';

// Snapshots are immutable, so a pool's members are computed once per snapshot and pool version.
const memberCache = new WeakMap<Inventory, Map<string, PoolMember[]>>();
interface PoolGroup {
  pf: PfSnapshot;
  vfs: VfSnapshot[];
  indexes: Set<number>;
}
const groupCache = new WeakMap<PoolMember[], PoolGroup[]>();

/** A pool's VFs on one PF, split by whether they can work on the pool's driver. */
interface UsableGroup {
  pf: PfSnapshot;
  /** The VFs that can, in inventory order. */
  vfs: VfSnapshot[];
  /** The VFs that cannot, by index, with why. */
  unusable: Map<number, VfIncapacity>;
}
const usableCache = new WeakMap<PoolGroup[], Map<PoolSpec['vfDriver'], UsableGroup[]>>();

/** The pool's VFs grouped by PF, each split by whether it can work on the pool's driver here. */
export function usableGroups(pool: Pool, inv: Inventory): UsableGroup[] {
  const groups = poolGroups(pool, inv);
  let byDriver = usableCache.get(groups);
  if (!byDriver) usableCache.set(groups, (byDriver = new Map()));
  let out = byDriver.get(pool.vfDriver);
  if (!out) {
    out = groups.map(({ pf, vfs }) => {
      const usable: VfSnapshot[] = [];
      const unusable = new Map<number, VfIncapacity>();
      for (const vf of vfs) {
        const why = vfDriverIncapacity(inv.host, pf, vf, pool.vfDriver);
        if (why) unusable.set(vf.vfIndex, why);
        else usable.push(vf);
      }
      return { pf, vfs: usable, unusable };
    });
    byDriver.set(pool.vfDriver, out);
  }
  return out;
}

/**
 * Whether the pool's VFs take network settings (MAC, VLAN, rates, ...): they do unless every PF
 * it selects has no netdev (NVMe, accelerators), whose VFs are passed through by driver alone.
 * An empty pool counts as a network pool, as pools were before non-network VFs.
 */
export function poolTakesNetworkSettings(pool: Pool, inv: Inventory): boolean {
  const groups = poolGroups(pool, inv);
  return groups.length === 0 || groups.some((g) => g.pf.netdev !== null);
}

/** The first network setting a request asks for (a field and its value), or null when none. */
export function networkSettingAsked(req: AttachRequest): { field: string; value: unknown } | null {
  const asked: [string, unknown, boolean][] = [
    ['mac', req.mac, req.mac !== undefined],
    ['vlan', req.vlan, req.vlan !== undefined],
    ['qos', req.qos, req.qos !== 0],
    ['vlanProto', req.vlanProto, req.vlanProto !== '802.1Q'],
    ['minTxRate', req.minTxRate, req.minTxRate !== 0],
    ['maxTxRate', req.maxTxRate, req.maxTxRate !== 0],
    ['trust', req.trust, req.trust],
    ['spoofchk', req.spoofchk, req.spoofchk !== undefined],
    ['linkState', req.linkState, req.linkState !== 'auto'],
  ];
  const hit = asked.find(([, , set]) => set);
  return hit ? { field: hit[0], value: hit[1] } : null;
}

/** Why a request cannot set `field` on a pool of non-network VFs. */
function notANetworkVf(pool: Pool, field: string, value: unknown): string {
  return `pool ${pool.name} holds VFs whose PF has no netdev (NVMe, accelerators): they are passed through by driver alone and take no network settings, so ${field} (${JSON.stringify(value)}) cannot be set; leave ${field} out`;
}

/** The pool's VFs grouped by PF, in inventory order. */
export function poolGroups(pool: Pool, inv: Inventory): PoolGroup[] {
  const members = poolMembers(pool, inv);
  let groups = groupCache.get(members);
  if (!groups) {
    const m = new Map<PfSnapshot, VfSnapshot[]>();
    for (const { pf, vf } of members) {
      const list = m.get(pf);
      if (list) list.push(vf);
      else m.set(pf, [vf]);
    }
    groups = [...m].map(([pf, vfs]) => ({ pf, vfs, indexes: new Set(vfs.map((v) => v.vfIndex)) }));
    groupCache.set(members, groups);
  }
  return groups;
}

/** The VFs of the inventory that `pool` selects, in inventory order. */
export function poolMembers(pool: Pool, inv: Inventory): PoolMember[] {
  let byPool = memberCache.get(inv);
  if (!byPool) memberCache.set(inv, (byPool = new Map()));
  const key = `${pool.name}\0${JSON.stringify(pool.selector)}`;
  let members = byPool.get(key);
  if (!members) byPool.set(key, (members = selectMembers(pool, inv)));
  return members;
}

function selectMembers(pool: Pool, inv: Inventory): PoolMember[] {
  const sel = pool.selector;
  const range = sel.vfRange !== undefined ? parseRange(sel.vfRange) : null;
  const inRange = range?.ok ? new Set(range.indexes) : null;
  const out: PoolMember[] = [];
  for (const pf of inv.pfs) {
    if (sel.vendor !== undefined && pf.vendorId.toLowerCase() !== sel.vendor) continue;
    if (sel.deviceID !== undefined && pf.deviceId.toLowerCase() !== sel.deviceID) continue;
    if (sel.pciAddresses !== undefined && !sel.pciAddresses.includes(pf.pciAddress)) continue;
    if (sel.drivers !== undefined && (pf.driver === null || !sel.drivers.includes(pf.driver)))
      continue;
    let claim: Set<number> | null = null;
    if (sel.pfNames !== undefined) {
      let matched = false;
      let whole = false;
      const ranged = new Set<number>();
      for (const entry of sel.pfNames) {
        const p = parsePfName(entry);
        if (!p.ok || p.name !== pf.netdev) continue;
        matched = true;
        if (p.range === null) whole = true;
        else for (const v of p.range) ranged.add(v);
      }
      if (!matched) continue;
      if (!whole) claim = ranged;
    }
    for (const vf of pf.vfs) {
      if (claim && !claim.has(vf.vfIndex)) continue;
      if (inRange && !inRange.has(vf.vfIndex)) continue;
      out.push({ pf, vf });
    }
  }
  return out;
}

/** VLANs a tenant may use, from its range text. */
export function tenantVlans(t: Tenant): Set<number> {
  const r = parseRange(t.vlans);
  return new Set(r.ok ? r.indexes : []);
}

/** Guaranteed Mbit/s a PF can give out: link speed × oversubscription; null when unknown. */
export function pfBandwidth(pf: PfSnapshot, cfg: PlacementConfig): number | null {
  if (pf.speedMbps === null || pf.speedMbps <= 0) return null;
  return Math.floor(pf.speedMbps * cfg.oversubscription);
}

/**
 * The VLAN an attachment gets: the request's, or the tenant's only one; none (0) on a pool of
 * non-network VFs (`network` false), where asking for one is refused.
 */
export function resolveVlan(
  req: AttachRequest,
  tenant: Tenant,
  network: { pool: Pool; takesSettings: boolean } | null = null,
):
  | { ok: true; vlan: number }
  | {
      ok: false;
      code: 'vlan-not-allowed' | 'not-a-network-vf';
      reason: string;
      /** The request field to change: vlan, or vlanProto. */
      field: 'vlan' | 'vlanProto';
    } {
  if (network && !network.takesSettings) {
    if (req.vlan === undefined) return { ok: true, vlan: 0 };
    return {
      ok: false,
      code: 'not-a-network-vf',
      field: 'vlan',
      reason: notANetworkVf(network.pool, 'vlan', req.vlan),
    };
  }
  const r = resolveVlanId(req, tenant);
  // An 802.1ad tag needs a VLAN: untagged, the protocol would mean nothing (and ice outside
  // double VLAN mode, ixgbe, i40e and mlx5 refuse it even then).
  if (r.ok && r.vlan === 0 && req.vlanProto === '802.1ad')
    return {
      ok: false,
      code: 'vlan-not-allowed',
      field: 'vlanProto',
      reason: `vlanProto 802.1ad tags the VF's traffic, so it needs a VLAN; the VF would be untagged (VLAN 0): ask for one of tenant ${tenant.name}'s VLANs other than 0, or leave vlanProto out (802.1Q)`,
    };
  return r;
}

/** The VLAN ID of an attachment: the request's, or the tenant's only one. */
function resolveVlanId(
  req: AttachRequest,
  tenant: Tenant,
):
  | { ok: true; vlan: number }
  | { ok: false; code: 'vlan-not-allowed'; reason: string; field: 'vlan' } {
  const allowed = tenantVlans(tenant);
  if (req.vlan !== undefined) {
    if (!allowed.has(req.vlan))
      return {
        ok: false,
        code: 'vlan-not-allowed',
        field: 'vlan',
        reason: `VLAN ${req.vlan} is not one of tenant ${tenant.name}'s VLANs (${tenant.vlans || 'none'}); ask for one of them or add it to the tenant`,
      };
    return { ok: true, vlan: req.vlan };
  }
  if (allowed.size === 1) return { ok: true, vlan: [...allowed][0]! };
  if (allowed.size === 0)
    return {
      ok: false,
      code: 'vlan-not-allowed',
      field: 'vlan',
      reason: `tenant ${tenant.name} has no VLANs, so no VF can be isolated for it; give the tenant vlans (0 allows untagged)`,
    };
  return {
    ok: false,
    code: 'vlan-not-allowed',
    field: 'vlan',
    reason: `tenant ${tenant.name} has several VLANs (${tenant.vlans}); say which one with vlan`,
  };
}

/**
 * Chooses VFs for `interfaces` (already resolved names) of one request. `attachments` are all
 * attachments on this host, in any state: a VF in any of them is taken.
 */
export function place(input: {
  inv: Inventory;
  pool: Pool;
  tenant: Tenant;
  request: AttachRequest;
  interfaces: string[];
  attachments: readonly Attachment[];
  config: PlacementConfig;
}): PlacementResult {
  const { inv, pool, tenant, request: req, interfaces, attachments, config } = input;
  const count = interfaces.length;

  if (!tenant.pools.includes(pool.name))
    return {
      ok: false,
      code: 'pool-not-allowed',
      field: 'pool',
      reason: `tenant ${tenant.name} may not use pool ${pool.name} (allowed: ${tenant.pools.join(', ') || 'none'})`,
    };
  if (req.trust && !tenant.allowTrust)
    return {
      ok: false,
      code: 'trust-not-allowed',
      field: 'trust',
      reason: `tenant ${tenant.name} may not have trusted VFs (trust lets a VF change its MAC and see all multicast); remove trust or set allowTrust on the tenant`,
    };
  const network = poolTakesNetworkSettings(pool, inv);
  if (!network) {
    const asked = networkSettingAsked(req);
    if (asked)
      return {
        ok: false,
        code: 'not-a-network-vf',
        field: asked.field,
        reason: notANetworkVf(pool, asked.field, asked.value),
      };
  }
  const mine = attachments.filter((a) => a.tenant === tenant.name);
  if (tenant.maxVfs !== undefined && mine.length + count > tenant.maxVfs)
    return {
      ok: false,
      code: 'vf-quota',
      field: 'count',
      reason: `tenant ${tenant.name} holds ${mine.length} of its ${tenant.maxVfs} VFs; ${count} more would exceed the quota`,
    };
  const guaranteedMine = mine.reduce((s, a) => s + a.minTxRate, 0);
  if (
    tenant.maxGuaranteedMbps !== undefined &&
    guaranteedMine + count * req.minTxRate > tenant.maxGuaranteedMbps
  )
    return {
      ok: false,
      code: 'bandwidth-quota',
      field: 'minTxRate',
      reason: `tenant ${tenant.name} holds ${guaranteedMine} Mbit/s guaranteed of its ${tenant.maxGuaranteedMbps}; ${count} × ${req.minTxRate} Mbit/s more would exceed the quota`,
    };

  const owned = new Map<string, Map<number, AttachmentState>>();
  for (const a of attachments) {
    const s = owned.get(a.pf);
    if (s) s.set(a.vfIndex, a.state);
    else owned.set(a.pf, new Map([[a.vfIndex, a.state]]));
  }
  const perPf = new Map<string, { total: number; tenant: number; guaranteed: number }>();
  for (const a of attachments) {
    const e = perPf.get(a.pf) ?? { total: 0, tenant: 0, guaranteed: 0 };
    e.total++;
    if (a.tenant === tenant.name) e.tenant++;
    e.guaranteed += a.minTxRate;
    perPf.set(a.pf, e);
  }
  const load = (pf: string) => {
    let e = perPf.get(pf);
    if (!e) perPf.set(pf, (e = { total: 0, tenant: 0, guaranteed: 0 }));
    return e;
  };

  const groups = poolGroups(pool, inv);
  const usable = usableGroups(pool, inv);
  const excluded = new Map<string, number>();
  const exclude = (rule: string, n: number) => {
    if (n > 0) excluded.set(rule, (excluded.get(rule) ?? 0) + n);
  };
  /** Fixes for the VFs the pool's driver cannot work with, once each. */
  const fixes = new Set<string>();
  // Rules apply per PF: a PF's VFs share its netdev, driver, NUMA node, link and bandwidth.
  const eligible: { pf: PfSnapshot; vfs: VfSnapshot[]; mine: Map<number, unknown> | undefined }[] =
    [];
  let poolVfs = 0;
  let usableVfs = 0;
  let candidateCount = 0;
  groups.forEach(({ pf, vfs, indexes }, g) => {
    const { vfs: able, unusable } = usable[g]!;
    poolVfs += vfs.length;
    usableVfs += able.length;
    const mine = owned.get(pf.pciAddress);
    let takenAble = 0;
    if (mine)
      for (const [i, state] of mine) {
        if (!indexes.has(i)) continue;
        exclude(HELD_RULE[state], 1);
        if (!unusable.has(i)) takenAble++;
      }
    for (const [i, why] of unusable) {
      if (mine?.has(i)) continue;
      exclude(why.rule, 1);
      fixes.add(why.fix);
    }
    const free = able.length - takenAble;
    const rule = pfRule(pf, req, config, load(pf.pciAddress).guaranteed, network);
    if (rule !== null) {
      exclude(rule, free);
      return;
    }
    candidateCount += free;
    if (free) eligible.push({ pf, vfs: able, mine });
  });
  const explanation: PlacementExplanation = {
    poolVfs,
    excluded: [...excluded].map(([rule, n]) => ({ rule, count: n })),
    candidates: candidateCount,
    strategy: req.strategy,
  };

  // The choice is a PF (by NUMA and load), then its lowest free VF: linear in PFs, not VFs.
  const next = new Map<PfSnapshot, number>();
  const choices: PlacementChoice[] = [];
  for (const iface of interfaces) {
    let best: PoolMember | null = null;
    let bestScore: number[] | null = null;
    for (const { pf, vfs, mine } of eligible) {
      // The PF's lowest VF that is neither attached nor chosen for an earlier interface.
      let i = next.get(pf) ?? 0;
      while (i < vfs.length && mine?.has(vfs[i]!.vfIndex)) i++;
      next.set(pf, i);
      const vf = vfs[i];
      if (vf === undefined) continue;
      const l = load(pf.pciAddress);
      if (req.minTxRate > 0 && l.guaranteed + req.minTxRate > pfBandwidth(pf, config)!) continue;
      const numaMiss = req.numa && vf.numaNode !== req.numa.node ? 1 : 0;
      // Lower is better, compared element by element; ties go to the earlier PF.
      const score =
        req.strategy === 'spread'
          ? [numaMiss, l.tenant, l.total, l.guaranteed]
          : [numaMiss, -l.total, -l.tenant, 0];
      if (bestScore === null || lexLess(score, bestScore)) {
        best = { pf, vf };
        bestScore = score;
      }
    }
    if (!best) {
      const got = choices.length;
      return {
        ok: false,
        code: poolVfs > 0 && usableVfs === 0 ? 'vf-driver-unusable' : 'no-capacity',
        field: 'count',
        reason: `pool ${pool.name} has ${candidateCount} VF${candidateCount === 1 ? '' : 's'} that fit this request, ${count} wanted${got ? ` (${got} found)` : ''}; ${describeExclusions(explanation)}`,
        ...(fixes.size ? { fix: [...fixes].join('; ') } : {}),
        explanation,
      };
    }
    next.set(best.pf, (next.get(best.pf) ?? 0) + 1);
    const l = load(best.pf.pciAddress);
    const why = [
      req.numa
        ? best.vf.numaNode === req.numa.node
          ? `on NUMA node ${req.numa.node} as asked`
          : `NUMA node ${best.vf.numaNode}: no free VF on node ${req.numa.node}`
        : `NUMA node ${best.vf.numaNode}`,
      req.strategy === 'spread'
        ? `PF ${best.pf.netdev} had the fewest of the tenant's VFs (${l.tenant}) and ${l.total} attached`
        : `PF ${best.pf.netdev} was the fullest with room (${l.total} attached)`,
    ].join('; ');
    l.total++;
    l.tenant++;
    l.guaranteed += req.minTxRate;
    choices.push({ pf: best.pf, vf: best.vf, interface: iface, why });
  }
  return { ok: true, choices, explanation };
}

/** How VFs held by an attachment are counted in an explanation, by the attachment's state. */
const HELD_RULE: Record<AttachmentState, string> = {
  attaching: 'attached to a consumer',
  attached: 'attached to a consumer',
  orphaned: 'attached to a consumer',
  detaching: 'attached to a consumer',
  failed: 'held after a failed scrub (state failed)',
};

/** Why none of a PF's VFs fit the request, or null when they may. */
function pfRule(
  pf: PfSnapshot,
  req: AttachRequest,
  config: PlacementConfig,
  guaranteed: number,
  network: boolean,
): string | null {
  // In a pool of network VFs, a PF without a netdev cannot get the settings they are given.
  if (network && pf.netdev === null) return 'PF has no netdev (VF settings are made through it)';
  if (req.numa?.mode === 'required' && pf.numaNode !== req.numa.node)
    return `not on NUMA node ${req.numa.node} (required)`;
  if (req.maxTxRate > 0 && pf.speedMbps !== null && req.maxTxRate > pf.speedMbps)
    return `PF link (${pf.speedMbps} Mbit/s) slower than maxTxRate`;
  if (req.vlanProto !== '802.1Q' && vlanProtoSupport(pf.driver, req.vlanProto) === 'no')
    return `PF driver ${pf.driver} refuses ${req.vlanProto} VF VLANs (EPROTONOSUPPORT)`;
  if (req.minTxRate > 0) {
    if (!minRateSupported(pf.driver))
      return `PF driver ${pf.driver} cannot guarantee a minimum rate`;
    const cap = pfBandwidth(pf, config);
    if (cap === null) return 'PF link speed unknown (link down?), so no rate can be guaranteed';
    if (guaranteed + req.minTxRate > cap)
      return `PF guaranteed bandwidth full (${guaranteed} of ${cap} Mbit/s given out)`;
  }
  return null;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** "512 in the pool; 40 attached to a consumer, 256 not on NUMA node 0 (required)". */
export function describeExclusions(e: PlacementExplanation): string {
  const parts = e.excluded.map((x) => `${x.count} ${x.rule}`);
  return `${e.poolVfs} in the pool${parts.length ? `; excluded: ${parts.join(', ')}` : ''}`;
}
