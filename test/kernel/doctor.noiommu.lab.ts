// Doctor inside the guest booted WITHOUT the emulated IOMMU: the IOMMU is off, with the fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../../src/doctor/index.js';
import { discover } from '../../src/inventory/discover.js';
import { labHost } from './support.js';

test('sees the IOMMU as off and says how to fix it', async () => {
  const inv = await discover(await labHost());
  assert.equal(inv.host.iommu.groupCount, 0);
  const iommu = runDoctor(inv).results.find((r) => r.id === 'iommu.enabled');
  assert.equal(iommu?.status, 'fail', JSON.stringify(iommu));
  assert.ok(iommu?.fix, 'no fix text');
});
