/**
 * Capacity and allocation: per PF, NUMA node, pool and tenant, how many VFs exist, are pooled,
 * are held and are free, and how much guaranteed bandwidth (the sum of held VFs' minTxRate) is
 * given out against what the link can carry. A pure function of an inventory snapshot and the
 * ledger. The per-PF and per-node numbers mean exactly what GET /api/v1/capacity says (free = an
 * existing VF no ledger row holds), so a dashboard and the console never disagree.
 */
import type { Inventory } from '../inventory/types.js';
import { pfBandwidth, poolMembers, type PlacementConfig } from '../ledger/placement.js';
import type { Attachment, Pool, Tenant } from '../ledger/types.js';

export interface PfCapacity {
  /** PCI address (or netdevsim name). */
  pf: string;
  netdev: string | null;
  numaNode: number;
  driver: string | null;
  deviceName: string;
  linkUp: boolean | null;
  speedMbps: number | null;
  totalVfs: number;
  numVfs: number;
  /** VFs some pool selects. */
  pooledVfs: number;
  /** VFs an attachment holds (in any state: a VF being attached or scrubbed is not free). */
  allocatedVfs: number;
  /** Existing VFs no attachment holds (pooled or not). */
  freeVfs: number;
  /** Sum of the held VFs' minTxRate, Mbit/s. */
  guaranteedMbps: number;
  /** Link speed × oversubscription, Mbit/s; null when the speed is unknown (link down). */
  guaranteeCapMbps: number | null;
}

export interface NumaCapacity {
  node: number;
  totalVfs: number;
  numVfs: number;
  pooledVfs: number;
  allocatedVfs: number;
  freeVfs: number;
  guaranteedMbps: number;
  /** What the node's PFs with a known speed can guarantee; null when none is known. */
  guaranteeCapMbps: number | null;
}

export interface PoolCapacity {
  pool: string;
  /** VFs the pool selects on this host now. */
  vfs: number;
  /** Attachments taken from this pool. */
  allocatedVfs: number;
  /** Members no attachment holds (through this pool or another one selecting the same VF). */
  freeVfs: number;
  guaranteedMbps: number;
}

export interface TenantCapacity {
  tenant: string;
  allocatedVfs: number;
  maxVfs: number | null;
  guaranteedMbps: number;
  maxGuaranteedMbps: number | null;
}

export interface Capacity {
  pfs: PfCapacity[];
  numa: NumaCapacity[];
  pools: PoolCapacity[];
  tenants: TenantCapacity[];
}

export interface CapacityInput {
  inv: Inventory;
  pools: readonly Pool[];
  tenants: readonly Tenant[];
  attachments: readonly Attachment[];
  config: PlacementConfig;
}

const key = (pf: string, vf: number) => `${pf}#${vf}`;

export function computeCapacity({
  inv,
  pools,
  tenants,
  attachments,
  config,
}: CapacityInput): Capacity {
  const held = new Set(attachments.map((a) => key(a.pf, a.vfIndex)));
  const pooled = new Map<string, Set<number>>();
  const poolOut: PoolCapacity[] = [];
  for (const pool of pools) {
    const members = poolMembers(pool, inv);
    let free = 0;
    for (const { pf, vf } of members) {
      let s = pooled.get(pf.pciAddress);
      if (!s) pooled.set(pf.pciAddress, (s = new Set()));
      s.add(vf.vfIndex);
      if (!held.has(key(pf.pciAddress, vf.vfIndex))) free++;
    }
    const mine = attachments.filter((a) => a.pool === pool.name);
    poolOut.push({
      pool: pool.name,
      vfs: members.length,
      allocatedVfs: mine.length,
      freeVfs: free,
      guaranteedMbps: mine.reduce((n, a) => n + a.minTxRate, 0),
    });
  }

  const byPf = new Map<string, { n: number; mbps: number }>();
  for (const a of attachments) {
    const e = byPf.get(a.pf) ?? { n: 0, mbps: 0 };
    e.n++;
    e.mbps += a.minTxRate;
    byPf.set(a.pf, e);
  }

  const pfs: PfCapacity[] = inv.pfs.map((pf) => {
    const members = pooled.get(pf.pciAddress);
    let freeVfs = 0;
    for (const v of pf.vfs) if (!held.has(key(pf.pciAddress, v.vfIndex))) freeVfs++;
    const a = byPf.get(pf.pciAddress);
    return {
      pf: pf.pciAddress,
      netdev: pf.netdev,
      numaNode: pf.numaNode,
      driver: pf.driver,
      deviceName: pf.deviceName,
      linkUp: pf.linkUp,
      speedMbps: pf.speedMbps,
      totalVfs: pf.totalVfs,
      numVfs: pf.numVfs,
      pooledVfs: members?.size ?? 0,
      allocatedVfs: a?.n ?? 0,
      freeVfs,
      guaranteedMbps: a?.mbps ?? 0,
      guaranteeCapMbps: pfBandwidth(pf, config),
    };
  });

  const numa = new Map<number, NumaCapacity>();
  for (const p of pfs) {
    const n = numa.get(p.numaNode) ?? {
      node: p.numaNode,
      totalVfs: 0,
      numVfs: 0,
      pooledVfs: 0,
      allocatedVfs: 0,
      freeVfs: 0,
      guaranteedMbps: 0,
      guaranteeCapMbps: null,
    };
    n.totalVfs += p.totalVfs;
    n.numVfs += p.numVfs;
    n.pooledVfs += p.pooledVfs;
    n.allocatedVfs += p.allocatedVfs;
    n.freeVfs += p.freeVfs;
    n.guaranteedMbps += p.guaranteedMbps;
    if (p.guaranteeCapMbps !== null)
      n.guaranteeCapMbps = (n.guaranteeCapMbps ?? 0) + p.guaranteeCapMbps;
    numa.set(p.numaNode, n);
  }

  const tenantOut: TenantCapacity[] = tenants.map((t) => {
    const mine = attachments.filter((a) => a.tenant === t.name);
    return {
      tenant: t.name,
      allocatedVfs: mine.length,
      maxVfs: t.maxVfs ?? null,
      guaranteedMbps: mine.reduce((n, a) => n + a.minTxRate, 0),
      maxGuaranteedMbps: t.maxGuaranteedMbps ?? null,
    };
  });

  return {
    pfs,
    numa: [...numa.values()].sort((a, b) => a.node - b.node),
    pools: poolOut,
    tenants: tenantOut,
  };
}
