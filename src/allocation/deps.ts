/** What every allocation operation works with: the ledger, the host, the clock, claims, events. */
import type { Host } from '../host/host.js';
import type { InventoryCache } from '../inventory/inventory-cache.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PlacementConfig } from '../ledger/placement.js';
import type { LedgerReader, LedgerStore } from '../ledger/store.js';
import type { Attachment } from '../ledger/types.js';
import type { Abandoned } from './abandoned.js';
import type { Claims } from './claims.js';
import type { AllocationEvents } from './events.js';

export interface AllocationDeps {
  ledger: Ledger;
  store: LedgerStore;
  /** The only writer reached from here is the executor (configureVfs), given this host. */
  host: Host;
  inventory: InventoryCache;
  /** This host's name: attachments record it, consumers default to it, queries carry it. */
  hostname: string;
  placementConfig: PlacementConfig;
  stamp: () => string;
  timeoutMs: number;
  claims: Claims;
  abandoned: Abandoned;
  events: AllocationEvents;
}

/** This host's attachments (every store filters by host: the store contract suite checks it). */
export function hostRows(reader: LedgerReader, hostname: string): Promise<Attachment[]> {
  return reader.listAttachments({ host: hostname });
}

/** How to name a VF in messages: `VF 3 of ens1f0`, or of its PF address when it has no netdev. */
export function vfName(a: Pick<Attachment, 'vfIndex' | 'pfNetdev' | 'pf'>): string {
  return `VF ${a.vfIndex} of ${a.pfNetdev ?? a.pf}`;
}

/** What an operator can do about a `failed` row; every text that makes or reports one says it. */
export function failedWayOut(id: string): string {
  return `detach it again to retry the scrub (DELETE /attachments/${id}, sriovctl detach ${id}), or as an admin release it without one (?force=true, sriovctl detach --force ${id})`;
}

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}
