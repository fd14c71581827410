/**
 * Applying a 4 PF x 256 VF layout (per-VF MAC, VLAN and rate) on the simulated kernel with timing
 * off, against a baseline measured in the same run that does what shell scripts do: one `ip link
 * set` process per VF setting. The baseline's processes are the real iproute2 binary making one
 * netlink request each (into a throwaway network namespace, where the kernel refuses VF settings on
 * a dummy link), and each setting is also applied to the simulated kernel through its own seam call,
 * so both sides configure the same VFs and the baseline pays the per-process cost scripts pay.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { NetlinkChange } from '../src/host/host.js';
import { ifName, macAddress, pciAddress } from '../src/host/names.js';
import { loadSimHost, type SimHost } from '../src/host/sim/index.js';
import { discover } from '../src/inventory/discover.js';
import { applyPlan } from '../src/policy/apply.js';
import { planChanges, type PlanTarget } from '../src/policy/plan.js';
import { fmtMs, median } from './harness.js';

const run = promisify(execFile);
const PFS = ['0000:17:00.0', '0000:31:00.0', '0000:4b:00.0', '0000:65:00.0'];
const NAMES = ['ens1f0', 'ens2f0', 'ens3f0', 'ens4f0'];
const VFS = 256;

function mac(pf: number, vf: number): string {
  return `02:5a:${pf.toString(16).padStart(2, '0')}:00:${(vf >> 8).toString(16).padStart(2, '0')}:${(vf & 255).toString(16).padStart(2, '0')}`;
}

function layout(): PlanTarget[] {
  return PFS.map((pf, p) => ({
    pciAddress: pciAddress(pf),
    numVfs: VFS,
    vfs: [...Array(VFS).keys()].map((i) => ({
      vfIndex: i,
      driver: 'host' as const,
      settings: {
        mac: macAddress(mac(p, i)),
        vlan: { vlan: 100 + (i % 64), qos: 0, proto: '802.1Q' as const },
        minTxRate: 0,
        maxTxRate: 1000 + i,
      },
    })),
  }));
}

async function freshHost(): Promise<SimHost> {
  return loadSimHost('e810-8x256', { timing: 'off' });
}

/** sriovctl: plan against a discovery, then one batch per PF and step. */
async function ours(h: SimHost): Promise<void> {
  const plan = planChanges(layout(), await discover(h));
  const r = await applyPlan(h, plan, { confirmedDisruptive: true });
  if (!r.ok)
    throw new Error(
      `apply failed: ${r.outcomes.find((o) => o.status === 'failed')?.error?.message}`,
    );
}

/** The shell-script way: one `ip link set ... vf N <setting>` process per VF setting. */
async function baseline(h: SimHost, ns: string, limit: number): Promise<number> {
  let n = 0;
  for (let p = 0; p < PFS.length; p++) {
    for (let i = 0; i < VFS; i++) {
      const settings: [string[], NetlinkChange][] = [
        [
          ['mac', mac(p, i)],
          { kind: 'vf', pf: ifName(NAMES[p]!), vf: i, mac: macAddress(mac(p, i)) },
        ],
        [
          ['vlan', String(100 + (i % 64))],
          {
            kind: 'vf',
            pf: ifName(NAMES[p]!),
            vf: i,
            vlan: { vlan: 100 + (i % 64), qos: 0, proto: '802.1Q' },
          },
        ],
        [
          ['min_tx_rate', '0', 'max_tx_rate', String(1000 + i)],
          { kind: 'vf', pf: ifName(NAMES[p]!), vf: i, rate: { minTxRate: 0, maxTxRate: 1000 + i } },
        ],
      ];
      for (const [words, change] of settings) {
        if (n >= limit) return n;
        await run('ip', ['-n', ns, 'link', 'set', 'dev', 'd0', 'vf', String(i), ...words]).catch(
          () => undefined,
        );
        await h.linkApply([change]);
        n++;
      }
    }
  }
  return n;
}

export interface ApplyBench {
  oursMs: number[];
  baselineMsPerSetting: number[];
  settings: number;
  baselineEstimateMs: number;
  ratio: number;
}

/** Runs the apply benchmark. The baseline is timed on a sample of settings and scaled, since 3072 processes take minutes. */
export async function benchApply(runs = 5, sample = 300): Promise<ApplyBench> {
  const ns = `sriovctl-bench-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'd0', 'type', 'dummy'], { stdio: 'ignore' });
    } catch {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'd0', 'type', 'ifb']);
    }
    const oursMs: number[] = [];
    const perSetting: number[] = [];
    const settings = PFS.length * VFS * 3;
    for (let r = 0; r < runs; r++) {
      const a = await freshHost();
      const t0 = performance.now();
      await ours(a);
      oursMs.push(performance.now() - t0);
      a.close();
      const b = await freshHost();
      const t1 = performance.now();
      const n = await baseline(b, ns, sample);
      perSetting.push((performance.now() - t1) / n);
      b.close();
    }
    const estimate = median(perSetting) * settings;
    return {
      oursMs,
      baselineMsPerSetting: perSetting,
      settings,
      baselineEstimateMs: estimate,
      ratio: estimate / median(oursMs),
    };
  } finally {
    execFileSync('ip', ['netns', 'delete', ns]);
  }
}

export function describeApply(r: ApplyBench): string {
  return [
    `apply: 4 PFs x 256 VFs, per-VF MAC + VLAN + rate (${r.settings} VF settings), simulated kernel, timing off`,
    `  sriovctl apply (plan + batched executor)   median ${fmtMs(median(r.oursMs))}`,
    `  baseline: one ip process per VF setting   median ${median(r.baselineMsPerSetting).toFixed(2)} ms/setting -> ${fmtMs(r.baselineEstimateMs)} for all ${r.settings}`,
    `  ratio baseline/sriovctl ${r.ratio.toFixed(1)}x (target >= 20x; absolute target < 1 s)`,
  ].join('\n');
}
