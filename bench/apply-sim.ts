/**
 * sriovctl's own cost of an apply, on the simulated kernel with timing off: a 4 PF × 256 VF
 * layout (per-VF MAC, VLAN and rates) planned against a discovery and run through the executor,
 * against a floor measured in the same run that hands the simulator the same netlink changes
 * (one batch per PF and step, as the executor sends them) with no discovery, plan or read-back.
 * The simulator's kernel work is an in-memory update, so this is the overhead sriovctl adds to a
 * kernel that costs nothing; what an apply costs against a real kernel is `apply-kernel`.
 */
import type { NetlinkChange } from '../src/host/host.js';
import { ifName, macAddress, pciAddress } from '../src/host/names.js';
import { mbps, vlanId } from '../src/host/vf-settings.js';
import { loadSimHost, type SimHost } from '../src/host/sim/index.js';
import { discover } from '../src/inventory/discover.js';
import { applyPlan } from '../src/policy/apply.js';
import { planChanges, type PlanTarget } from '../src/policy/plan.js';
import { fmtMs, median } from './harness.js';

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
        vlan: { vlan: vlanId(100 + (i % 64)), qos: 0, proto: '802.1Q' as const },
        minTxRate: mbps(0),
        maxTxRate: mbps(1000 + i),
      },
    })),
  }));
}

async function freshHost(): Promise<SimHost> {
  return loadSimHost('e810-8x256', { timing: 'off' });
}

/** sriovctl: discovery, plan, then the executor (one batch per PF and step, read back). */
async function ours(h: SimHost): Promise<void> {
  const plan = planChanges(layout(), await discover(h));
  const r = await applyPlan(h, plan, { confirmedDisruptive: true });
  if (!r.ok)
    throw new Error(
      `apply failed: ${r.outcomes.find((o) => o.status === 'failed')?.error?.message}`,
    );
}

/** The floor: the same changes in the same batches, straight into the simulator's seam. */
async function floor(h: SimHost): Promise<void> {
  for (let p = 0; p < PFS.length; p++) {
    const pf = ifName(NAMES[p]!);
    const macs: NetlinkChange[] = [];
    const rest: NetlinkChange[] = [];
    for (let i = 0; i < VFS; i++) {
      macs.push({ kind: 'vf', pf, vf: i, mac: macAddress(mac(p, i)) });
      rest.push({
        kind: 'vf',
        pf,
        vf: i,
        vlan: { vlan: 100 + (i % 64), qos: 0, proto: '802.1Q' },
        rate: { minTxRate: 0, maxTxRate: 1000 + i },
      });
    }
    for (const batch of [macs, rest]) {
      const answers = await h.linkApply(batch);
      if (!answers.every((a) => a.ok)) throw new Error(`the simulator refused a change on ${pf}`);
    }
  }
}

export interface ApplyBench {
  oursMs: number[];
  floorMs: number[];
  settings: number;
  ratio: number;
}

/** Runs the simulator apply benchmark: each run on a fresh host, sides alternating. */
export async function benchApply(runs = 7): Promise<ApplyBench> {
  const oursMs: number[] = [];
  const floorMs: number[] = [];
  const time = async (fn: (h: SimHost) => Promise<void>, into: number[] | null) => {
    const h = await freshHost();
    const t0 = performance.now();
    await fn(h);
    into?.push(performance.now() - t0);
    h.close();
  };
  await time(ours, null);
  await time(floor, null);
  for (let r = 0; r < runs; r++) {
    if (r % 2 === 0) {
      await time(ours, oursMs);
      await time(floor, floorMs);
    } else {
      await time(floor, floorMs);
      await time(ours, oursMs);
    }
  }
  return {
    oursMs,
    floorMs,
    settings: PFS.length * VFS * 3,
    ratio: median(oursMs) / median(floorMs),
  };
}

export function describeApply(r: ApplyBench): string {
  return [
    `apply on the simulator (timing off: the kernel's work costs nothing, so this is sriovctl's own overhead): 4 PFs × 256 VFs, per-VF MAC + VLAN + rates (${r.settings} settings)`,
    `  sriovctl apply (discovery, plan, executor with read-back)   median ${fmtMs(median(r.oursMs))}`,
    `  floor: the same changes in the same batches, seam only      median ${fmtMs(median(r.floorMs))}`,
    `  ratio ${r.ratio.toFixed(1)}× (what planning, discovery and read-back add to an in-memory kernel; against a real kernel see apply-kernel)`,
  ].join('\n');
}
