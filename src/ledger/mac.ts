/**
 * MACs for consumer interfaces: derived from who the interface belongs to, so a VM that is
 * detached and attached again keeps its MAC (DHCP leases, firewall rules), and locally
 * administered so they never collide with a vendor's burned-in addresses.
 *
 * Derived with a key only the ledger holds (an HMAC, not a plain hash): a MAC computable from a
 * consumer's name would let another tenant ask for it and learn from the refusal that the
 * consumer exists and how many interfaces it has. The tenant is part of the identity, so a
 * consumer name another tenant takes over later never inherits the first tenant's addresses.
 */
import { createHmac } from 'node:crypto';
import type { Consumer } from './types.js';

/** Whose interface a MAC is for. */
export interface MacOwner {
  tenant: string;
  consumer: Consumer;
  iface: string;
}

/** The MAC for `owner` under `key`; `attempt` > 0 picks the next one after a collision. */
export function consumerMac(key: string, owner: MacOwner, attempt = 0): string {
  const { tenant, consumer, iface } = owner;
  const h = createHmac('sha256', key)
    .update(`${tenant}\0${consumer.host}\0${consumer.kind}\0${consumer.name}\0${iface}\0${attempt}`)
    .digest();
  // Locally administered (bit 1 set), unicast (bit 0 clear).
  const bytes = [(h[0]! & 0xfc) | 0x02, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The first stable MAC for this interface that is not in `taken`. */
export function uniqueConsumerMac(
  key: string,
  owner: MacOwner,
  taken: ReadonlySet<string>,
): string {
  for (let attempt = 0; ; attempt++) {
    const mac = consumerMac(key, owner, attempt);
    if (!taken.has(mac)) return mac;
  }
}
