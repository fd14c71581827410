/**
 * `npm run bench [-- name...]`: runs the benchmarks (all, or those named: discovery, apply-sim, api,
 * console, metrics, metrics-kernel, apply-kernel, pci-ids)
 * and prints medians and ratios to same-run baselines.
 */
import os from 'node:os';
import { benchApi, describeApi } from './api.js';
import { benchApply, describeApply } from './apply-sim.js';
import { benchApplyKernel, describeApplyKernel } from './apply-kernel.js';
import { benchConsole, describeConsole } from './console.js';
import { benchDiscovery, describeDiscovery } from './discovery.js';
import { benchMetrics, describeMetrics } from './metrics.js';
import { benchMetricsKernel, describeMetricsKernel } from './metrics-kernel.js';
import { benchPciIds, describePciIds } from './pci-ids.js';

const BENCHES: Record<string, () => Promise<string>> = {
  discovery: async () => describeDiscovery(await benchDiscovery()),
  'pci-ids': async () => describePciIds(await benchPciIds()),
  'apply-sim': async () => describeApply(await benchApply()),
  api: async () => describeApi(await benchApi()),
  console: async () => describeConsole(await benchConsole()),
  metrics: async () => describeMetrics(await benchMetrics()),
  // Boots the real-kernel lab (root, QEMU; about two minutes).
  'metrics-kernel': async () => describeMetricsKernel(await benchMetricsKernel()),
  // Boots the real-kernel lab (root, QEMU; several minutes: the script baseline is slow).
  'apply-kernel': async () => describeApplyKernel(await benchApplyKernel()),
};

const wanted = process.argv.slice(2);
for (const w of wanted)
  if (!(w in BENCHES))
    throw new Error(`unknown benchmark ${w}; known: ${Object.keys(BENCHES).join(', ')}`);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `sriovctl benchmarks — node ${process.version}, ${os.cpus().length} x ${cpu}, load ${os.loadavg()[0]!.toFixed(2)}`,
);
for (const [name, run] of Object.entries(BENCHES))
  if (wanted.length === 0 || wanted.includes(name)) console.log(await run());
