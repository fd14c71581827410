// Consumer MACs: stable per (tenant, host, kind, consumer, interface) under the ledger's key so a
// re-attached VM keeps its address, not computable without that key, locally administered unicast
// so they never clash with burned-in MACs, and unique on collision.
import { describe, expect, it } from 'vitest';
import { consumerMac, uniqueConsumerMac, type MacOwner } from '../../../src/ledger/mac.js';
import { macText } from '../../../src/contract/index.js';
import type { Consumer } from '../../../src/ledger/types.js';

const KEY = 'a'.repeat(64);
const vm: Consumer = { kind: 'vm', name: 'vm-42', host: 'compute-17' };
const owner = (over: Partial<MacOwner> = {}): MacOwner => ({
  tenant: 'team-a',
  consumer: vm,
  iface: 'net0',
  ...over,
});

describe('consumerMac', () => {
  it('is the same for the same consumer interface and key, every time', () => {
    expect(consumerMac(KEY, owner())).toBe(consumerMac(KEY, owner({ consumer: { ...vm } })));
    expect(consumerMac(KEY, owner(), 3)).toBe(consumerMac(KEY, owner(), 3));
  });

  it('is a locally administered unicast address the API would accept', () => {
    for (let i = 0; i < 500; i++) {
      const mac = consumerMac(KEY, {
        tenant: 't',
        consumer: { kind: 'pod', name: `ns/web-${i}`, host: 'h' },
        iface: `net${i % 4}`,
      });
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0x01).toBe(0); // unicast
      expect(first & 0x02).toBe(2); // locally administered
      expect(macText.safeParse(mac).success).toBe(true);
    }
  });

  it('differs when any part of the identity differs, the tenant included', () => {
    const base = consumerMac(KEY, owner());
    const others = [
      consumerMac(KEY, owner({ iface: 'net1' })),
      consumerMac(KEY, owner({ consumer: { ...vm, name: 'vm-43' } })),
      consumerMac(KEY, owner({ consumer: { ...vm, kind: 'pod' } })),
      consumerMac(KEY, owner({ consumer: { ...vm, host: 'compute-18' } })),
      consumerMac(KEY, owner({ tenant: 'team-b' })),
      consumerMac(KEY, owner(), 1),
    ];
    expect(new Set([base, ...others]).size).toBe(7);
  });

  it('cannot be computed without the key: another key gives other MACs', () => {
    const other = 'b'.repeat(64);
    for (let i = 0; i < 50; i++) {
      const o = owner({ iface: `net${i}` });
      expect(consumerMac(other, o)).not.toBe(consumerMac(KEY, o));
    }
  });

  it('does not let fields run into each other ("a"+"bc" vs "ab"+"c")', () => {
    expect(consumerMac(KEY, owner({ consumer: { kind: 'vm', name: 'a', host: 'bc' } }))).not.toBe(
      consumerMac(KEY, owner({ consumer: { kind: 'vm', name: 'ab', host: 'c' } })),
    );
    expect(consumerMac(KEY, owner({ tenant: 'a', consumer: { ...vm, host: 'bc' } }))).not.toBe(
      consumerMac(KEY, owner({ tenant: 'ab', consumer: { ...vm, host: 'c' } })),
    );
  });
});

describe('uniqueConsumerMac', () => {
  it('is the stable MAC when nobody holds it', () => {
    expect(uniqueConsumerMac(KEY, owner(), new Set())).toBe(consumerMac(KEY, owner()));
    expect(
      uniqueConsumerMac(KEY, owner(), new Set([consumerMac(KEY, owner({ iface: 'net1' }))])),
    ).toBe(consumerMac(KEY, owner()));
  });

  it('moves to the next stable candidate past every taken one', () => {
    const taken = new Set([0, 1, 2].map((a) => consumerMac(KEY, owner(), a)));
    const mac = uniqueConsumerMac(KEY, owner(), taken);
    expect(mac).toBe(consumerMac(KEY, owner(), 3));
    expect(taken.has(mac)).toBe(false);
    // Stable under the same collisions: a retry gets the same answer.
    expect(uniqueConsumerMac(KEY, owner(), taken)).toBe(mac);
  });

  it('gives many interfaces distinct MACs when each takes the previous ones into account', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const mac = uniqueConsumerMac(
        KEY,
        {
          tenant: 't',
          consumer: { kind: 'vm', name: `vm-${i >> 2}`, host: 'h' },
          iface: `net${i & 3}`,
        },
        taken,
      );
      expect(taken.has(mac)).toBe(false);
      taken.add(mac);
    }
    expect(taken.size).toBe(2000);
  });
});
