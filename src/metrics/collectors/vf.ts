/**
 * Per-VF series: traffic counters from the PF's netlink VF stats (IFLA_VF_STATS), named and
 * labelled like the Kubernetes sriov-network-metrics-exporter (`sriov_vf_rx_bytes{pf, vf, pciAddr,
 * numa_node}`), so its dashboards and queries work unchanged; and `sriov_vf_info`, one series per
 * VF with its settings and who holds it.
 *
 * The counter families are typed `untyped`: their names have no `_total`, and Prometheus reserves
 * the counter type for names that do (promtool rejects the mix). rate() and increase() work the
 * same on them. VFs past a truncated netlink VF list have no counters: their series are absent,
 * never zero (`sriovctl_pf_vfs_with_counters` says how many a PF reported).
 *
 * This is the scrape's hot path (thousands of VFs): label sets and line prefixes are built once per
 * inventory snapshot, counters are written straight into the response bytes, and the info lines
 * (kept encoded) are rebuilt only for VFs whose settings or holder changed.
 */
import type { LinkDump, LinkInfo, VfCounters, VfInfo } from '../../host/host.js';
import type { Inventory, PfSnapshot, VfSnapshot } from '../../inventory/types.js';
import type { Attachment } from '../../ledger/types.js';
import type { LedgerSnapshot } from '../ledger-view.js';
import type { ByteWriter } from '../bytes.js';
import { escapeLabel, familyHeader, labelPairs } from '../text.js';

const NL = 10;

/** The counter families, in exporter order: metric suffix, VfCounters field, help. */
export const VF_COUNTERS: readonly (readonly [string, keyof VfCounters, string])[] = [
  ['rx_bytes', 'rxBytes', 'Bytes received by the VF'],
  ['tx_bytes', 'txBytes', 'Bytes transmitted by the VF'],
  ['rx_packets', 'rxPackets', 'Packets received by the VF'],
  ['tx_packets', 'txPackets', 'Packets transmitted by the VF'],
  ['rx_dropped', 'rxDropped', 'Received packets the VF dropped'],
  ['tx_dropped', 'txDropped', 'Packets to transmit the VF dropped'],
  ['rx_broadcast', 'rxBroadcast', 'Broadcast packets received by the VF'],
  ['rx_multicast', 'rxMulticast', 'Multicast packets received by the VF'],
];

const COUNTER_SOURCE =
  " (counter; from the PF's netlink VF stats, so VFs bound to vfio-pci or inside guests are covered)";

export const VF_INFO_HELP =
  'One series per VF (value 1): its driver and settings as the PF reports them, and the tenant, pool and consumer of the attachment holding it (labels absent when free or unknown)';

/** The label names of sriov_vf_info, for documentation and tests. */
export const VF_INFO_LABELS = [
  'pf',
  'vf',
  'pciAddr',
  'numa_node',
  'driver',
  'mac',
  'vlan',
  'spoofchk',
  'trust',
  'link_state',
  'tenant',
  'pool',
  'consumer',
  'consumer_kind',
] as const;

/** A VF's counter line prefixes, encoded once, one array per family (see ByteWriter.bytes). */
type Prefixes = Buffer[];

/**
 * The settings an info line shows, from the live dump (VfInfo) or the snapshot (VfConfig): a view
 * for display, not the VF settings model (src/host/vf-settings.ts).
 */
interface InfoSettings {
  mac: string;
  vlan: number;
  spoofchk?: boolean | null;
  trust?: boolean | null;
  linkState: string;
}

interface InfoEntry {
  /** null when the settings are unknown (past a truncated VF list). */
  mac: string | null;
  vlan: number;
  spoofchk: boolean | undefined | null;
  trust: boolean | undefined | null;
  linkState: string;
  driver: string;
  att: Attachment | undefined;
  line: string;
}

/** One PF of an inventory snapshot, indexed for the hot path. */
interface PfIndex {
  pf: PfSnapshot;
  /** Base label pairs by VF index: `pf="..",vf="..",pciAddr="..",numa_node=".."`. */
  labels: string[];
  vfs: VfSnapshot[];
  /** Counter line prefixes per VF index (built for VFs that report counters). */
  prefixes: Prefixes[];
  /** Last info line per VF index, reused while nothing about the VF changed. */
  info: (InfoEntry | undefined)[];
  /** Holders by VF index, for `heldVersion` of the ledger. */
  held: (Attachment | undefined)[];
  /** VF indexes the last dump reported. */
  live: number[];
}

interface InvIndex {
  pfs: PfIndex[];
  byNetdev: Map<string, PfIndex>;
  heldVersion: number;
  /** The ledger version the info lines were last checked against. */
  infoVersion: number;
  infoBlock: Buffer | null;
}

const numa = (n: number) => (n >= 0 ? String(n) : '');
const onOff = (b: boolean) => (b ? 'on' : 'off');

function baseLabels(pfName: string, vf: number, pciAddr: string, numaNode: string): string {
  return labelPairs([
    ['pf', pfName],
    ['vf', String(vf)],
    ['pciAddr', pciAddr],
    ['numa_node', numaNode],
  ]);
}

/**
 * One sriov_vf_info line. Empty labels are left out (Prometheus treats `x=""` as no label x), which
 * keeps a host of free VFs' exposition a third smaller.
 */
function infoLine(
  base: string,
  driver: string,
  cfg: InfoSettings | null | undefined,
  att: Attachment | undefined,
): string {
  let s = `sriov_vf_info{${base}`;
  if (driver) s += `,driver="${escapeLabel(driver)}"`;
  if (cfg) {
    s += `,mac="${cfg.mac}",vlan="${cfg.vlan}",link_state="${cfg.linkState}"`;
    if (cfg.spoofchk !== undefined && cfg.spoofchk !== null)
      s += `,spoofchk="${onOff(cfg.spoofchk)}"`;
    if (cfg.trust !== undefined && cfg.trust !== null) s += `,trust="${onOff(cfg.trust)}"`;
  }
  if (att)
    s +=
      `,tenant="${escapeLabel(att.tenant)}",pool="${escapeLabel(att.pool)}"` +
      `,consumer="${escapeLabel(att.consumer.name)}",consumer_kind="${att.consumer.kind}"`;
  return `${s}} 1\n`;
}

export class VfCollector {
  private readonly indexes = new WeakMap<Inventory, InvIndex>();
  private readonly rowPrefixes: Prefixes[] = [];
  private readonly rowCounters: VfCounters[] = [];

  private index(inv: Inventory): InvIndex {
    let idx = this.indexes.get(inv);
    if (idx) return idx;
    const pfs: PfIndex[] = [];
    const byNetdev = new Map<string, PfIndex>();
    for (const pf of inv.pfs) {
      const p: PfIndex = { pf, labels: [], vfs: [], prefixes: [], info: [], held: [], live: [] };
      const name = pf.netdev ?? pf.pciAddress;
      for (const vf of pf.vfs) {
        p.vfs[vf.vfIndex] = vf;
        p.labels[vf.vfIndex] = baseLabels(name, vf.vfIndex, vf.pciAddress ?? '', numa(vf.numaNode));
      }
      pfs.push(p);
      if (pf.netdev !== null) byNetdev.set(pf.netdev, p);
    }
    idx = { pfs, byNetdev, heldVersion: -1, infoVersion: -1, infoBlock: null };
    this.indexes.set(inv, idx);
    return idx;
  }

  /**
   * Writes the counter families and sriov_vf_info into `w`; returns the VFs with counters per PF
   * netdev, and the PF links of the dump by name (for the PF collector).
   */
  write(
    w: ByteWriter,
    inv: Inventory,
    dump: LinkDump,
    ledger: LedgerSnapshot,
  ): { counted: Map<string, number>; pfLinks: Map<string, LinkInfo> } {
    const idx = this.index(inv);
    if (idx.heldVersion !== ledger.version) {
      for (const p of idx.pfs) p.held = [];
      const byAddr = new Map<string, PfIndex>(idx.pfs.map((p) => [p.pf.pciAddress, p]));
      for (const a of ledger.attachments) {
        const p = byAddr.get(a.pf);
        if (p) p.held[a.vfIndex] = a;
      }
      idx.heldVersion = ledger.version;
    }

    // Counters: one row per VF the dump reported with stats.
    // Parallel arrays kept between scrapes (they run one at a time) instead of a row object per
    // VF per scrape.
    const prefixes = this.rowPrefixes;
    const counters = this.rowCounters;
    prefixes.length = counters.length = 0;
    const counted = new Map<string, number>();
    const pfLinks = new Map<string, LinkInfo>();
    const reported = new Map<PfIndex, (VfInfo | undefined)[]>();
    for (const link of dump.links) {
      const p = idx.byNetdev.get(link.ifname);
      if (p || link.vfs) pfLinks.set(link.ifname, link);
      if (!link.vfs) continue;
      const byVf: (VfInfo | undefined)[] = [];
      let n = 0;
      for (const v of link.vfs) {
        byVf[v.vf] = v;
        if (!v.counters) continue;
        prefixes.push(this.prefixes(p, link.ifname, v.vf));
        counters.push(v.counters);
        n++;
      }
      counted.set(link.ifname, n);
      if (p) reported.set(p, byVf);
    }
    for (let f = 0; f < VF_COUNTERS.length; f++) {
      const [suffix, field, help] = VF_COUNTERS[f]!;
      w.str(familyHeader(`sriov_vf_${suffix}`, help + COUNTER_SOURCE, 'untyped'));
      for (let i = 0; i < prefixes.length; i++)
        w.bytes(prefixes[i]![f]!).num(counters[i]![field]).byte(NL);
    }

    // The dump's counters are not held until the next scrape.
    counters.length = 0;
    w.str(familyHeader('sriov_vf_info', VF_INFO_HELP, 'gauge'));
    w.bytes(this.infoBlock(idx, reported, ledger));
    return { counted, pfLinks };
  }

  /** `sriov_vf_rx_bytes{pf=..,vf=..,pciAddr=..,numa_node=..} ` per family, for one VF. */
  private prefixes(p: PfIndex | undefined, ifname: string, vf: number): Prefixes {
    const cached = p?.prefixes[vf];
    if (cached) return cached;
    const labels = p?.labels[vf] ?? baseLabels(ifname, vf, '', '');
    const made = VF_COUNTERS.map(([suffix]) => Buffer.from(`sriov_vf_${suffix}{${labels}} `));
    if (p) p.prefixes[vf] = made;
    return made;
  }

  private infoBlock(
    idx: InvIndex,
    reported: Map<PfIndex, (VfInfo | undefined)[]>,
    ledger: LedgerSnapshot,
  ): Buffer {
    let changed = false;
    if (idx.infoBlock === null || idx.infoVersion !== ledger.version) {
      // A new snapshot or ledger: every VF's line is checked.
      idx.infoVersion = ledger.version;
      for (const p of idx.pfs) {
        const live = reported.get(p);
        for (const vf of p.vfs)
          if (vf && this.refresh(p, vf, live?.[vf.vfIndex], ledger)) changed = true;
      }
      changed ||= idx.infoBlock === null;
    } else {
      // Otherwise only VFs the dump reports can have changed (a VF past a truncated list is
      // described by the snapshot and the ledger alone), plus those it stopped reporting.
      for (const [p, live] of reported)
        for (const v of live)
          if (v && p.vfs[v.vf] && this.refresh(p, p.vfs[v.vf]!, v, ledger)) changed = true;
      for (const p of idx.pfs) {
        const live = reported.get(p);
        for (const i of p.live)
          if (live?.[i] === undefined && this.refresh(p, p.vfs[i]!, undefined, ledger))
            changed = true;
      }
    }
    for (const p of idx.pfs) {
      p.live = [];
      const live = reported.get(p);
      if (live) for (const v of live) if (v && p.vfs[v.vf]) p.live.push(v.vf);
    }
    if (changed) {
      const lines: string[] = [];
      for (const p of idx.pfs) for (const e of p.info) if (e) lines.push(e.line);
      idx.infoBlock = Buffer.from(lines.join(''));
    }
    return idx.infoBlock!;
  }

  /** Rebuilds one VF's info line if anything it shows changed; true when it did. */
  private refresh(
    p: PfIndex,
    vf: VfSnapshot,
    v: VfInfo | undefined,
    ledger: LedgerSnapshot,
  ): boolean {
    const i = vf.vfIndex;
    // The live dump when it has the VF; else discovery's view (null past a truncated list).
    const cfg: InfoSettings | null = v ?? vf.config;
    const att = p.held[i];
    // The pool's driver is what a held VF is bound to; the snapshot's may predate the attach.
    const pool = att ? ledger.poolsByName.get(att.pool) : undefined;
    const driver = pool?.vfDriver === 'vfio-pci' ? 'vfio-pci' : (vf.driver ?? '');
    const e = p.info[i];
    if (
      e &&
      e.att === att &&
      e.driver === driver &&
      (cfg === null
        ? e.mac === null
        : e.mac === cfg.mac &&
          e.vlan === cfg.vlan &&
          e.spoofchk === cfg.spoofchk &&
          e.trust === cfg.trust &&
          e.linkState === cfg.linkState)
    )
      return false;
    p.info[i] = {
      mac: cfg?.mac ?? null,
      vlan: cfg?.vlan ?? -1,
      spoofchk: cfg?.spoofchk,
      trust: cfg?.trust,
      linkState: cfg?.linkState ?? '',
      driver,
      att,
      line: infoLine(p.labels[i]!, driver, cfg, att),
    };
    return true;
  }
}
