/**
 * Traffic from the PFs' netlink VF stats: one link dump serves every concurrent reader (a scrape,
 * the console, `top`, health rules), and rates come from the last two dumps. VF counters come from
 * the PF side, so VFs bound to vfio-pci or inside guests are covered; VFs past a truncated VF list
 * have no counters and are reported as unreadable, never as idle.
 */
import type { HostReader, LinkDump, LinkInfo, VfCounters } from '../host/host.js';

export interface Sample {
  /** Milliseconds (the sampler's clock). */
  at: number;
  dump: LinkDump;
}

export interface VfRate {
  pf: string;
  vf: number;
  rxBytesPerS: number;
  txBytesPerS: number;
  rxPacketsPerS: number;
  txPacketsPerS: number;
  rxDroppedPerS: number;
  txDroppedPerS: number;
}

export interface PfRate {
  pf: string;
  rxBytesPerS: number;
  txBytesPerS: number;
  /** The PF's netlink VF list was truncated: VFs past it have no counters (not zero traffic). */
  truncated: boolean;
  /** VFs with counters in both samples (what the sums cover). */
  vfsCounted: number;
}

export interface TrafficRates {
  /** When the newer sample was taken, and the span the rates cover. */
  at: number;
  intervalMs: number;
  pfs: PfRate[];
  vfs: VfRate[];
}

export interface SamplerOptions {
  /** A dump younger than this is shared instead of taking another; default 500 ms. */
  maxAgeMs?: number;
  now?: () => number;
}

const perS = (a: number, b: number, ms: number) =>
  ms > 0 ? Math.max(0, ((b - a) * 1000) / ms) : 0;

/** What rates need of an older sample: the links that carry VF lists (the PFs). */
export interface CountersAt {
  at: number;
  links: LinkInfo[];
}

/** The part of a sample that rates need later: its PF links, not its thousands of VF netdevs. */
export function countersOf(s: Sample): CountersAt {
  return { at: s.at, links: s.dump.links.filter((l) => l.vfs !== undefined) };
}

/** Rates between an older sample's counters and a newer sample, per VF and summed per PF (pure). */
export function ratesBetween(older: CountersAt, newer: Sample): TrafficRates {
  const ms = newer.at - older.at;
  const before = new Map<string, VfCounters>();
  for (const l of older.links)
    for (const v of l.vfs ?? []) if (v.counters) before.set(`${l.ifname}#${v.vf}`, v.counters);
  const pfs: PfRate[] = [];
  const vfs: VfRate[] = [];
  for (const l of newer.dump.links) {
    if (!l.vfs) continue;
    const pf: PfRate = {
      pf: l.ifname,
      rxBytesPerS: 0,
      txBytesPerS: 0,
      truncated: l.vfListTruncated === true,
      vfsCounted: 0,
    };
    for (const v of l.vfs) {
      const b = before.get(`${l.ifname}#${v.vf}`);
      if (!v.counters || !b) continue;
      const c = v.counters;
      const r: VfRate = {
        pf: l.ifname,
        vf: v.vf,
        rxBytesPerS: perS(b.rxBytes, c.rxBytes, ms),
        txBytesPerS: perS(b.txBytes, c.txBytes, ms),
        rxPacketsPerS: perS(b.rxPackets, c.rxPackets, ms),
        txPacketsPerS: perS(b.txPackets, c.txPackets, ms),
        rxDroppedPerS: perS(b.rxDropped, c.rxDropped, ms),
        txDroppedPerS: perS(b.txDropped, c.txDropped, ms),
      };
      pf.rxBytesPerS += r.rxBytesPerS;
      pf.txBytesPerS += r.txBytesPerS;
      pf.vfsCounted++;
      vfs.push(r);
    }
    pfs.push(pf);
  }
  return { at: newer.at, intervalMs: ms, pfs, vfs };
}

export class TrafficSampler {
  private last: Sample | null = null;
  /**
   * Only the counters of the sample before: keeping its whole dump (thousands of link objects)
   * alive for one more interval made every dump survive into the old generation, and the major
   * collections that followed cost a scrape more than its rendering.
   */
  private previous: CountersAt | null = null;
  private inflight: Promise<Sample> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly host: HostReader,
    opts: SamplerOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 500;
    this.now = opts.now ?? Date.now;
  }

  /** A fresh-enough link dump; concurrent callers share one `ip link` dump. */
  sample(): Promise<Sample> {
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last);
    if (this.inflight) return this.inflight;
    const p = this.host
      .linkDump()
      .then((dump) => {
        const s = { at: this.now(), dump };
        this.previous = this.last && countersOf(this.last);
        this.last = s;
        return s;
      })
      .finally(() => {
        this.inflight = null;
      });
    this.inflight = p;
    return p;
  }

  /** Rates between the last two samples, or null before there are two. */
  rates(): TrafficRates | null {
    return this.previous && this.last ? ratesBetween(this.previous, this.last) : null;
  }

  /** Samples every `intervalMs` until stopped (rates stay current without readers asking). */
  start(intervalMs: number): void {
    this.stop();
    void this.sample().catch(() => undefined);
    this.timer = setInterval(() => void this.sample().catch(() => undefined), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
