/**
 * At boot the PF netdevs appear asynchronously (udev coldplug loads the NIC driver, which probes
 * and registers them), so the boot-time apply first waits, bounded, for the PFs its policies select.
 * This replaces systemd-udev-settle.service, which is deprecated and waits for every device on the
 * machine; a PF that never shows up costs at most the wait, never the boot.
 */
import type { HostReader } from '../host/host.js';
import { discover } from '../inventory/discover.js';
import type { Inventory } from '../inventory/types.js';
import type { LoadedPolicy } from '../policy/schema.js';
import { selectPfs } from '../policy/select.js';

export interface PfWaitOptions {
  timeoutMs: number;
  /** Between discoveries (default 1000 ms). */
  pollMs?: number;
  /** Injectable for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PfWaitResult {
  ready: boolean;
  waitedMs: number;
  /** Discoveries taken: 1 means everything was there at once. */
  attempts: number;
  /** What was still missing at the end (empty when ready). */
  missing: string[];
  /** The last inventory taken. */
  inventory: Inventory;
}

/** What keeps the policies from being applied yet: policies selecting no PF, PFs with no driver. */
export function missingPfs(policies: readonly LoadedPolicy[], inv: Inventory): string[] {
  const missing: string[] = [];
  for (const p of policies) {
    const sel = selectPfs(p, inv);
    if (sel.length === 0) missing.push(`policy ${p.name}: no PF matches its selector yet`);
    for (const s of sel) {
      // numVfs can only be written once the PF driver has bound (sriov_configure is its callback).
      if (s.pf.driver === null)
        missing.push(`${s.pf.netdev ?? s.pf.pciAddress}: no driver bound yet`);
    }
  }
  return [...new Set(missing)];
}

/** Polls discovery until every policy's PFs are present with a driver, or the timeout passes. */
export async function waitForPolicyPfs(
  host: HostReader,
  policies: readonly LoadedPolicy[],
  opts: PfWaitOptions,
): Promise<PfWaitResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (let attempts = 1; ; attempts++) {
    const inventory = await discover(host);
    const missing = missingPfs(policies, inventory);
    const waitedMs = now() - start;
    if (missing.length === 0) return { ready: true, waitedMs, attempts, missing, inventory };
    if (waitedMs >= opts.timeoutMs) return { ready: false, waitedMs, attempts, missing, inventory };
    await sleep(Math.min(opts.pollMs ?? 1000, opts.timeoutMs - waitedMs));
  }
}
