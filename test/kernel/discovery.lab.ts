/**
 * Lab smoke test (runs inside the guest, IOMMU on): sriovctl's own LinuxHost and discovery see the
 * QEMU NVMe controller as an SR-IOV PF with the geometry QEMU gives it, and netdevsim is loaded.
 * Proves the whole pipeline: kernel, drivers, shares, compiled tests, node's runner, reporting.
 */
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLinuxHost } from '../../src/host/linux/index.js';
import { discover } from '../../src/inventory/discover.js';

test('discovery finds the QEMU NVMe PF 1b36:0010 with 7 VFs at offset 1, stride 1', async () => {
  const inventory = await discover(createLinuxHost());
  const nvme = inventory.pfs.filter((pf) => pf.vendorId === '1b36' && pf.deviceId === '0010');
  assert.equal(
    nvme.length,
    1,
    `NVMe PFs found: ${JSON.stringify(inventory.pfs.map((p) => p.pciAddress))}`,
  );
  const pf = nvme[0]!;
  assert.equal(pf.totalVfs, 7);
  assert.equal(pf.vfOffset, 1);
  assert.equal(pf.vfStride, 1);
  assert.equal(pf.driver, 'nvme');
});

test('netdevsim is loaded: /sys/bus/netdevsim/new_device exists', () => {
  assert.ok(existsSync('/sys/bus/netdevsim/new_device'));
});
