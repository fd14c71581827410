// Doctor inside the guest booted with the emulated Intel IOMMU: the IOMMU is on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../../src/doctor/index.js';
import { discover } from '../../src/inventory/discover.js';
import { labHost, nvmePf } from './support.js';

test('sees the IOMMU as on and the NVMe PF as SR-IOV capable', async () => {
  const host = await labHost();
  const inv = await discover(host);
  const report = runDoctor(inv);
  const iommu = report.results.find((r) => r.id === 'iommu.enabled');
  assert.equal(iommu?.status, 'pass', JSON.stringify(iommu));
  assert.ok(inv.host.iommu.units.length > 0);
  const pf = await nvmePf(host);
  const capable = report.results.find((r) => r.id === 'pf.sriov-capable' && r.scope === pf);
  assert.equal(capable?.status, 'pass');
});
