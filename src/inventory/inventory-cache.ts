/**
 * The inventory the ledger places from. Discovery of a big host takes tens of milliseconds, far too
 * long to repeat per request, and what placement needs (which VFs exist, their PF, NUMA node, link
 * speed) changes rarely: so one snapshot is shared and refreshed in the background — when it gets
 * old, or after the kernel announced a link change, at most once per `minRefreshMs`. Link events
 * arrive for every VF setting sriovctl itself makes, so refreshing on each would rediscover the
 * host per request. Requests never wait for a refresh once a snapshot exists.
 */
import type { HostReader } from '../host/host.js';
import { discover } from './discover.js';
import type { Inventory } from './types.js';

/** Even with no sign of change, rediscover this often (hot-plugged PFs, renamed netdevs). */
const FULL_REFRESH_MS = 10 * 60_000;

async function readOr(host: HostReader, path: string): Promise<string> {
  try {
    return (await host.readFile(path)).trim();
  } catch (err) {
    return err instanceof Error ? `!${err.name}` : '!';
  }
}

/**
 * What placement depends on that can change under it: VF counts, PF links and speeds, and whether
 * vfio-pci is loaded (an operator told to `modprobe vfio-pci` expects the next attach to see it).
 */
async function fingerprint(host: HostReader, inv: Inventory): Promise<string> {
  const vfio = (await host.entryKind('/sys/bus/pci/drivers/vfio-pci')) === null ? '-' : 'vfio';
  const parts = await Promise.all(
    inv.pfs.map(async (pf) => {
      const dev =
        pf.bus === 'netdevsim'
          ? `/sys/bus/netdevsim/devices/${pf.pciAddress}`
          : `/sys/bus/pci/devices/${pf.pciAddress}`;
      const net = pf.netdev === null ? null : `/sys/class/net/${pf.netdev}`;
      return [
        await readOr(host, `${dev}/sriov_numvfs`),
        net ? await readOr(host, `${net}/operstate`) : '',
        net ? await readOr(host, `${net}/speed`) : '',
      ].join(',');
    }),
  );
  return `${vfio};${parts.join(';')}`;
}

export interface InventoryCacheOptions {
  /** A snapshot older than this is refreshed (in the background); default 30 s. */
  maxAgeMs?: number;
  /** Background checks start at most this often; default 2 s. */
  minRefreshMs?: number;
  now?: () => number;
}

export class InventoryCache {
  private snapshot: Inventory | null = null;
  private takenAt = 0;
  private checkedAt = 0;
  private fingerprint = '';
  private stale = true;
  /** A cheap check (or the discovery it led to) running behind `get`. */
  private inflight: Promise<Inventory> | null = null;
  /** A full discovery running now; `refresh` shares only this, never a check. */
  private discovering: Promise<Inventory> | null = null;
  private readonly maxAgeMs: number;
  private readonly minRefreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly host: HostReader,
    opts: InventoryCacheOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.minRefreshMs = opts.minRefreshMs ?? 2_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The current snapshot. When a link event or age made it suspect, a cheap check (each PF's VF
   * count, link state and speed) runs behind it and only a difference triggers rediscovery;
   * requests never wait for either once a snapshot exists.
   */
  async get(): Promise<Inventory> {
    const snap = this.snapshot;
    if (!snap) return this.refresh();
    const age = this.now() - this.takenAt;
    if (age >= FULL_REFRESH_MS) {
      if (!this.inflight && !this.discovering) void this.refresh().catch(() => undefined);
    } else if (
      (this.stale || this.now() - this.checkedAt >= this.maxAgeMs) &&
      !this.inflight &&
      !this.discovering &&
      this.now() - this.checkedAt >= this.minRefreshMs
    ) {
      this.stale = false;
      this.checkedAt = this.now();
      this.inflight = fingerprint(this.host, snap)
        .then((fp) => (fp === this.fingerprint ? snap : this.refresh()))
        .finally(() => {
          this.inflight = null;
        });
      void this.inflight.catch(() => undefined);
    }
    return snap;
  }

  /**
   * Rediscovers now; concurrent callers share one discovery. A cheap check running behind `get` is
   * not shared: it answers the old snapshot when VF counts, links and speeds match, which is not
   * what a caller asking for a fresh view (reconcile after VFs were recreated) wants.
   */
  refresh(): Promise<Inventory> {
    if (this.discovering) return this.discovering;
    this.stale = false;
    const p = this.discoverNow().finally(() => {
      this.discovering = null;
    });
    this.discovering = p;
    return p;
  }

  private async discoverNow(): Promise<Inventory> {
    const started = this.now();
    const inv = await discover(this.host);
    this.fingerprint = await fingerprint(this.host, inv);
    this.snapshot = inv;
    this.takenAt = started;
    this.checkedAt = started;
    return inv;
  }

  /** Marks the snapshot out of date (a link event, a driver change). */
  invalidate(): void {
    this.stale = true;
  }
}
