/**
 * A PF's netdev: which of its net/ entries is the PF's own (switchdev adds VF representors there),
 * and what /sys/class/net says of it (MAC, MTU, operstate, speed).
 */
import { UnsafeInputError } from '../host/errors.js';
import type { HostReader, LinkInfo } from '../host/host.js';
import { ifName, type IfName, type PciAddress } from '../host/names.js';
import { failedReadIssue, issue, parseOr } from './issues.js';
import { isAbsent, type Outcome } from './seam-reads.js';
import { CLASS_NET_DIR, PF_NETDEV_ENTRIES, readEntries } from './sysfs-entries.js';
import type { DiscoveryIssue } from './types.js';
import { parseDecimal, parseMac, parseSignedDecimal } from './values.js';

/** Picks the PF's own netdev among net/ entries (switchdev adds VF representors there). */
function choosePfNetdev(
  names: readonly string[],
  linksByName: ReadonlyMap<string, LinkInfo>,
): string | null {
  if (names.length <= 1) return names[0] ?? null;
  return names.find((n) => linksByName.get(n)?.vfs !== undefined) ?? names[0]!;
}

/** The PF's netdev name from its net/ listing; null (with an issue if malformed) when it has none. */
export function pfNetdevName(
  net: Outcome<string[]>,
  dir: string,
  linksByName: ReadonlyMap<string, LinkInfo>,
  pci: PciAddress,
  issues: DiscoveryIssue[],
): IfName | null {
  const netNames = net.ok ? net.value : [];
  if (!net.ok && !isAbsent(net)) issues.push(failedReadIssue(`${dir}/net`, net, pci));
  const chosen = choosePfNetdev(netNames, linksByName);
  if (chosen === null) return null;
  try {
    return ifName(chosen);
  } catch (err) {
    if (!(err instanceof UnsafeInputError)) throw err;
    issues.push(
      issue(
        'malformed-value',
        `${dir}/net/${chosen}`,
        `expected an interface name, found ${JSON.stringify(chosen)}`,
        pci,
      ),
    );
    return null;
  }
}

/** What /sys/class/net says of the PF's netdev. */
export interface PfNetdevState {
  mac: string | null;
  mtu: number | null;
  linkUp: boolean | null;
  speedMbps: number | null;
}

/** The state of a PF without a netdev. */
export const NO_NETDEV: PfNetdevState = { mac: null, mtu: null, linkUp: null, speedMbps: null };

/** Reads the PF netdev's MAC, MTU, operstate and speed. */
export async function readPfNetdev(
  host: HostReader,
  netdev: string,
  pci: PciAddress,
  issues: DiscoveryIssue[],
): Promise<PfNetdevState> {
  const dir = `${CLASS_NET_DIR}/${netdev}`;
  const r = await readEntries(host, dir, PF_NETDEV_ENTRIES);
  const text = (o: Outcome<string>, name: string): string | null => {
    if (o.ok) return o.value;
    issues.push(failedReadIssue(`${dir}/${name}`, o, pci));
    return null;
  };
  const address = text(r.address, 'address');
  const mtu = text(r.mtu, 'mtu');
  const operstate = text(r.operstate, 'operstate');

  // speed fails with EINVAL while the interface is down and prints -1 when the link is unknown.
  let speedMbps: number | null = null;
  const speedPath = `${dir}/speed`;
  if (r.speed.ok) {
    const v = parseOr(issues, parseSignedDecimal, r.speed.value, speedPath, null, pci);
    speedMbps = v !== null && v > 0 ? v : null;
  } else if (r.speed.errno !== 'EINVAL') {
    issues.push(failedReadIssue(speedPath, r.speed, pci));
  }

  return {
    mac: address === null ? null : parseOr(issues, parseMac, address, `${dir}/address`, null, pci),
    mtu: mtu === null ? null : parseOr(issues, parseDecimal, mtu, `${dir}/mtu`, null, pci),
    linkUp: operstate === null ? null : operstate.trim() === 'up',
    speedMbps,
  };
}
