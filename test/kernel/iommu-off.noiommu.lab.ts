/**
 * Lab smoke test for the second boot (no emulated IOMMU, no intel_iommu=on): the kernel registers
 * no IOMMU unit, so /sys/class/iommu is empty and no device has an IOMMU group.
 */
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('without the emulated IOMMU, /sys/class/iommu is empty', () => {
  assert.deepEqual(readdirSync('/sys/class/iommu'), []);
});
