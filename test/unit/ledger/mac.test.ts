// Consumer MACs: stable per (host, kind, consumer, interface) so a re-attached VM keeps its address,
// locally administered unicast so they never clash with burned-in MACs, and unique on collision.
import { describe, expect, it } from 'vitest';
import { consumerMac, uniqueConsumerMac } from '../../../src/ledger/mac.js';
import { macText, type Consumer } from '../../../src/ledger/types.js';

const vm: Consumer = { kind: 'vm', name: 'vm-42', host: 'compute-17' };

describe('consumerMac', () => {
  it('is the same for the same consumer interface, every time', () => {
    expect(consumerMac(vm, 'net0')).toBe(consumerMac({ ...vm }, 'net0'));
    expect(consumerMac(vm, 'net0', 3)).toBe(consumerMac(vm, 'net0', 3));
  });

  it('is a locally administered unicast address the API would accept', () => {
    for (let i = 0; i < 500; i++) {
      const mac = consumerMac({ kind: 'pod', name: `ns/web-${i}`, host: 'h' }, `net${i % 4}`);
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0x01).toBe(0); // unicast
      expect(first & 0x02).toBe(2); // locally administered
      expect(macText.safeParse(mac).success).toBe(true);
    }
  });

  it('differs when any part of the identity differs', () => {
    const base = consumerMac(vm, 'net0');
    const others = [
      consumerMac(vm, 'net1'),
      consumerMac({ ...vm, name: 'vm-43' }, 'net0'),
      consumerMac({ ...vm, kind: 'pod' }, 'net0'),
      consumerMac({ ...vm, host: 'compute-18' }, 'net0'),
      consumerMac(vm, 'net0', 1),
    ];
    expect(new Set([base, ...others]).size).toBe(6);
  });

  it('does not let fields run into each other ("a"+"bc" vs "ab"+"c")', () => {
    expect(consumerMac({ kind: 'vm', name: 'a', host: 'bc' }, 'x')).not.toBe(
      consumerMac({ kind: 'vm', name: 'ab', host: 'c' }, 'x'),
    );
  });
});

describe('uniqueConsumerMac', () => {
  it('is the stable MAC when nobody holds it', () => {
    expect(uniqueConsumerMac(vm, 'net0', new Set())).toBe(consumerMac(vm, 'net0'));
    expect(uniqueConsumerMac(vm, 'net0', new Set([consumerMac(vm, 'net1')]))).toBe(
      consumerMac(vm, 'net0'),
    );
  });

  it('moves to the next stable candidate past every taken one', () => {
    const taken = new Set([0, 1, 2].map((a) => consumerMac(vm, 'net0', a)));
    const mac = uniqueConsumerMac(vm, 'net0', taken);
    expect(mac).toBe(consumerMac(vm, 'net0', 3));
    expect(taken.has(mac)).toBe(false);
    // Stable under the same collisions: a retry gets the same answer.
    expect(uniqueConsumerMac(vm, 'net0', taken)).toBe(mac);
  });

  it('gives many interfaces distinct MACs when each takes the previous ones into account', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const mac = uniqueConsumerMac(
        { kind: 'vm', name: `vm-${i >> 2}`, host: 'h' },
        `net${i & 3}`,
        taken,
      );
      expect(taken.has(mac)).toBe(false);
      taken.add(mac);
    }
    expect(taken.size).toBe(2000);
  });
});
