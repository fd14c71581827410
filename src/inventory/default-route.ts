/**
 * Which netdevs carry a default route, directly or underneath a bond, bridge or VLAN. Resetting a
 * PF (or its VFs) under such a stack cuts the host off, which doctor must warn about.
 */
import type { DefaultRoute, HostReader } from '../host/host.js';
import { tryReadDir } from './seam-reads.js';
import { CLASS_NET_DIR } from './sysfs-entries.js';

/** Stacks deeper than this (vlan on bond on bridge on ...) are not followed; real ones are 2-3. */
const MAX_STACK_DEPTH = 4;

/**
 * The default-route devices plus every device below them, found through the kernel's
 * `/sys/class/net/<dev>/lower_<name>` links (bond slaves, bridge ports, a VLAN's real device).
 * Best effort: an unreadable directory just ends that branch.
 */
export async function defaultRouteCarriers(
  host: HostReader,
  routes: readonly DefaultRoute[],
): Promise<Set<string>> {
  const seen = new Set<string>();
  let frontier = [...new Set(routes.map((r) => r.dev as string))];
  for (let depth = 0; depth <= MAX_STACK_DEPTH && frontier.length > 0; depth++) {
    for (const dev of frontier) seen.add(dev);
    if (depth === MAX_STACK_DEPTH) break;
    const listings = await Promise.all(
      frontier.map((dev) => tryReadDir(host, `${CLASS_NET_DIR}/${dev}`)),
    );
    const next = new Set<string>();
    for (const listing of listings) {
      if (!listing.ok) continue;
      for (const entry of listing.value) {
        if (!entry.startsWith('lower_')) continue;
        const lower = entry.slice('lower_'.length);
        if (lower !== '' && !seen.has(lower)) next.add(lower);
      }
    }
    frontier = [...next];
  }
  return seen;
}
