import { describe, expect, it } from 'vitest';
import { MalformedHostError } from '../../../src/host/errors.js';
import { parseIpLinkJson } from '../../../src/host/linux/index.js';
import { sample } from './sample.js';

describe('parseIpLinkJson', () => {
  const dump = parseIpLinkJson(sample('ip-link-pf-two-vfs.json'), '');
  const byName = (n: string) => dump.links.find((l) => l.ifname === n);

  it('reads link flags, MTU bounds, MAC and PCI parent', () => {
    expect(byName('ens1f0')).toMatchObject({
      ifindex: 4,
      adminUp: true,
      lowerUp: true,
      operstate: 'UP',
      mtu: 1500,
      minMtu: 68,
      maxMtu: 9702,
      mac: 'b8:ce:f6:01:02:03',
      parentBus: 'pci',
      parentDev: '0000:3b:00.0',
    });
    expect(byName('ens1f1')).toMatchObject({ adminUp: false, lowerUp: false, operstate: 'DOWN' });
  });

  it('reads an unconfigured VF: vlan_list [{}] means no VLAN, 802.1Q', () => {
    expect(byName('ens1f0')?.vfs?.[0]).toEqual({
      vf: 0,
      mac: '00:00:00:00:00:00',
      vlan: 0,
      qos: 0,
      vlanProto: '802.1Q',
      minTxRate: 0,
      maxTxRate: 0,
      spoofchk: true,
      trust: false,
      linkState: 'auto',
      counters: {
        rxBytes: 0,
        rxPackets: 0,
        rxMulticast: 0,
        rxBroadcast: 0,
        rxDropped: 0,
        txBytes: 0,
        txPackets: 0,
        txDropped: 0,
      },
    });
  });

  it('reads a configured VF: vlan 100 qos 3 802.1ad, rates, trust, link state and counters', () => {
    expect(byName('ens1f0')?.vfs?.[1]).toEqual({
      vf: 1,
      mac: '02:00:00:00:00:01',
      vlan: 100,
      qos: 3,
      vlanProto: '802.1ad',
      minTxRate: 10,
      maxTxRate: 1000,
      spoofchk: false,
      trust: true,
      linkState: 'disable',
      // tx.tx_bytes / tx.tx_packets: iproute2's asymmetric names
      counters: {
        rxBytes: 3300,
        rxPackets: 11,
        rxMulticast: 6,
        rxBroadcast: 5,
        rxDropped: 7,
        txBytes: 4400,
        txPackets: 22,
        txDropped: 8,
      },
    });
  });

  it('omits booleans the driver left at -1 (query_rss_en here)', () => {
    expect(byName('ens1f0')?.vfs?.[1]).not.toHaveProperty('queryRss');
  });

  it('gives a PF with zero VFs an empty list, and non-PFs no list at all', () => {
    expect(byName('ens1f1')?.vfs).toEqual([]);
    expect(byName('lo')).not.toHaveProperty('vfs');
    expect(byName('veth0')).not.toHaveProperty('vfs');
    expect(byName('veth0')).not.toHaveProperty('parentBus');
  });

  it('marks the link named in "Truncated VF list" and keeps the line as a warning', () => {
    const t = parseIpLinkJson(sample('ip-link-truncated.json'), sample('ip-link-truncated.stderr'));
    const pf = t.links.find((l) => l.ifname === 'ens2f0');
    expect(pf?.vfListTruncated).toBe(true);
    expect(pf?.vfs).toHaveLength(34);
    expect(t.links.find((l) => l.ifname === 'lo')).not.toHaveProperty('vfListTruncated');
    expect(t.warnings).toEqual(['Truncated VF list: ens2f0']);
  });

  it('falls back to legacy vlan/qos and tx_rate when there is no vlan_list or rate', () => {
    const [eth2] = parseIpLinkJson(sample('ip-link-legacy-vf.json'), '').links;
    expect(eth2?.vfs?.[0]).toEqual({
      vf: 0,
      mac: '52:54:00:12:34:56',
      vlan: 42,
      qos: 2,
      vlanProto: '802.1Q',
      minTxRate: 0,
      maxTxRate: 500,
      spoofchk: true,
      queryRss: false,
      linkState: 'enable',
    });
  });

  it('parses a plain lo + veth dump with no warnings', () => {
    const p = parseIpLinkJson(sample('ip-link-plain.json'), '');
    expect(p.links.map((l) => l.ifname)).toEqual(['lo', 'veth0']);
    expect(p.links[0]).toMatchObject({
      mtu: 65536,
      adminUp: true,
      lowerUp: true,
      operstate: 'UNKNOWN',
    });
    expect(p.warnings).toEqual([]);
  });

  it('ignores unknown keys anywhere', () => {
    const json = JSON.stringify([
      {
        ifindex: 9,
        ifname: 'x0',
        flags: [],
        mtu: 1500,
        operstate: 'DOWN',
        future_key: { a: 1 },
        vfinfo_list: [
          {
            vf: 0,
            address: '02:00:00:00:00:09',
            vlan_list: [{ future: true }],
            link_state: 'auto',
            'node guid': '00:11:22:33:44:55:66:77',
            extra: [1],
          },
        ],
      },
    ]);
    expect(parseIpLinkJson(json, '').links[0]?.vfs?.[0]).toMatchObject({
      vf: 0,
      vlan: 0,
      linkState: 'auto',
    });
  });

  it('reports a link with a name sriovctl refuses as a warning, not a crash', () => {
    const json = JSON.stringify([
      { ifindex: 9, ifname: 'we ird', flags: [], mtu: 1500, operstate: 'DOWN' },
    ]);
    const p = parseIpLinkJson(json, '');
    expect(p.links).toEqual([]);
    expect(p.warnings[0]).toMatch(/we ird/);
  });

  it.each([
    ['not JSON', 'Cannot open netlink socket', /ip -j -d -s link show: expected JSON/],
    ['not an array', '{"ifname":"lo"}', /expected a JSON array/],
    [
      'mtu as a string',
      '[{"ifindex":1,"ifname":"lo","flags":[],"mtu":"1500","operstate":"UP"}]',
      /\[0\]\(lo\)\.mtu: expected a number/,
    ],
    [
      'missing flags',
      '[{"ifindex":1,"ifname":"lo","mtu":1,"operstate":"UP"}]',
      /\(lo\)\.flags: expected an array/,
    ],
    [
      'a bad VF link state',
      '[{"ifindex":1,"ifname":"p0","flags":[],"mtu":1,"operstate":"UP","vfinfo_list":[{"vf":0,"address":"02:00:00:00:00:01","link_state":"up"}]}]',
      /vfinfo_list\[0\]\.link_state: expected auto, enable or disable/,
    ],
    [
      'an unknown VLAN protocol',
      '[{"ifindex":1,"ifname":"p0","flags":[],"mtu":1,"operstate":"UP","vfinfo_list":[{"vf":0,"address":"02:00:00:00:00:01","vlan_list":[{"vlan":5,"protocol":"[88a9]"}],"link_state":"auto"}]}]',
      /vlan_list\[0\]\.protocol/,
    ],
    [
      'a stats block without tx_bytes',
      '[{"ifindex":1,"ifname":"p0","flags":[],"mtu":1,"operstate":"UP","vfinfo_list":[{"vf":0,"address":"02:00:00:00:00:01","link_state":"auto","stats":{"rx":{"bytes":1,"packets":1,"multicast":0,"broadcast":0},"tx":{"bytes":1}}}]}]',
      /stats\.tx\.tx_bytes: expected a number, found nothing/,
    ],
  ])('throws MalformedHostError naming the field for %s', (_what, stdout, message) => {
    expect(() => parseIpLinkJson(stdout, '')).toThrow(MalformedHostError);
    expect(() => parseIpLinkJson(stdout, '')).toThrow(message);
  });
});
