/**
 * The apply benchmark on the real 6.1 kernel (runs inside the lab guest; `npm run bench --
 * apply-kernel` boots it): per-VF MAC, VLAN and rates on four netdevsim PFs with 256 VFs each, where
 * the kernel does the work (rtnetlink RTM_SETLINK into netdevsim's VF table). Three ways of doing
 * the same changes, interleaved in the same run, each from the state the previous one left (every
 * run applies a new generation of values, so every setting changes every time):
 *
 * - sriovctl: discovery, plan and the executor through the Linux implementation, as `sriovctl apply`
 *   does after loading its policy (with the executor's read-back of what the kernel reports);
 * - the floor: one `ip -batch` of the very lines sriovctl sends (its MAC step, then its VLAN+rate
 *   step, per PF), which is the cheapest way a user can make these netlink requests with iproute2;
 *   also one `ip -batch` with a single line per VF (all of its settings in one request), and the
 *   same lines with a sentinel after each, as sriovctl framed its batches before (what that cost);
 * - scripts: one `ip link set ... vf N <setting>` process per setting from one shell, as
 *   provisioning scripts do (on the first 64 VFs of one PF, against sriovctl on the same VFs:
 *   each process costs tens to hundreds of milliseconds under emulation).
 *
 * Every baseline's exit status is checked and the readable VFs are read back after every run, so a
 * side that silently did nothing fails the benchmark instead of winning it. Under QEMU's software
 * emulation only the ratios mean anything.
 *
 * Writes its figures as JSON to the path given as the first argument (the lab's results share).
 * `SRIOVCTL_LAB_HOST=sim` runs it against the simulator's mirror of the guest, for development.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { median, type Sample } from '../../bench/harness.js';
import type { Host } from '../../src/host/host.js';
import { buildBatchScript, parseBatchResults } from '../../src/host/linux/batch-results.js';
import { runCommand } from '../../src/host/linux/exec.js';
import { macAddress, netdevsimDevice, type PfId } from '../../src/host/names.js';
import { mbps, vlanId } from '../../src/host/vf-settings.js';
import { discover } from '../../src/inventory/discover.js';
import { applyPlan } from '../../src/policy/apply.js';
import { planChanges, type PlanTarget } from '../../src/policy/plan.js';
import { labHost, netdevsim, removeNetdevsim, teardownNetdevsim } from './support.js';

export interface KernelApplyBench {
  kernel: string;
  host: 'lab-guest' | 'sim';
  pfs: number;
  vfsPerPf: number;
  /** VF settings changed per run (MAC, VLAN, rates per VF). */
  settings: number;
  /** Netlink requests sriovctl and the floor send per run: a MAC line and a VLAN+rate line per VF. */
  requests: number;
  runs: number;
  sriovctl: Sample;
  /** `ip -batch` of the same lines. */
  floor: Sample;
  /** `ip -batch` with one line per VF (all of its settings in one request). */
  floorOneLinePerVf: Sample;
  /** `ip -force -batch` of the same lines with a sentinel after each (sriovctl's former framing). */
  floorDenseFraming: Sample;
  ratioToFloor: number;
  ratioToOneLinePerVf: number;
  /** Median ms of each part of sriovctl's runs (discovery, plan, each step kind). */
  sriovctlParts: Record<string, number>;
  /** Seam calls of one more sriovctl run: count and total ms per Host method. */
  profile: Record<string, { calls: number; ms: number }>;
  /** VFs of one PF: sriovctl against a shell script running one `ip` per VF setting. */
  scripts: {
    pfs: number;
    vfs: number;
    processes: number;
    runs: number;
    sriovctl: Sample;
    scripts: Sample;
    /** scripts / sriovctl. */
    ratio: number;
  };
}

const IDS = [40, 41, 42, 43];
const VFS = 256;
const RUNS = 7;
const SCRIPT_RUNS = 3;
const SCRIPT_VFS = 64;
const out = process.argv[2];
if (!out) throw new Error('usage: apply.bench.js <result.json>');

interface Values {
  mac: string;
  vlan: number;
  minTxRate: number;
  maxTxRate: number;
}

/** Generation `g`'s values for VF `vf` of PF number `p`: every field differs from generation g-1. */
function values(g: number, p: number, vf: number): Values {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    mac: `02:${hex(g & 255)}:${hex(p)}:00:${hex(vf >> 8)}:${hex(vf & 255)}`,
    vlan: 1 + ((g * 7 + vf) % 4000),
    minTxRate: 10 + (g % 50),
    maxTxRate: 1000 + g * 10 + vf,
  };
}

/** Generation g's values for the first `vfs` VFs of every PF (the others are left alone). */
function layout(pfs: readonly PfId[], g: number, vfs = VFS): PlanTarget[] {
  return pfs.map((pf, p) => ({
    pciAddress: pf,
    numVfs: VFS,
    vfs: [...Array(vfs).keys()].map((vf) => {
      const v = values(g, p, vf);
      return {
        vfIndex: vf,
        driver: 'host' as const,
        settings: {
          mac: macAddress(v.mac),
          vlan: { vlan: vlanId(v.vlan), qos: 0, proto: '802.1Q' as const },
          minTxRate: mbps(v.minTxRate),
          maxTxRate: mbps(v.maxTxRate),
        },
      };
    }),
  }));
}

const rate = (v: Values) => `min_tx_rate ${v.minTxRate} max_tx_rate ${v.maxTxRate}`;
const vlan = (v: Values) => `vlan ${v.vlan} qos 0 proto 802.1Q`;

/** The lines sriovctl's executor sends for generation g: per PF, its MAC step, then its VLAN+rate step. */
function sameLines(ports: readonly string[], g: number): string[] {
  return ports.flatMap((port, p) => {
    const vfs = [...Array(VFS).keys()];
    return [
      ...vfs.map((vf) => `link set dev ${port} vf ${vf} mac ${values(g, p, vf).mac}`),
      ...vfs.map(
        (vf) => `link set dev ${port} vf ${vf} ${vlan(values(g, p, vf))} ${rate(values(g, p, vf))}`,
      ),
    ];
  });
}

function oneLinePerVf(ports: readonly string[], g: number): string[] {
  return ports.flatMap((port, p) =>
    [...Array(VFS).keys()].map((vf) => {
      const v = values(g, p, vf);
      return `link set dev ${port} vf ${vf} mac ${v.mac} ${vlan(v)} ${rate(v)}`;
    }),
  );
}

/** Runs a program (stdin `input` if given) and throws on a non-zero exit: no error is swallowed. */
function run(cmd: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim().slice(-500)}`)),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const ip = (args: string[], input?: string) => run('ip', args, input);

/** The same lines with a sentinel after each (sriovctl's former framing), every change checked. */
async function denseBatch(lines: readonly string[]): Promise<void> {
  const r = await runCommand(['ip', '-force', '-batch', '-'], {
    input: buildBatchScript(lines, 'dense'),
    missingHint: 'iproute2',
  });
  const results = parseBatchResults(r.stderr, lines.length);
  const bad = results?.findIndex((x) => !x.ok) ?? 0;
  if (!results || bad >= 0)
    throw new Error(`dense batch failed at ${bad}: ${r.stderr.slice(-300)}`);
}

/** What a provisioning script does: one `ip link set ... vf N <setting>` per setting, stop on error. */
function scriptLines(port: string, p: number, g: number): string[] {
  return [...Array(SCRIPT_VFS).keys()].flatMap((vf) => {
    const v = values(g, p, vf);
    const set = `ip link set dev ${port} vf ${vf}`;
    return [`${set} mac ${v.mac}`, `${set} ${vlan(v)}`, `${set} ${rate(v)}`];
  });
}

function shellScript(lines: readonly string[]): Promise<void> {
  return run('/bin/sh', ['-e', '-s'], lines.join('\n') + '\n');
}

/** Reads back every VF the kernel lists (below `vfs`) and checks it holds generation g's values. */
async function verify(
  host: Host,
  ports: readonly string[],
  g: number,
  side: string,
  vfs = VFS,
): Promise<number> {
  const dump = await host.linkDump();
  let checked = 0;
  for (const [p, port] of ports.entries()) {
    const link = dump.links.find((l) => l.ifname === port);
    if (!link?.vfs?.length) throw new Error(`${side}: ${port} lists no VFs`);
    for (const vf of link.vfs.filter((v) => v.vf < vfs)) {
      const want = values(g, p, vf.vf);
      const found = {
        mac: vf.mac,
        vlan: vf.vlan,
        minTxRate: vf.minTxRate,
        maxTxRate: vf.maxTxRate,
      };
      if (JSON.stringify(found) !== JSON.stringify(want))
        throw new Error(
          `${side} (generation ${g}): VF ${vf.vf} of ${port} holds ${JSON.stringify(found)}, wanted ${JSON.stringify(want)}`,
        );
      checked++;
    }
  }
  return checked;
}

/** Times `sides` in rounds (one warm-up first), rotating the order so none always runs first. */
async function interleave(
  sides: readonly { name: string; run: (g: number) => Promise<void> }[],
  rounds: number,
  verifyAfter: (g: number, side: string) => Promise<unknown>,
  warmup = true,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  for (let round = warmup ? -1 : 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + Math.max(round, 0)) % sides.length]!;
      const g = ++generation;
      const t0 = performance.now();
      await side.run(g);
      const ms = performance.now() - t0;
      await verifyAfter(g, side.name);
      if (round >= 0) times.get(side.name)!.push(ms);
      console.log(
        `${round < 0 ? 'warm-up' : `round ${round + 1}`} ${side.name}: ${ms.toFixed(0)} ms`,
      );
    }
  }
  return times;
}

let generation = 0;
const host = await labHost();
try {
  for (const id of IDS) {
    await removeNetdevsim(host, id);
    await netdevsim(host, id, VFS);
    await host.writeFile(`/sys/bus/netdevsim/devices/netdevsim${id}/sriov_numvfs`, String(VFS));
  }
  const pfs = IDS.map((id) => netdevsimDevice(`netdevsim${id}`));
  const inv = await discover(host);
  const ports = pfs.map((pf) => {
    const snap = inv.pfs.find((p) => p.pciAddress === pf);
    if (!snap?.netdev || snap.vfs.length !== VFS)
      throw new Error(
        `${pf}: expected a port with ${VFS} VFs, discovery found ${snap?.vfs.length ?? 'no PF'}`,
      );
    return snap.netdev;
  });

  const parts: Record<string, number[]> = {};
  /** sriovctl apply of generation g to `on` (PF numbers), recording its parts in `parts`. */
  const sriovctl =
    (on: readonly number[], record: boolean, vfs = VFS) =>
    async (g: number) => {
      const t0 = performance.now();
      const snapshot = await discover(host);
      const t1 = performance.now();
      const targets = layout(pfs, g, vfs).filter((_, p) => on.includes(p));
      const plan = planChanges(targets, snapshot);
      const t2 = performance.now();
      const r = await applyPlan(host, plan, { confirmedDisruptive: true });
      if (!r.ok)
        throw new Error(
          `sriovctl apply failed: ${r.outcomes.find((o) => o.status === 'failed')?.error?.message}`,
        );
      if (!record) return;
      const add = (k: string, ms: number) => (parts[k] ??= []).push(ms);
      add('discovery', t1 - t0);
      add('plan', t2 - t1);
      const byKind = new Map<string, number>();
      for (const o of r.outcomes)
        byKind.set(o.step.kind, (byKind.get(o.step.kind) ?? 0) + (o.ms ?? 0));
      for (const [k, ms] of byKind) add(`steps ${k}`, ms);
    };
  const all = ports.map((_, p) => p);

  // The headline: every PF, against the floor.
  const headline = await interleave(
    [
      { name: 'sriovctl', run: sriovctl(all, true) },
      { name: 'floor', run: (g) => ip(['-batch', '-'], sameLines(ports, g).join('\n') + '\n') },
      {
        name: 'floorOneLinePerVf',
        run: (g) => ip(['-batch', '-'], oneLinePerVf(ports, g).join('\n') + '\n'),
      },
      // The same lines framed as sriovctl framed them until this benchmark measured the cost (a
      // sentinel after every line, stderr read by node); sriovctl now frames a batch with two.
      { name: 'floorDenseFraming', run: (g) => denseBatch(sameLines(ports, g)) },
    ],
    RUNS,
    (g, side) => verify(host, ports, g, side),
  );
  // Warm-up parts are not figures (a step only the warm-up had, bringing a port up, is dropped).
  for (const k of Object.keys(parts)) {
    parts[k] = parts[k]!.slice(1);
    if (parts[k].length === 0) delete parts[k];
  }
  console.log(
    `sriovctl parts (median ms): ${Object.entries(parts)
      .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
      .join(', ')}`,
  );

  // Where sriovctl's time goes, seam call by seam call (one more run, not among the figures).
  const profile: Record<string, { calls: number; ms: number }> = {};
  const timed = new Proxy(host, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return (await (v as (...a: unknown[]) => unknown).apply(target, args)) as unknown;
        } finally {
          const e = (profile[String(prop)] ??= { calls: 0, ms: 0 });
          e.calls++;
          e.ms += performance.now() - t0;
        }
      };
    },
  });
  {
    const g = ++generation;
    const t0 = performance.now();
    const plan = planChanges(layout(pfs, g), await discover(timed));
    const r = await applyPlan(timed, plan, { confirmedDisruptive: true });
    if (!r.ok) throw new Error('the profiled apply failed');
    console.log(
      `profiled run ${(performance.now() - t0).toFixed(0)} ms: ${JSON.stringify(profile)}`,
    );
    await verify(host, ports, g, 'profiled sriovctl');
  }

  // Scripts: the first SCRIPT_VFS VFs of one PF (one ip process per setting, from one shell as a
  // script runs them; each costs a third of a second under emulation), no warm-up (the rounds
  // above warmed ip and node up), fewer rounds.
  const scripts = await interleave(
    [
      { name: 'sriovctl1', run: sriovctl([0], false, SCRIPT_VFS) },
      { name: 'scripts', run: (g) => shellScript(scriptLines(ports[0]!, 0, g)) },
    ],
    SCRIPT_RUNS,
    (g, side) => verify(host, ports.slice(0, 1), g, side, SCRIPT_VFS),
    false,
  );

  const sample = (times: Map<string, number[]>, name: string): Sample => {
    const runsMs = times.get(name)!;
    return { name, runsMs, medianMs: median(runsMs) };
  };
  const subject = sample(headline, 'sriovctl');
  const floor = sample(headline, 'floor');
  const floorOneLinePerVf = sample(headline, 'floorOneLinePerVf');
  const floorDenseFraming = sample(headline, 'floorDenseFraming');
  const onePf = sample(scripts, 'sriovctl1');
  const script = sample(scripts, 'scripts');
  const result: KernelApplyBench = {
    kernel: os.release(),
    host: process.env.SRIOVCTL_LAB_HOST === 'sim' ? 'sim' : 'lab-guest',
    pfs: pfs.length,
    vfsPerPf: VFS,
    settings: pfs.length * VFS * 3,
    requests: pfs.length * VFS * 2,
    runs: RUNS,
    sriovctl: subject,
    floor,
    floorOneLinePerVf,
    floorDenseFraming,
    ratioToFloor: subject.medianMs / floor.medianMs,
    ratioToOneLinePerVf: subject.medianMs / floorOneLinePerVf.medianMs,
    sriovctlParts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)])),
    profile,
    scripts: {
      pfs: 1,
      vfs: SCRIPT_VFS,
      processes: SCRIPT_VFS * 3,
      runs: SCRIPT_RUNS,
      sriovctl: onePf,
      scripts: script,
      ratio: script.medianMs / onePf.medianMs,
    },
  };
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const id of IDS) await teardownNetdevsim(host, id);
}
