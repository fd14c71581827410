/**
 * Double-management detection: which other host tools (NetworkManager, netplan, systemd-networkd)
 * claim a PF's interface. Those tools enforce their own VF count and reset it on deactivation
 * (other-systems.md §3.1-3.3), so sriovctl must know before it touches the PF. Each claim names
 * the file that proves it. Config directories are listed and read once per discovery, not per PF.
 */
import type { HostReader } from '../host/host.js';
import { failedReadIssue } from './issues.js';
import { isAbsent, tryReadDir, tryReadFile } from './seam-reads.js';
import type { DiscoveryIssue, NetworkManagerClaim } from './types.js';

export const NM_DEVICES_DIR = '/run/NetworkManager/devices';
export const NM_CONNECTIONS_DIR = '/etc/NetworkManager/system-connections';
export const NETPLAN_DIR = '/etc/netplan';
export const NETPLAN_GENERATED_DIR = '/run/systemd/network';
export const NETWORKD_LINKS_DIR = '/run/systemd/netif/links';

interface ConfigFile {
  path: string;
  text: string;
}

/** What one discovery pass knows about the host's network managers, shared by all PFs. */
export interface ManagementContext {
  nmConnections: Promise<ConfigFile[]>;
  netplanFiles: Promise<ConfigFile[]>;
  /** Generated networkd units (netplan writes `10-netplan-<if>.network` here). */
  generatedNetworkFiles: Promise<Set<string>>;
}

/** Lists a config directory and reads the files that `keep` accepts; unreadable ones become issues. */
async function readConfigDir(
  host: HostReader,
  dir: string,
  keep: (name: string) => boolean,
  issues: DiscoveryIssue[],
): Promise<ConfigFile[]> {
  const list = await tryReadDir(host, dir);
  if (!list.ok) {
    if (!isAbsent(list)) issues.push(failedReadIssue(dir, list));
    return [];
  }
  const files = await Promise.all(
    list.value.filter(keep).map(async (name) => {
      const path = `${dir}/${name}`;
      const read = await tryReadFile(host, path);
      if (read.ok) return { path, text: read.value };
      // NM keyfiles are 0600: running unprivileged hides them, which the issue says.
      issues.push(failedReadIssue(path, read));
      return null;
    }),
  );
  return files.filter((f): f is ConfigFile => f !== null);
}

/** Starts reading the managers' config once; PF checks await the parts they need. */
export function createManagementContext(
  host: HostReader,
  issues: DiscoveryIssue[],
): ManagementContext {
  let nm: Promise<ConfigFile[]> | undefined;
  let netplan: Promise<ConfigFile[]> | undefined;
  let generated: Promise<Set<string>> | undefined;
  // Lazy: a host without PF netdevs never touches these directories.
  return {
    get nmConnections() {
      return (nm ??= readConfigDir(host, NM_CONNECTIONS_DIR, (n) => !n.startsWith('.'), issues));
    },
    get netplanFiles() {
      return (netplan ??= readConfigDir(host, NETPLAN_DIR, (n) => /\.ya?ml$/.test(n), issues));
    },
    get generatedNetworkFiles() {
      return (generated ??= tryReadDir(host, NETPLAN_GENERATED_DIR).then(
        (r) => new Set(r.ok ? r.value : []),
      ));
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An NM keyfile binds a connection to an interface with `interface-name=<if>` in [connection]. */
export function nmKeyfileNamesInterface(text: string, ifname: string): boolean {
  return new RegExp(`^\\s*interface-name\\s*=\\s*${escapeRe(ifname)}\\s*$`, 'm').test(text);
}

/**
 * A netplan YAML mentions an interface as a key, a `set-name`, a `match: name`, or a VF's `link`.
 * The name must stand alone: `enp59s0f0` does not match `enp59s0f0v1`.
 */
export function netplanMentionsInterface(text: string, ifname: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_-])${escapeRe(ifname)}($|[^A-Za-z0-9_-])`, 'm').test(
    // Comments mention interfaces without configuring them.
    text.replace(/#.*$/gm, ''),
  );
}

/** networkd's per-link state file says whether it configures the link. */
export function networkdStateManages(text: string): boolean {
  if (/^ADMIN_STATE=unmanaged$/m.test(text)) return false;
  return /^ADMIN_STATE=configured$/m.test(text) || /^NETWORK_FILE=\S+/m.test(text);
}

/** NM's per-device state file exists for devices it knows; `managed=false` means hands off. */
function nmStateManages(text: string): boolean {
  return !/^managed\s*=\s*(false|0)\s*$/m.test(text);
}

/** The tools that claim `ifname` (ifindex from the link dump), each with its evidence path. */
export async function detectManagers(
  host: HostReader,
  ctx: ManagementContext,
  ifname: string,
  ifindex: number | null,
): Promise<NetworkManagerClaim[]> {
  const claims: NetworkManagerClaim[] = [];

  const nmState = async (): Promise<void> => {
    if (ifindex === null) return;
    const path = `${NM_DEVICES_DIR}/${ifindex}`;
    const read = await tryReadFile(host, path);
    if (read.ok && nmStateManages(read.value)) {
      claims.push({ manager: 'NetworkManager', evidence: path });
    }
  };
  const nmKeyfiles = async (): Promise<void> => {
    for (const f of await ctx.nmConnections) {
      if (nmKeyfileNamesInterface(f.text, ifname)) {
        claims.push({ manager: 'NetworkManager', evidence: f.path });
      }
    }
  };
  const netplan = async (): Promise<void> => {
    for (const f of await ctx.netplanFiles) {
      if (netplanMentionsInterface(f.text, ifname))
        claims.push({ manager: 'netplan', evidence: f.path });
    }
    const generated = `10-netplan-${ifname}.network`;
    if ((await ctx.generatedNetworkFiles).has(generated)) {
      claims.push({ manager: 'netplan', evidence: `${NETPLAN_GENERATED_DIR}/${generated}` });
    }
  };
  const networkd = async (): Promise<void> => {
    if (ifindex === null) return;
    const path = `${NETWORKD_LINKS_DIR}/${ifindex}`;
    const read = await tryReadFile(host, path);
    if (read.ok && networkdStateManages(read.value)) {
      claims.push({ manager: 'systemd-networkd', evidence: path });
    }
  };

  await Promise.all([nmState(), nmKeyfiles(), netplan(), networkd()]);
  // Stable order regardless of which read finished first.
  const order = { NetworkManager: 0, netplan: 1, 'systemd-networkd': 2 } as const;
  return claims.sort(
    (a, b) => order[a.manager] - order[b.manager] || a.evidence.localeCompare(b.evidence),
  );
}
