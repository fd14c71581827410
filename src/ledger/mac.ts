/**
 * MACs for consumer interfaces: derived from who the interface belongs to, so a VM that is
 * detached and attached again keeps its MAC (DHCP leases, firewall rules), and locally
 * administered so they never collide with a vendor's burned-in addresses.
 */
import { createHash } from 'node:crypto';
import type { Consumer } from './types.js';

/** The MAC for `iface` of `consumer`; `attempt` > 0 picks the next one after a collision. */
export function consumerMac(consumer: Consumer, iface: string, attempt = 0): string {
  const h = createHash('sha256')
    .update(`${consumer.host}\0${consumer.kind}\0${consumer.name}\0${iface}\0${attempt}`)
    .digest();
  // Locally administered (bit 1 set), unicast (bit 0 clear).
  const bytes = [(h[0]! & 0xfc) | 0x02, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The first stable MAC for this interface that nobody else holds. */
export function uniqueConsumerMac(
  consumer: Consumer,
  iface: string,
  taken: ReadonlySet<string>,
): string {
  for (let attempt = 0; ; attempt++) {
    const mac = consumerMac(consumer, iface, attempt);
    if (!taken.has(mac)) return mac;
  }
}
