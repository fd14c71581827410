/**
 * The apply benchmark on a real kernel: boots the real-kernel lab (test/kernel/run.sh --bench
 * apply; root, QEMU) and reads back what test/kernel/apply.bench.ts measured in the guest: per-VF
 * MAC, VLAN and rates on four netdevsim PFs with 256 VFs each, applied by sriovctl through its
 * Linux implementation against `ip -batch` of the same lines (the floor), and on one PF against a
 * shell script running one `ip` per setting.
 */
import type { KernelApplyBench } from '../test/kernel/apply.bench.js';
import { fmtMs, median } from './harness.js';
import { runLabBench } from './lab-bench.js';

export async function benchApplyKernel(): Promise<KernelApplyBench> {
  // The script runs start hundreds of processes under software emulation: minutes.
  return runLabBench<KernelApplyBench>('apply', { SRIOVCTL_LAB_TIMEOUT: '1500' });
}

export function describeApplyKernel(b: KernelApplyBench): string {
  const range = (ms: number[]) => `${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms`;
  const parts = Object.entries(b.sriovctlParts)
    .map(([k, ms]) => `${k} ${ms.toFixed(0)}`)
    .join(', ');
  return [
    `apply on the real kernel (${b.kernel}, lab guest under QEMU TCG: only the ratios count): ${b.pfs} netdevsim PFs × ${b.vfsPerPf} VFs, MAC + VLAN + rates per VF (${b.settings} settings, ${b.requests} netlink requests), ${b.runs} interleaved runs`,
    `  sriovctl apply (discovery, plan, executor with read-back): median ${fmtMs(b.sriovctl.medianMs)} (${range(b.sriovctl.runsMs)}); parts (median ms): ${parts}`,
    `  floor: ip -batch of the same lines: median ${fmtMs(b.floor.medianMs)} (${range(b.floor.runsMs)}); ratio ${b.ratioToFloor.toFixed(2)}× (target ≤ 1.2×)`,
    `  ip -batch with one line per VF: median ${fmtMs(b.floorOneLinePerVf.medianMs)}; sriovctl is ${b.ratioToOneLinePerVf.toFixed(2)}× that`,
    `  the same lines with a sentinel after each (sriovctl's former framing): median ${fmtMs(b.floorDenseFraming.medianMs)} (${(b.floorDenseFraming.medianMs / b.floor.medianMs).toFixed(2)}× the floor)`,
    `  scripts (${b.scripts.vfs} VFs of 1 PF, ${b.scripts.processes} ip processes from one shell, ${b.scripts.runs} runs): median ${fmtMs(median(b.scripts.scripts.runsMs))} against sriovctl on the same VFs ${fmtMs(b.scripts.sriovctl.medianMs)}: ${b.scripts.ratio.toFixed(1)}×`,
    `  seam calls of one sriovctl run: ${Object.entries(b.profile)
      .map(([k, p]) => `${k} ${p.calls}× ${p.ms.toFixed(0)} ms`)
      .join(', ')}`,
  ].join('\n');
}
