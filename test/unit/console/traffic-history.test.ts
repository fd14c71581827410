// Throughput kept in the browser: latest rates and history per PF and VF, never a stale or
// invented zero for a VF the latest sample did not count.
import { describe, expect, it } from 'vitest';
import type { VfRate } from '../../../src/contract/index.js';
import { TrafficHistory, type TrafficPayload } from '../../../src/console/lib/traffic.js';

const vf = (pf: string, n: number, rx: number, tx = rx): VfRate => ({
  pf,
  vf: n,
  rxBytesPerS: rx,
  txBytesPerS: tx,
  rxPacketsPerS: 0,
  txPacketsPerS: 0,
  rxDroppedPerS: 0,
  txDroppedPerS: 0,
});

const sample = (at: number, vfs: VfRate[], pfRx = 0): TrafficPayload => ({
  at,
  intervalMs: 2000,
  pfs: [
    {
      pf: 'ens1f0',
      rxBytesPerS: pfRx,
      txBytesPerS: pfRx,
      truncated: false,
      vfsCounted: vfs.length,
    },
  ],
  vfs,
});

describe('TrafficHistory', () => {
  it('keeps the latest rates and a history per PF and VF', () => {
    const h = new TrafficHistory();
    expect(h.add(sample(1000, [vf('ens1f0', 0, 10), vf('ens1f0', 1, 20)], 30))).toBe(true);
    expect(h.add(sample(3000, [vf('ens1f0', 0, 11), vf('ens1f0', 1, 21)], 32))).toBe(true);
    expect(h.vf('ens1f0', 1)?.rxBytesPerS).toBe(21);
    expect(h.pf('ens1f0')?.rxBytesPerS).toBe(32);
    expect(h.vfHistory('ens1f0', 0).map((s) => [s.t, s.rx])).toEqual([
      [1000, 10],
      [3000, 11],
    ]);
    expect(h.pfHistory('ens1f0')).toHaveLength(2);
    expect(h.latestAt()).toBe(3000);
  });

  it('ignores a sample it already has or an older one (GET and the stream overlap)', () => {
    const h = new TrafficHistory();
    h.add(sample(5000, [vf('ens1f0', 0, 1)]));
    const v = h.version;
    expect(h.add(sample(5000, [vf('ens1f0', 0, 99)]))).toBe(false);
    expect(h.add(sample(4000, [vf('ens1f0', 0, 99)]))).toBe(false);
    expect(h.version).toBe(v);
    expect(h.vf('ens1f0', 0)?.rxBytesPerS).toBe(1);
  });

  it('forgets the latest rate of a VF the next sample does not count', () => {
    const h = new TrafficHistory();
    h.add(sample(1000, [vf('ens1f0', 0, 5), vf('ens1f0', 200, 7)]));
    h.add(sample(3000, [vf('ens1f0', 0, 6)]));
    expect(h.vf('ens1f0', 200)).toBeUndefined();
    expect(h.vfHistory('ens1f0', 200)).toHaveLength(1);
  });

  it('keeps at most its capacity of samples per series, and accepts ISO times', () => {
    const h = new TrafficHistory(3);
    for (let i = 1; i <= 5; i++)
      h.add({ ...sample(0, [vf('ens1f0', 0, i)]), at: new Date(i * 1000).toISOString() });
    expect(h.vfHistory('ens1f0', 0).map((s) => s.rx)).toEqual([3, 4, 5]);
  });
});
