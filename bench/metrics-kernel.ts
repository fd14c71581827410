/**
 * The metrics benchmark on a real kernel: boots the real-kernel lab (test/kernel/run.sh --bench
 * metrics; root, QEMU) and reads back what test/kernel/metrics.bench.ts measured in the guest: one
 * scrape of 2048 netdevsim VFs through the Linux implementation against its `ip -j -d -s link
 * show` dump alone. The simulator's dump is an in-memory walk that costs a fraction of the real
 * one, so this is the figure that says what a scrape adds to reading the kernel.
 */
import type { KernelMetricsBench } from '../test/kernel/metrics.bench.js';
import { fmtMs } from './harness.js';
import { runLabBench } from './lab-bench.js';

export async function benchMetricsKernel(): Promise<KernelMetricsBench> {
  return runLabBench<KernelMetricsBench>('metrics');
}

export function describeMetricsKernel(b: KernelMetricsBench): string {
  return [
    `metrics on the real kernel (${b.kernel}, lab guest under QEMU TCG: only the ratio counts): ${b.pfs} netdevsim PFs, ${b.vfs} VFs (${b.vfsWithCounters} with counters), ${(b.bytes / 1024).toFixed(0)} KiB, ${b.series} series`,
    `  scrape (ip link dump + render): ${fmtMs(b.scrape.subject.medianMs)}; ip link dump alone ${fmtMs(b.scrape.baseline.medianMs)}; ratio ${b.scrape.ratio.toFixed(2)}× (target ≤ 1.5×)`,
    `  render alone (dump shared): ${fmtMs(b.render.subject.medianMs)}; ip link dump alone ${fmtMs(b.render.baseline.medianMs)}`,
  ].join('\n');
}
