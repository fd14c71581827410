/**
 * Live throughput kept in the browser: the latest rates per PF and VF, and a short history of each
 * for the sparklines. Fed by GET /traffic once and then by the event stream's `traffic` events.
 * A VF missing from an update has no counters this time (a truncated PF's list, a tenant's scope):
 * its latest rate is cleared, never shown as zero.
 */
import type { PfRate, TrafficView, VfRate } from '../../contract/index.js';

/** A traffic sample as GET /traffic and the `traffic` event carry it (or ISO text for `at`). */
export type TrafficPayload = Omit<TrafficView, 'at'> & {
  /** When the sample was taken: epoch milliseconds (ISO text is accepted too). */
  at: number | string;
};

export interface Sample {
  t: number;
  rx: number;
  tx: number;
}

export function vfKey(pf: string, vf: number): string {
  return `${pf}#${vf}`;
}

export class TrafficHistory {
  private readonly pfSeries = new Map<string, Sample[]>();
  private readonly vfSeries = new Map<string, Sample[]>();
  private pfLatest = new Map<string, PfRate>();
  private vfLatest = new Map<string, VfRate>();
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Changes on every accepted update, for React's useSyncExternalStore. */
  version = 0;
  intervalMs = 2000;

  constructor(private readonly capacity = 90) {}

  /** Adds an update; answers false for one already seen (GET and the stream can overlap). */
  add(p: TrafficPayload): boolean {
    const t = typeof p.at === 'number' ? p.at : Date.parse(p.at);
    if (!Number.isFinite(t) || t <= this.lastAt) return false;
    this.lastAt = t;
    this.intervalMs = p.intervalMs > 0 ? p.intervalMs : this.intervalMs;
    const pfLatest = new Map<string, PfRate>();
    for (const r of p.pfs ?? []) {
      pfLatest.set(r.pf, r);
      this.push(this.pfSeries, r.pf, { t, rx: r.rxBytesPerS, tx: r.txBytesPerS });
    }
    const vfLatest = new Map<string, VfRate>();
    for (const r of p.vfs) {
      const k = vfKey(r.pf, r.vf);
      vfLatest.set(k, r);
      this.push(this.vfSeries, k, { t, rx: r.rxBytesPerS, tx: r.txBytesPerS });
    }
    this.pfLatest = pfLatest;
    this.vfLatest = vfLatest;
    this.version++;
    return true;
  }

  private push(series: Map<string, Sample[]>, key: string, s: Sample): void {
    let a = series.get(key);
    if (!a) series.set(key, (a = []));
    a.push(s);
    if (a.length > this.capacity) a.splice(0, a.length - this.capacity);
  }

  pf(pf: string): PfRate | undefined {
    return this.pfLatest.get(pf);
  }

  vf(pf: string, vf: number): VfRate | undefined {
    return this.vfLatest.get(vfKey(pf, vf));
  }

  pfHistory(pf: string): readonly Sample[] {
    return this.pfSeries.get(pf) ?? [];
  }

  vfHistory(pf: string, vf: number): readonly Sample[] {
    return this.vfSeries.get(vfKey(pf, vf)) ?? [];
  }

  /** Time of the latest update (ms since the epoch), or null before the first. */
  latestAt(): number | null {
    return Number.isFinite(this.lastAt) ? this.lastAt : null;
  }
}
