/**
 * Renders NetlinkChanges as `ip -batch` lines. Every value is re-validated right here, at the last
 * moment before it becomes text: the branded types say "validated once", but a batch line is parsed
 * by iproute2's own word splitter, so a stray space or newline would change what gets applied.
 */
import { UnsafeInputError } from './errors.js';
import type { LinkChange, NetlinkChange, VfChange, VfLinkState, VlanProto } from './host.js';
import { ifName, macAddress } from './names.js';

// iproute2 stores an unset min/max rate as (u32)-1 and fills it from a dump, so 2^32-1 can never be
// sent as a real value; the kernel's rate fields are u32 Mbit/s otherwise.
const MAX_RATE = 0xffff_fffe;
const LINK_STATES: readonly VfLinkState[] = ['auto', 'enable', 'disable'];
const VLAN_PROTOS: readonly VlanProto[] = ['802.1Q', '802.1ad'];

function int(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UnsafeInputError(field, String(value), `an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(field: string, value: unknown): 'on' | 'off' {
  if (typeof value !== 'boolean') throw new UnsafeInputError(field, String(value), 'true or false');
  return value ? 'on' : 'off';
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UnsafeInputError(field, String(value), allowed.join(' or '));
  }
  return value as T;
}

function renderVf(c: VfChange): string {
  const words = ['link', 'set', 'dev', ifName(c.pf, 'pf'), 'vf', String(int('vf', c.vf, 0, 65535))];
  const before = words.length;
  if (c.mac !== undefined) words.push('mac', macAddress(c.mac));
  if (c.vlan !== undefined) {
    words.push(
      'vlan',
      String(int('vlan', c.vlan.vlan, 0, 4095)),
      'qos',
      String(int('qos', c.vlan.qos, 0, 7)),
      'proto',
      oneOf('vlanProto', c.vlan.proto, VLAN_PROTOS),
    );
  }
  if (c.txRate !== undefined) {
    if (c.rate !== undefined)
      throw new UnsafeInputError('txRate', `vf ${c.vf} of ${c.pf}`, 'txRate or rate, not both');
    // `rate` alone is IFLA_VF_TX_RATE: the kernel keeps the VF's current minimum.
    words.push('rate', String(int('txRate', c.txRate, 0, MAX_RATE)));
  }
  if (c.rate !== undefined) {
    // Only the sides given: iproute2 fills a missing side from a fresh dump of this PF.
    if (c.rate.minTxRate !== undefined)
      words.push('min_tx_rate', String(int('minTxRate', c.rate.minTxRate, 0, MAX_RATE)));
    if (c.rate.maxTxRate !== undefined)
      words.push('max_tx_rate', String(int('maxTxRate', c.rate.maxTxRate, 0, MAX_RATE)));
  }
  if (c.spoofchk !== undefined) words.push('spoofchk', bool('spoofchk', c.spoofchk));
  if (c.linkState !== undefined) words.push('state', oneOf('linkState', c.linkState, LINK_STATES));
  if (c.trust !== undefined) words.push('trust', bool('trust', c.trust));
  // `vf N` alone makes iproute2 exit ("Command line is not complete"), ending the whole batch.
  if (words.length === before)
    throw new UnsafeInputError('change', `vf ${c.vf} of ${c.pf}`, 'at least one VF setting');
  return words.join(' ');
}

function renderLink(c: LinkChange): string {
  const words = ['link', 'set', 'dev', ifName(c.ifname)];
  const before = words.length;
  if (c.mtu !== undefined) words.push('mtu', String(int('mtu', c.mtu, 68, 65535)));
  if (c.up !== undefined) {
    if (typeof c.up !== 'boolean') throw new UnsafeInputError('up', String(c.up), 'true or false');
    words.push(c.up ? 'up' : 'down');
  }
  if (words.length === before)
    throw new UnsafeInputError('change', `link ${c.ifname}`, 'mtu and/or up');
  return words.join(' ');
}

/**
 * One `ip -batch` line for one change, e.g. `link set dev ens1f0 vf 3 vlan 100 qos 3 proto 802.1ad trust on`.
 * @throws UnsafeInputError for any name or number out of range, or a change with nothing to set.
 */
export function renderBatchLine(change: NetlinkChange): string {
  switch (change.kind) {
    case 'vf':
      return renderVf(change);
    case 'link':
      return renderLink(change);
    default: {
      const unknown: { kind?: unknown } = change;
      throw new UnsafeInputError('change.kind', String(unknown.kind), 'vf or link');
    }
  }
}
