import { describe, expect, it } from 'vitest';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { TrafficSampler } from '../../../src/metrics/traffic.js';

describe('TrafficSampler', () => {
  it('derives per-VF and per-PF rates from two dumps of the PF-side VF counters', async () => {
    // One clock for the simulated counters and the sampler: the rates are exact.
    let clock = 1_000_000;
    const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off', clock: () => clock });
    h.setTraffic('ens1f0', 2, {
      rxBytesPerSec: 1000,
      txBytesPerSec: 4000,
      rxPacketsPerSec: 10,
      txPacketsPerSec: 40,
      rxDroppedPerSec: 0,
      txDroppedPerSec: 0,
    });
    const s = new TrafficSampler(h, { maxAgeMs: 0, now: () => clock });
    expect(s.rates()).toBeNull();
    await s.sample();
    clock += 250;
    await s.sample();
    const r = s.rates()!;
    const vf2 = r.vfs.find((v) => v.pf === 'ens1f0' && v.vf === 2)!;
    expect(vf2).toMatchObject({ txBytesPerS: 4000, rxBytesPerS: 1000 });
    expect(r.vfs.find((v) => v.pf === 'ens1f0' && v.vf === 3)!.txBytesPerS).toBe(0);
    const pf = r.pfs.find((p) => p.pf === 'ens1f0')!;
    expect(pf.txBytesPerS).toBe(vf2.txBytesPerS);
    expect(pf).toMatchObject({ truncated: false, vfsCounted: 8 });
  });

  it('shares one dump between concurrent readers and says which PFs are truncated', async () => {
    const h = await loadSimHost('e810-8x256', { timing: 'off' });
    let dumps = 0;
    const real = h.linkDump.bind(h);
    h.linkDump = async (o) => {
      dumps++;
      return real(o);
    };
    const s = new TrafficSampler(h, { maxAgeMs: 10_000 });
    const [a, b, c] = await Promise.all([s.sample(), s.sample(), s.sample()]);
    expect(dumps).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    await s.sample();
    expect(dumps).toBe(1);
    const s2 = new TrafficSampler(h, { maxAgeMs: 0 });
    await s2.sample();
    await s2.sample();
    const pf = s2.rates()!.pfs.find((p) => p.pf === 'ens1f0')!;
    expect(pf).toMatchObject({ truncated: true, vfsCounted: 34 });
  });
});
