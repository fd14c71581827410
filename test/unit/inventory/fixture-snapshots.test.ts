// Discovery of every shipped fixture equals its reviewed snapshot (test/unit/inventory/snapshots/).
// A change to the simulator or to discovery that alters what a user would see shows up here as a
// diff to read, not as a silent drift.
import { afterAll, describe, expect, it } from 'vitest';
import { listFixtures, loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import type { Inventory } from '../../../src/inventory/types.js';

const hosts: SimHost[] = [];
afterAll(() => hosts.forEach((h) => h.close()));

/** The 2048-VF host is summarised: its full snapshot would be a megabyte nobody reviews. */
function summarise(inv: Inventory): unknown {
  return {
    ...inv,
    pfs: inv.pfs.map((pf) => ({
      ...pf,
      vfs: `${pf.vfs.length} VFs, first ${pf.vfs[0]?.pciAddress}, last ${pf.vfs.at(-1)?.pciAddress}`,
      firstVf: pf.vfs[0],
      lastVf: pf.vfs.at(-1),
      unreadableVfs: `${pf.unreadableVfs.length}: ${pf.unreadableVfs[0]}..${pf.unreadableVfs.at(-1)}`,
    })),
  };
}

describe('discovery snapshots', () => {
  for (const name of listFixtures()) {
    it(`matches the reviewed snapshot of ${name}`, async () => {
      const host = await loadSimHost(name, { timing: 'off' });
      hosts.push(host);
      const inv = await discover(host, { now: () => new Date('2026-01-01T00:00:00Z') });
      const data = name === 'e810-8x256' ? summarise(inv) : inv;
      await expect(JSON.stringify(data, null, 2) + '\n').toMatchFileSnapshot(
        `snapshots/${name}.json`,
      );
    });
  }
});
