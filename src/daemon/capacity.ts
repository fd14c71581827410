/**
 * Capacity at a glance, per PF and per NUMA node: how many VFs the hardware allows, how many exist,
 * how many pools claim, how many the ledger has handed out, and guaranteed bandwidth given out
 * against what placement admits (link speed × oversubscription). A pure function of one inventory
 * snapshot and the ledger's rows, so the numbers always agree with what placement decides.
 */
import type { Inventory } from '../inventory/types.js';
import { pfBandwidth, poolMembers, type PlacementConfig } from '../ledger/placement.js';
import type { Attachment, Pool } from '../ledger/types.js';

interface Counts {
  /** sriov_totalvfs: what the device allows. */
  totalVfs: number;
  /** sriov_numvfs: VFs that exist now. */
  numVfs: number;
  /** Existing VFs at least one pool selects. */
  pooledVfs: number;
  /** Ledger rows on this PF, in any state (attaching, attached, detaching, failed, orphaned). */
  allocatedVfs: number;
  /** Existing VFs no ledger row holds. */
  freeVfs: number;
  /** Sum of minTxRate of the attachments (Mbit/s). */
  guaranteedMbps: number;
  /** Link speed × oversubscription (Mbit/s); null while the speed is unknown (link down). */
  guaranteeCapMbps: number | null;
}

export interface PfCapacity extends Counts {
  /** The PF's PCI address (as attachments name it). */
  pf: string;
  netdev: string | null;
  numaNode: number;
  driver: string | null;
  deviceName: string;
  linkUp: boolean | null;
  speedMbps: number | null;
}

export interface NumaCapacity extends Counts {
  node: number;
}

export interface Capacity {
  pfs: PfCapacity[];
  numa: NumaCapacity[];
}

export function capacityOf(
  inv: Inventory,
  pools: readonly Pool[],
  attachments: readonly Attachment[],
  config: PlacementConfig,
): Capacity {
  const pooled = new Set<string>();
  for (const pool of pools)
    for (const m of poolMembers(pool, inv)) pooled.add(`${m.pf.pciAddress}#${m.vf.vfIndex}`);
  const byPf = new Map<string, Attachment[]>();
  for (const a of attachments) {
    const list = byPf.get(a.pf) ?? [];
    list.push(a);
    byPf.set(a.pf, list);
  }

  const pfs: PfCapacity[] = inv.pfs.map((pf) => {
    const held = byPf.get(pf.pciAddress) ?? [];
    const heldIdx = new Set(held.map((a) => a.vfIndex));
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
      pooledVfs: pf.vfs.filter((v) => pooled.has(`${pf.pciAddress}#${v.vfIndex}`)).length,
      allocatedVfs: held.length,
      freeVfs: pf.vfs.filter((v) => !heldIdx.has(v.vfIndex)).length,
      guaranteedMbps: held.reduce((s, a) => s + a.minTxRate, 0),
      guaranteeCapMbps: pfBandwidth(pf, config),
    };
  });

  const numa = new Map<number, NumaCapacity>();
  for (const p of pfs) {
    let n = numa.get(p.numaNode);
    if (!n)
      numa.set(
        p.numaNode,
        (n = {
          node: p.numaNode,
          totalVfs: 0,
          numVfs: 0,
          pooledVfs: 0,
          allocatedVfs: 0,
          freeVfs: 0,
          guaranteedMbps: 0,
          guaranteeCapMbps: null,
        }),
      );
    n.totalVfs += p.totalVfs;
    n.numVfs += p.numVfs;
    n.pooledVfs += p.pooledVfs;
    n.allocatedVfs += p.allocatedVfs;
    n.freeVfs += p.freeVfs;
    n.guaranteedMbps += p.guaranteedMbps;
    // A node's cap is what its PFs with a known speed can give; unknown only when none is known.
    if (p.guaranteeCapMbps !== null)
      n.guaranteeCapMbps = (n.guaranteeCapMbps ?? 0) + p.guaranteeCapMbps;
  }
  return { pfs, numa: [...numa.values()].sort((a, b) => a.node - b.node) };
}
