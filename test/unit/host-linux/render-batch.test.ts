import { describe, expect, it } from 'vitest';
import { UnsafeInputError } from '../../../src/host/errors.js';
import type { NetlinkChange, VfChange } from '../../../src/host/host.js';
import type { IfName, MacAddress } from '../../../src/host/names.js';
import { renderBatchLine } from '../../../src/host/linux/index.js';

const pf = 'ens1f0' as IfName;
const vf = (extra: Partial<VfChange>): VfChange => ({ kind: 'vf', pf, vf: 3, ...extra });

describe('renderBatchLine', () => {
  it('renders every VF setting in iproute2 syntax', () => {
    expect(
      renderBatchLine(
        vf({
          mac: '02:00:00:00:00:01' as MacAddress,
          vlan: { vlan: 100, qos: 3, proto: '802.1ad' },
          rate: { minTxRate: 10, maxTxRate: 1000 },
          spoofchk: false,
          linkState: 'disable',
          trust: true,
        }),
      ),
    ).toBe(
      'link set dev ens1f0 vf 3 mac 02:00:00:00:00:01 vlan 100 qos 3 proto 802.1ad min_tx_rate 10 max_tx_rate 1000 spoofchk off state disable trust on',
    );
  });

  it('emits only the rate side that is given (iproute2 fills the other)', () => {
    expect(renderBatchLine(vf({ rate: { maxTxRate: 500 } }))).toBe(
      'link set dev ens1f0 vf 3 max_tx_rate 500',
    );
    expect(renderBatchLine(vf({ rate: { minTxRate: 0 } }))).toBe(
      'link set dev ens1f0 vf 3 min_tx_rate 0',
    );
  });

  it('renders a maximum alone as the legacy rate (IFLA_VF_TX_RATE), never mixed with min/max', () => {
    expect(renderBatchLine(vf({ txRate: 1000 }))).toBe('link set dev ens1f0 vf 3 rate 1000');
    // With min_tx_rate or max_tx_rate on the line, iproute2 folds `rate` into IFLA_VF_RATE.
    expect(() => renderBatchLine(vf({ txRate: 1000, rate: { minTxRate: 10 } }))).toThrow(
      UnsafeInputError,
    );
    expect(() => renderBatchLine(vf({ txRate: -1 }))).toThrow(UnsafeInputError);
  });

  it('renders link MTU and admin state', () => {
    expect(renderBatchLine({ kind: 'link', ifname: pf, mtu: 9000, up: true })).toBe(
      'link set dev ens1f0 mtu 9000 up',
    );
    expect(renderBatchLine({ kind: 'link', ifname: pf, up: false })).toBe(
      'link set dev ens1f0 down',
    );
  });

  // Branded types can be forged with a cast; the renderer must not trust them.
  it.each<[string, NetlinkChange]>([
    ['a newline in the PF name', { kind: 'vf', pf: 'eth0\nlink' as IfName, vf: 0, trust: true }],
    ['a space in the PF name', { kind: 'vf', pf: 'eth0 up' as IfName, vf: 0, trust: true }],
    ['".." in a link name', { kind: 'link', ifname: 'a..b' as IfName, up: true }],
    ['a MAC with a trailing word', vf({ mac: '02:00:00:00:00:01 trust' as MacAddress })],
    ['vf -1', vf({ vf: -1, trust: true })],
    ['vf 65536', vf({ vf: 65536, trust: true })],
    ['vf 1.5', vf({ vf: 1.5, trust: true })],
    ['vlan 4096', vf({ vlan: { vlan: 4096, qos: 0, proto: '802.1Q' } })],
    ['qos 8', vf({ vlan: { vlan: 1, qos: 8, proto: '802.1Q' } })],
    ['proto 802.1x', vf({ vlan: { vlan: 1, qos: 0, proto: '802.1x' as '802.1Q' } })],
    ['a negative rate', vf({ rate: { maxTxRate: -1 } })],
    ['rate 2^32-1 (iproute2 reads it as "unset")', vf({ rate: { maxTxRate: 4294967295 } })],
    ['NaN rate', vf({ rate: { minTxRate: Number.NaN } })],
    ['link state "up"', vf({ linkState: 'up' as 'auto' })],
    ['trust "yes"', vf({ trust: 'yes' as unknown as boolean })],
    ['mtu 67', { kind: 'link', ifname: pf, mtu: 67 }],
    ['mtu 65536', { kind: 'link', ifname: pf, mtu: 65536 }],
    ['a VF change with nothing to set', vf({})],
    ['a link change with nothing to set', { kind: 'link', ifname: pf }],
    ['an unknown kind', { kind: 'addr', ifname: pf } as unknown as NetlinkChange],
  ])('refuses %s with UnsafeInputError', (_what, change) => {
    expect(() => renderBatchLine(change)).toThrow(UnsafeInputError);
  });

  it('accepts the range ends', () => {
    expect(
      renderBatchLine(
        vf({
          vf: 65535,
          vlan: { vlan: 4095, qos: 7, proto: '802.1Q' },
          rate: { maxTxRate: 4294967294 },
        }),
      ),
    ).toBe('link set dev ens1f0 vf 65535 vlan 4095 qos 7 proto 802.1Q max_tx_rate 4294967294');
    expect(renderBatchLine({ kind: 'link', ifname: pf, mtu: 68 })).toBe(
      'link set dev ens1f0 mtu 68',
    );
  });
});
