// The executor running a plan: consecutive VF-settings steps of several PFs go to the kernel as one
// `ip -batch` with one read-back dump, while each step keeps its own outcome, VF results and
// progress events, and a failure names its step and VF.
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, type ProgressEvent } from '../../../src/executor/run-plan.js';
import type { Host } from '../../../src/host/host.js';
import { ifName, macAddress, pciAddress } from '../../../src/host/names.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { mbps, vlanId } from '../../../src/host/vf-settings.js';
import { discover } from '../../../src/inventory/discover.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';

const hosts: SimHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

async function boot(): Promise<SimHost> {
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  hosts.push(h);
  return h;
}

/** The host with every seam call counted by method name. */
function counted(host: SimHost): { host: Host; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(host, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { host: proxy, calls };
}

/** VFs 0 and 1 of ens1f0 (ice, 8 VFs) and ens2f0np0 (mlx5, 4 VFs): MAC, VLAN and a rate each. */
function targets(vfMtu?: number): PlanTarget[] {
  const on = (pf: string, numVfs: number, p: number): PlanTarget => ({
    pciAddress: pciAddress(pf),
    numVfs,
    vfs: [0, 1].map((vf) => ({
      vfIndex: vf,
      driver: 'host' as const,
      settings: {
        mac: macAddress(`02:00:00:00:0${p}:0${vf}`),
        vlan: { vlan: vlanId(100 + vf), qos: 0, proto: '802.1Q' as const },
        maxTxRate: mbps(1000),
      },
      ...(vfMtu !== undefined && p === 1 ? { mtu: vfMtu } : {}),
    })),
  });
  return [on('0000:3b:00.0', 8, 0), on('0000:5e:00.0', 4, 1)];
}

const progressOf = (events: ProgressEvent[]) => events.map((e) => `${e.type} ${e.index}`);

describe('runSteps', () => {
  it('sends consecutive VF steps of two PFs in one batch with one read-back, each step reported', async () => {
    const sim = await boot();
    const plan = planChanges(targets(), await discover(sim));
    expect(plan.steps.map((s) => `${s.kind} ${s.netdev}`)).toEqual([
      'vfMacs ens1f0',
      'vfSettings ens1f0',
      'vfMacs ens2f0np0',
      'vfSettings ens2f0np0',
    ]);
    const { host, calls } = counted(sim);
    const events: ProgressEvent[] = [];
    const r = await runSteps(host, plan.steps, { progress: (e) => events.push(e) });

    expect(r.ok).toBe(true);
    expect(calls.linkApply).toBe(1);
    expect(calls.linkDump).toBe(1);
    expect(sim.journal.filter((j) => j.op === 'netlink')).toHaveLength(8);
    expect(
      r.outcomes.map((o) => [o.status, o.vfResults?.map((v) => [v.vf, v.readBack?.state])]),
    ).toEqual(
      plan.steps.map(() => [
        'done',
        [
          [0, 'verified'],
          [1, 'verified'],
        ],
      ]),
    );
    expect(progressOf(events)).toEqual([
      'start 0',
      'done 0',
      'start 1',
      'done 1',
      'start 2',
      'done 2',
      'start 3',
      'done 3',
    ]);
    expect(planChanges(targets(), await discover(sim)).steps).toEqual([]);
  });

  it('a refused VF fails its own step, naming it and the VF; the steps sent with it are done, later ones skipped', async () => {
    const sim = await boot();
    const plan = planChanges(targets(1400), await discover(sim));
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'vfMacs',
      'vfSettings',
      'vfMacs',
      'vfSettings',
      'vfMtu',
    ]);
    // VF 1 of ens1f0: its MAC line goes first, then its VLAN and rate line, which the driver refuses.
    sim.faults.add({ op: 'netlink', target: 'ens1f0 vf 1', nth: 2, errno: 'EINVAL' });
    const events: ProgressEvent[] = [];
    const r = await runSteps(sim, plan.steps, { progress: (e) => events.push(e) });

    expect(r.ok).toBe(false);
    expect(r.outcomes.map((o) => o.status)).toEqual(['done', 'failed', 'done', 'done', 'skipped']);
    const failed = r.outcomes[1]!;
    expect(failed.error!.message).toMatch(
      /^apply VF settings to VFs 0-1 of ens1f0: 1 VF\(s\) not applied; first: set vlan, maxTxRate on VF 1 of ens1f0: Invalid argument \(EINVAL\)/,
    );
    expect(failed.vfResults!.map((v) => [v.vf, v.ok])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(progressOf(events)).toEqual([
      'start 0',
      'done 0',
      'start 1',
      'failed 1',
      'start 2',
      'done 2',
      'start 3',
      'done 3',
    ]);
    // What the batch applied stays applied; a re-plan is left with the refused VF only.
    const again = planChanges(targets(1400), await discover(sim));
    expect(again.steps.map((s) => [s.kind, s.netdev, s.vfs])).toEqual([
      ['vfSettings', 'ens1f0', [1]],
      ['vfMtu', 'ens2f0np0', [0, 1]],
    ]);
    const dump = await sim.linkDump({ ifname: ifName('ens2f0np0') });
    expect(dump.links[0]!.vfs![1]).toMatchObject({ mac: '02:00:00:00:01:01', vlan: 101 });
  });
});
