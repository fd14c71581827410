/**
 * Per-PF, per-pool and per-tenant gauges: PF identity, link state and speed from the same link dump
 * as the VF counters; capacity and allocation from the inventory and the ledger (what GET
 * /api/v1/capacity reports, in Prometheus units: bandwidth in bytes per second, like
 * node_exporter's `node_network_speed_bytes`, so it compares directly with rate(sriov_vf_tx_bytes)).
 *
 * Written as text on each scrape, like the VF families: the series are a function of the scrape's
 * snapshot, so there is nothing to keep between scrapes except the PF label sets.
 */
import type { LinkInfo } from '../../host/host.js';
import type { Inventory, PfSnapshot } from '../../inventory/types.js';
import type { PlacementConfig } from '../../ledger/placement.js';
import { computeCapacity, type Capacity } from '../capacity.js';
import type { LedgerSnapshot } from '../ledger-view.js';
import { familyHeader, labelPairs, sampleValue } from '../text.js';

/** What one scrape reads; prepared once and shared by every collector of that scrape. */
export interface HostScrape {
  inv: Inventory;
  ledger: LedgerSnapshot;
  /** VFs with counters per PF netdev, from the VF collector. */
  counted: ReadonlyMap<string, number>;
  /** The dump's links that have a VF list, by name (from the VF collector's pass over the dump). */
  pfLinks: ReadonlyMap<string, LinkInfo>;
}

/** Mbit/s (the kernel's rate unit) to bytes per second. */
export const mbpsToBytes = (mbps: number): number => mbps * 125_000;

const numa = (n: number) => (n >= 0 ? String(n) : '');

/** One family: header and a line per series; series with a null value are left out. */
export function gaugeFamily(
  name: string,
  help: string,
  rows: Iterable<readonly [labels: string, value: number | null]>,
): string {
  let s = familyHeader(name, help, 'gauge');
  for (const [labels, v] of rows)
    if (v !== null && Number.isFinite(v))
      s += labels ? `${name}{${labels}} ${sampleValue(v)}\n` : `${name} ${sampleValue(v)}\n`;
  return s;
}

interface PfRow {
  pf: PfSnapshot;
  link: LinkInfo | undefined;
  /** `pf="..",pci_address="..",numa_node=".."` */
  labels: string;
}

export class HostCollector {
  private readonly labels = new WeakMap<Inventory, string[]>();
  private cap: { inv: Inventory; version: number; cap: Capacity } | null = null;
  private rendered: { inv: Inventory; version: number; text: string } | null = null;

  constructor(private readonly placement: PlacementConfig) {}

  private pfLabels(inv: Inventory): string[] {
    let l = this.labels.get(inv);
    if (!l) {
      l = inv.pfs.map((pf) =>
        labelPairs([
          ['pf', pf.netdev ?? ''],
          ['pci_address', pf.pciAddress],
          ['numa_node', numa(pf.numaNode)],
        ]),
      );
      this.labels.set(inv, l);
    }
    return l;
  }

  /** Capacity changes only with the inventory or the ledger: computed once per pair. */
  private capacity(s: HostScrape): Capacity {
    if (!this.cap || this.cap.inv !== s.inv || this.cap.version !== s.ledger.version)
      this.cap = {
        inv: s.inv,
        version: s.ledger.version,
        cap: computeCapacity({
          inv: s.inv,
          pools: s.ledger.pools,
          tenants: s.ledger.tenants,
          attachments: s.ledger.attachments,
          config: this.placement,
        }),
      };
    return this.cap.cap;
  }

  write(s: HostScrape): string {
    const labels = this.pfLabels(s.inv);
    const pfs: PfRow[] = s.inv.pfs.map((pf, i) => ({
      pf,
      link: pf.netdev === null ? undefined : s.pfLinks.get(pf.netdev),
      labels: labels[i]!,
    }));
    const bool = (b: boolean) => (b ? 1 : 0);
    let t = gaugeFamily(
      'sriovctl_pf_admin_up',
      'Whether the PF netdev is administratively up (IFF_UP), from the link dump',
      pfs.map((r) => [r.labels, r.link ? bool(r.link.adminUp) : null]),
    );
    t += gaugeFamily(
      'sriovctl_pf_link_up',
      'Whether the PF has carrier (IFF_LOWER_UP), from the link dump; VFs with link-state auto follow it',
      pfs.map((r) => [r.labels, r.link ? bool(r.link.lowerUp) : null]),
    );
    t += gaugeFamily(
      'sriovctl_pf_vf_list_truncated',
      "Whether the kernel truncated the PF's netlink VF list (above ~220 VFs): VFs past it have no counters",
      pfs.map((r) => [r.labels, r.link?.vfs ? bool(r.link.vfListTruncated === true) : null]),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs_with_counters',
      'VFs the PF reported traffic counters for in this scrape (fewer than sriovctl_pf_vfs when truncated)',
      pfs.map((r) => [
        r.labels,
        r.pf.netdev === null ? null : (s.counted.get(r.pf.netdev) ?? null),
      ]),
    );
    return t + this.staticFamilies(s, labels);
  }

  /** The families that change only with the inventory or the ledger, rendered once per pair. */
  private staticFamilies(s: HostScrape, labels: string[]): string {
    if (this.rendered?.inv === s.inv && this.rendered.version === s.ledger.version)
      return this.rendered.text;
    const cap = this.capacity(s);
    const pfs = s.inv.pfs.map((pf, i) => ({ pf, labels: labels[i]! }));
    const capRows = (value: (c: Capacity['pfs'][number]) => number | null) =>
      cap.pfs.map((c, i) => [labels[i]!, value(c)] as const);
    let t = gaugeFamily(
      'sriovctl_pf_info',
      'One series per SR-IOV PF (value 1): driver, device, firmware and eswitch mode',
      pfs.map(({ pf, labels: l }) => [
        `${l},${labelPairs([
          ['driver', pf.driver ?? ''],
          ['vendor_id', pf.vendorId],
          ['device_id', pf.deviceId],
          ['device', pf.deviceName],
          ['firmware', pf.firmware.version ?? ''],
          ['eswitch_mode', pf.eswitchMode ?? ''],
        ])}`,
        1,
      ]),
    );
    t += gaugeFamily(
      'sriovctl_pf_speed_bytes_per_second',
      'Negotiated link speed of the PF in bytes per second (absent while unknown or down)',
      pfs.map((r) => [
        r.labels,
        r.pf.speedMbps !== null && r.pf.speedMbps > 0 ? mbpsToBytes(r.pf.speedMbps) : null,
      ]),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs_max',
      'VFs the PF can have (sriov_totalvfs)',
      capRows((c) => c.totalVfs),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs',
      'VFs that exist on the PF now (sriov_numvfs)',
      capRows((c) => c.numVfs),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs_pooled',
      'Existing VFs of the PF that a pool selects',
      capRows((c) => c.pooledVfs),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs_allocated',
      'VFs of the PF the ledger has handed out (attachments in any state)',
      capRows((c) => c.allocatedVfs),
    );
    t += gaugeFamily(
      'sriovctl_pf_vfs_free',
      'Existing VFs of the PF no attachment holds',
      capRows((c) => c.freeVfs),
    );
    t += gaugeFamily(
      'sriovctl_pf_guaranteed_bytes_per_second',
      "Guaranteed bandwidth given out on the PF (sum of its attachments' minTxRate), bytes per second",
      capRows((c) => mbpsToBytes(c.guaranteedMbps)),
    );
    t += gaugeFamily(
      'sriovctl_pf_guarantee_cap_bytes_per_second',
      'Guaranteed bandwidth the PF admits (link speed × oversubscription), bytes per second; absent while the speed is unknown',
      capRows((c) => (c.guaranteeCapMbps === null ? null : mbpsToBytes(c.guaranteeCapMbps))),
    );

    const pool = (p: { pool: string }) => labelPairs([['pool', p.pool]]);
    t += gaugeFamily(
      'sriovctl_pool_vfs',
      'VFs the pool selects on this host',
      cap.pools.map((p) => [pool(p), p.vfs]),
    );
    t += gaugeFamily(
      'sriovctl_pool_vfs_allocated',
      'Attachments taken from the pool',
      cap.pools.map((p) => [pool(p), p.allocatedVfs]),
    );
    t += gaugeFamily(
      'sriovctl_pool_vfs_free',
      "The pool's VFs no attachment holds",
      cap.pools.map((p) => [pool(p), p.freeVfs]),
    );
    t += gaugeFamily(
      'sriovctl_pool_guaranteed_bytes_per_second',
      "Guaranteed bandwidth of the pool's attachments, bytes per second",
      cap.pools.map((p) => [pool(p), mbpsToBytes(p.guaranteedMbps)]),
    );

    const tenant = (x: { tenant: string }) => labelPairs([['tenant', x.tenant]]);
    t += gaugeFamily(
      'sriovctl_tenant_vfs_allocated',
      'VFs the tenant holds',
      cap.tenants.map((x) => [tenant(x), x.allocatedVfs]),
    );
    t += gaugeFamily(
      'sriovctl_tenant_vfs_limit',
      "The tenant's VF quota (absent when unlimited)",
      cap.tenants.map((x) => [tenant(x), x.maxVfs]),
    );
    t += gaugeFamily(
      'sriovctl_tenant_guaranteed_bytes_per_second',
      "Guaranteed bandwidth the tenant holds (sum of its attachments' minTxRate), bytes per second",
      cap.tenants.map((x) => [tenant(x), mbpsToBytes(x.guaranteedMbps)]),
    );
    t += gaugeFamily(
      'sriovctl_tenant_guaranteed_limit_bytes_per_second',
      "The tenant's guaranteed bandwidth quota, bytes per second (absent when unlimited)",
      cap.tenants.map((x) => [
        tenant(x),
        x.maxGuaranteedMbps === null ? null : mbpsToBytes(x.maxGuaranteedMbps),
      ]),
    );

    const byState = new Map<string, { tenant: string; state: string; n: number }>();
    for (const a of s.ledger.attachments) {
      const k = `${a.tenant}\0${a.state}`;
      const e = byState.get(k) ?? { tenant: a.tenant, state: a.state, n: 0 };
      e.n++;
      byState.set(k, e);
    }
    t += gaugeFamily(
      'sriovctl_attachments',
      'Attachments by tenant and state (attaching, attached, detaching, failed, orphaned)',
      [...byState.values()].map((e) => [
        labelPairs([
          ['tenant', e.tenant],
          ['state', e.state],
        ]),
        e.n,
      ]),
    );
    this.rendered = { inv: s.inv, version: s.ledger.version, text: t };
    return t;
  }
}
