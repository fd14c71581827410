/**
 * Parses `ip -j -d -s link show` (iproute2 6.1 JSON) into LinkInfo. The VF rules follow
 * linux-sriov-abi.md §4.6: `vlan_list` is `[{}]` when unset and omits zero fields and the 802.1Q
 * protocol; legacy top-level `vlan`/`qos` appear only without `vlan_list`; `rate` wins over the
 * legacy `tx_rate`; spoofchk/trust/query_rss_en are absent when the driver reported -1.
 */
import { MalformedHostError } from '../errors.js';
import type { LinkDump, LinkInfo, VfCounters, VfInfo, VfLinkState, VlanProto } from '../host.js';
import { ifName, macAddress, type IfName, type MacAddress } from '../names.js';
import { Fields, parseJson } from './json-shape.js';
import { messageLines } from './tool-messages.js';

const SOURCE = 'ip -j -d -s link show';
const TRUNCATED_RE = /^Truncated VF list: (\S+)$/;
const LINK_STATES: readonly VfLinkState[] = ['auto', 'enable', 'disable'];

function optMac(value: string | undefined): MacAddress | undefined {
  if (value === undefined) return undefined;
  try {
    return macAddress(value);
  } catch {
    // Not an Ethernet address (loopback-style tunnels print 0.0.0.0, InfiniBand 20 bytes).
    return undefined;
  }
}

function vlanProto(value: string, path: string): VlanProto {
  // iproute2 prints ll_proto_n2a(): the names below, or a hex number for anything it has no name for.
  if (value === '802.1Q' || value === '802.1ad') return value;
  throw new MalformedHostError(path, 'a VLAN protocol 802.1Q or 802.1ad', JSON.stringify(value));
}

function parseVlan(vf: Fields): Pick<VfInfo, 'vlan' | 'qos' | 'vlanProto'> {
  const list = vf.optArr('vlan_list');
  if (list === undefined) {
    // Kernels that send no IFLA_VF_VLAN_LIST: only the legacy pair, always 802.1Q.
    return { vlan: vf.optNum('vlan') ?? 0, qos: vf.optNum('qos') ?? 0, vlanProto: '802.1Q' };
  }
  // MAX_VLAN_LIST_LEN is 1, so only the first entry can exist.
  if (list.length === 0) return { vlan: 0, qos: 0, vlanProto: '802.1Q' };
  const entry = Fields.of(list[0], `${vf.path}.vlan_list[0]`);
  const proto = entry.optStr('protocol');
  return {
    vlan: entry.optNum('vlan') ?? 0,
    qos: entry.optNum('qos') ?? 0,
    vlanProto: proto === undefined ? '802.1Q' : vlanProto(proto, `${entry.path}.protocol`),
  };
}

function parseCounters(stats: Fields): VfCounters {
  const rx = stats.child('rx');
  const tx = stats.child('tx');
  return {
    rxBytes: rx.num('bytes'),
    rxPackets: rx.num('packets'),
    rxMulticast: rx.num('multicast'),
    rxBroadcast: rx.num('broadcast'),
    // `dropped` is printed only when the kernel sent it (every 6.1 kernel does); older ones did not.
    rxDropped: rx.optNum('dropped') ?? 0,
    // The asymmetric names are iproute2's, not a typo.
    txBytes: tx.num('tx_bytes'),
    txPackets: tx.num('tx_packets'),
    txDropped: tx.optNum('dropped') ?? 0,
  };
}

function parseVf(value: unknown, path: string): VfInfo {
  const vf = Fields.of(value, path);
  const index = vf.num('vf');
  const address = vf.str('address');
  let mac: MacAddress;
  try {
    mac = macAddress(address);
  } catch {
    throw new MalformedHostError(
      `${path}.address`,
      'an Ethernet MAC address',
      JSON.stringify(address),
    );
  }
  const rate = vf.optChild('rate');
  const linkState = vf.str('link_state');
  if (!(LINK_STATES as readonly string[]).includes(linkState)) {
    throw new MalformedHostError(
      `${path}.link_state`,
      'auto, enable or disable',
      JSON.stringify(linkState),
    );
  }
  const info: VfInfo = {
    vf: index,
    mac,
    ...parseVlan(vf),
    // IFLA_VF_RATE is authoritative; tx_rate alone (old kernels) is the max with no minimum.
    minTxRate: rate ? rate.num('min_tx') : 0,
    maxTxRate: rate ? rate.num('max_tx') : (vf.optNum('tx_rate') ?? 0),
    linkState: linkState as VfLinkState,
  };
  const spoofchk = vf.optBool('spoofchk');
  if (spoofchk !== undefined) info.spoofchk = spoofchk;
  const trust = vf.optBool('trust');
  if (trust !== undefined) info.trust = trust;
  const queryRss = vf.optBool('query_rss_en');
  if (queryRss !== undefined) info.queryRss = queryRss;
  const stats = vf.optChild('stats');
  if (stats) info.counters = parseCounters(stats);
  return info;
}

function parseLink(
  value: unknown,
  path: string,
  truncated: ReadonlySet<string>,
): LinkInfo | string {
  const link = Fields.of(value, path);
  const rawName = link.str('ifname');
  let name: IfName;
  try {
    name = ifName(rawName);
  } catch {
    // The kernel allows names sriovctl refuses to put on a batch line; such a link is never an SR-IOV
    // target, so it is reported as a warning instead of failing the whole dump.
    return `ignoring link ${JSON.stringify(rawName)}: its name is not one sriovctl can safely use`;
  }
  const named = new Fields(link.obj, `${path}(${rawName})`);
  const flags = named.strArr('flags');
  const info: LinkInfo = {
    ifindex: named.num('ifindex'),
    ifname: name,
    adminUp: flags.includes('UP'),
    lowerUp: flags.includes('LOWER_UP'),
    operstate: named.str('operstate'),
    mtu: named.num('mtu'),
  };
  const minMtu = named.optNum('min_mtu');
  if (minMtu !== undefined) info.minMtu = minMtu;
  const maxMtu = named.optNum('max_mtu');
  if (maxMtu !== undefined) info.maxMtu = maxMtu;
  const mac = optMac(named.optStr('address'));
  if (mac !== undefined) info.mac = mac;
  const parentBus = named.optStr('parentbus');
  if (parentBus !== undefined) info.parentBus = parentBus;
  const parentDev = named.optStr('parentdev');
  if (parentDev !== undefined) info.parentDev = parentDev;
  const vfList = named.optArr('vfinfo_list');
  if (vfList !== undefined) {
    info.vfs = vfList.map((v, i) => parseVf(v, `${named.path}.vfinfo_list[${i}]`));
    if (truncated.has(rawName)) info.vfListTruncated = true;
  }
  return info;
}

/**
 * Parses the stdout and stderr of `ip -j -d -s link show` into a LinkDump. Every stderr line becomes
 * a warning; `Truncated VF list: IFNAME` also marks that link's `vfListTruncated`.
 * @throws MalformedHostError naming the first field that is not what iproute2 6.1 prints.
 * @example parseIpLinkJson('[{"ifindex":1,"ifname":"lo","flags":["UP"],"mtu":65536,"operstate":"UNKNOWN"}]', '')
 */
export function parseIpLinkJson(stdout: string, stderr: string): LinkDump {
  const warnings = messageLines(stderr);
  const truncated = new Set<string>();
  for (const line of warnings) {
    const m = TRUNCATED_RE.exec(line);
    if (m) truncated.add(m[1]!);
  }
  const parsed = parseJson(stdout, SOURCE);
  if (!Array.isArray(parsed))
    throw new MalformedHostError(SOURCE, 'a JSON array of links', typeof parsed);
  const links: LinkInfo[] = [];
  parsed.forEach((value, i) => {
    const result = parseLink(value, `${SOURCE}: [${i}]`, truncated);
    if (typeof result === 'string') warnings.push(result);
    else links.push(result);
  });
  return { links, warnings };
}
