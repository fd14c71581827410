/**
 * The metrics benchmark on a real kernel: boots the real-kernel lab (test/kernel/run.sh --bench
 * metrics; root, QEMU) and reads back what test/kernel/metrics.bench.ts measured in the guest: one
 * scrape of 2048 netdevsim VFs through the Linux implementation against its `ip -j -d -s link
 * show` dump alone. The simulator's dump is an in-memory walk that costs a fraction of the real
 * one, so this is the figure that says what a scrape adds to reading the kernel.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelMetricsBench } from '../test/kernel/metrics.bench.js';
import { fmtMs } from './harness.js';

export async function benchMetricsKernel(): Promise<KernelMetricsBench> {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-bench-'));
  const out = join(dir, 'metrics.json');
  try {
    const log: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', ['test/kernel/run.sh', '--bench', 'metrics'], {
        env: { ...process.env, SRIOVCTL_LAB_BENCH_OUT: out },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (d: Buffer) => {
        log.push(d.toString());
        if (log.length > 400) log.shift();
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0)
      throw new Error(`the lab benchmark failed (exit ${code}):\n${log.join('').slice(-4000)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as KernelMetricsBench;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeMetricsKernel(b: KernelMetricsBench): string {
  return [
    `metrics on the real kernel (${b.kernel}, lab guest under QEMU TCG: only the ratio counts): ${b.pfs} netdevsim PFs, ${b.vfs} VFs (${b.vfsWithCounters} with counters), ${(b.bytes / 1024).toFixed(0)} KiB, ${b.series} series`,
    `  scrape (ip link dump + render): ${fmtMs(b.scrape.subject.medianMs)}; ip link dump alone ${fmtMs(b.scrape.baseline.medianMs)}; ratio ${b.scrape.ratio.toFixed(2)}× (target ≤ 1.5×)`,
    `  render alone (dump shared): ${fmtMs(b.render.subject.medianMs)}; ip link dump alone ${fmtMs(b.render.baseline.medianMs)}`,
  ].join('\n');
}
