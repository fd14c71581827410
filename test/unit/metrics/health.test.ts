import { afterEach, describe, expect, it } from 'vitest';
import { ifName, pciAddress } from '../../../src/host/names.js';
import { vlanId } from '../../../src/host/vf-settings.js';
import { discover } from '../../../src/inventory/discover.js';
import type { DaemonEvent } from '../../../src/metrics/events.js';
import {
  healthConfig,
  healthFor,
  type HealthReport,
  type HealthTransition,
} from '../../../src/metrics/health.js';
import { applyPlan } from '../../../src/policy/apply.js';
import { ApplyPolicy } from '../../../src/policy/apply-policy.js';
import { DriftWatcher } from '../../../src/policy/drift.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';
import { openWorld, samples, traffic, value, type World } from './support.js';

let w: World;
afterEach(async () => {
  await w?.close();
});

const health = (x: World) => x.obs.health!;
const findings = (r: HealthReport, rule: string) => r.findings.filter((f) => f.rule === rule);
const changes = (events: DaemonEvent[]) =>
  events
    .filter((e) => e.kind === 'health.changed')
    .map((e) => e.data as unknown as HealthTransition);

describe('health: link down', () => {
  it('fails the PF and the attached VFs following it when the cable is pulled, and recovers', async () => {
    w = await openWorld();
    const a = await w.attach({ tenant: 'team-b' });
    const before = await health(w).evaluate();
    expect(before.status).toBe('ok');
    const mark = w.bus.since(0).length;

    w.host.setCarrier('ens1f0', false);
    w.advance(5000);
    const down = await health(w).evaluate();
    expect(down.status).toBe('fail');
    const [pf] = findings(down, 'pf-link-down');
    expect(pf).toMatchObject({ subject: 'ens1f0', status: 'fail', tenant: null });
    expect(pf!.evidence[0]).toContain('carrier down');
    const [vf] = findings(down, 'vf-link-down');
    expect(vf).toMatchObject({
      subject: `ens1f0#${a.vfIndex}`,
      status: 'fail',
      tenant: 'team-b',
      vf: a.vfIndex,
    });
    expect(vf!.message).toContain('follows ens1f0');
    // Free VFs on the same PF are nobody's problem: only the attached one is a finding.
    expect(findings(down, 'vf-link-down')).toHaveLength(1);
    const since = pf!.since;

    // Transitions go on the bus, the VF's one to its tenant.
    const published = changes(w.bus.since(0).slice(mark));
    expect(published.map((t) => [t.rule, t.status, t.previous, t.tenant])).toEqual([
      ['pf-link-down', 'fail', 'ok', null],
      ['vf-link-down', 'fail', 'ok', 'team-b'],
    ]);
    expect(w.bus.since(0).find((e) => e.data['rule'] === 'vf-link-down')!.tenant).toBe('team-b');

    // Still down later: same finding, same since, nothing new published.
    w.advance(5000);
    const still = await health(w).evaluate();
    expect(findings(still, 'pf-link-down')[0]!.since).toBe(since);
    expect(changes(w.bus.since(0).slice(mark))).toHaveLength(2);

    w.host.setCarrier('ens1f0', true);
    w.advance(5000);
    const up = await health(w).evaluate();
    expect(up.status).toBe('ok');
    const all = changes(w.bus.since(0).slice(mark));
    expect(all.slice(2).map((t) => [t.rule, t.status, t.previous])).toEqual([
      ['pf-link-down', 'ok', 'fail'],
      ['vf-link-down', 'ok', 'fail'],
    ]);
    expect(up.rules.find((r) => r.rule === 'pf-link-down')!.since).toBe(up.at);
  });

  it('fails a VF forced down behind its attachment’s back (link-state disable out of band)', async () => {
    w = await openWorld();
    const a = await w.attach({});
    w.host.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: a.vfIndex, linkState: 'disable' }]);
    const r = await health(w).evaluate();
    const [f] = findings(r, 'vf-link-down');
    expect(f!.message).toContain('forced down (link-state disable)');
    expect(f!.fix).toContain(`vf ${a.vfIndex} state auto`);
  });
});

describe('health: drop rates', () => {
  it('warns and then fails on a drop burst, by the configured thresholds, and clears when it stops', async () => {
    w = await openWorld({ health: { vfDrops: { warnPerSecond: 50, failPerSecond: 500 } } });
    const a = await w.attach({ tenant: 'team-a', consumer: 'vm-drops' });
    await w.tick();
    w.host.setTraffic(
      'ens1f0',
      a.vfIndex,
      traffic({ rxPacketsPerSec: 10_000, rxDroppedPerSec: 100, txDroppedPerSec: 20 }),
    );
    await w.tick(2000);
    let r = await health(w).evaluate();
    let [f] = findings(r, 'vf-drops');
    expect(f).toMatchObject({ subject: `ens1f0#${a.vfIndex}`, status: 'warn', tenant: 'team-a' });
    expect(f!.message).toContain('drops 120 packets/s');
    expect(f!.message).toContain('vm vm-drops');
    expect(f!.evidence[0]).toContain('rx 100 dropped/s, tx 20 dropped/s');

    w.host.setTraffic('ens1f0', a.vfIndex, traffic({ rxDroppedPerSec: 5000 }));
    await w.tick(2000);
    r = await health(w).evaluate();
    [f] = findings(r, 'vf-drops');
    expect(f!.status).toBe('fail');

    // A free VF dropping is reported too (a tenant-less finding).
    w.host.setTraffic('ens1f0', a.vfIndex, null);
    w.host.setTraffic('ens1f0', 7, traffic({ txDroppedPerSec: 60 }));
    await w.tick(2000);
    r = await health(w).evaluate();
    expect(findings(r, 'vf-drops').map((x) => [x.subject, x.status, x.tenant])).toEqual([
      ['ens1f0#7', 'warn', null],
    ]);
  });

  it('is silent below the thresholds and when switched off', async () => {
    w = await openWorld({ health: { vfDrops: { enabled: false } } });
    w.host.setTraffic('ens1f0', 1, traffic({ rxDroppedPerSec: 1_000_000 }));
    await w.tick();
    await w.tick();
    const r = await health(w).evaluate();
    expect(findings(r, 'vf-drops')).toEqual([]);
    expect(r.rules.find((x) => x.rule === 'vf-drops')!.enabled).toBe(false);
  });
});

describe('health: drift', () => {
  it('follows the drift watcher: drift warns, a failed repair fails, in-sync clears', async () => {
    w = await openWorld();
    const at = new Date().toISOString();
    w.obs.onDrift({
      type: 'drift',
      at,
      trigger: 'link-event',
      steps: [
        { pf: 'ens1f0', what: 'set VF 3 vlan 100', why: 'VF 3 has vlan 7' },
        { pf: 'ens1f0', what: 'set VF 4 trust off', why: 'VF 4 has trust on' },
      ],
    });
    let r = await health(w).evaluate();
    let [f] = findings(r, 'drift');
    expect(f).toMatchObject({ subject: 'ens1f0', status: 'warn' });
    expect(f!.evidence).toEqual([
      'set VF 3 vlan 100 (VF 3 has vlan 7)',
      'set VF 4 trust off (VF 4 has trust on)',
    ]);
    w.obs.onDrift({
      type: 'repair-failed',
      at,
      error: 'RTNETLINK answers: Device or resource busy',
    });
    r = await health(w).evaluate();
    [f] = findings(r, 'drift');
    expect(f!.status).toBe('fail');
    expect(f!.evidence.at(-1)).toContain('repair failed: RTNETLINK');
    w.obs.onDrift({ type: 'in-sync', at, trigger: 'interval' });
    r = await health(w).evaluate();
    expect(findings(r, 'drift')).toEqual([]);
  });

  it('sees real drift found by a DriftWatcher on the simulated host', async () => {
    w = await openWorld();
    const target: PlanTarget = {
      pciAddress: pciAddress('0000:3b:00.1'),
      numVfs: 4,
      vfs: [0, 1, 2, 3].map((i) => ({
        vfIndex: i,
        driver: 'host' as const,
        settings: { vlan: { vlan: vlanId(300 + i), qos: 0, proto: '802.1Q' as const } },
      })),
    };
    const applied = await applyPlan(w.host, planChanges([target], await discover(w.host)), {
      confirmedDisruptive: true,
    });
    expect(applied.ok).toBe(true);
    const watcher = new DriftWatcher(new ApplyPolicy({ host: w.host }), () => [target], {
      intervalMs: 3_600_000,
      onEvent: (e) => w.obs.onDrift(e),
    });
    await watcher.trigger('manual');
    expect(findings(await health(w).evaluate(), 'drift')).toEqual([]);
    w.host.outOfBand([
      { kind: 'vf', pf: ifName('ens1f1'), vf: 2, vlan: { vlan: 7, qos: 0, proto: '802.1Q' } },
    ]);
    await watcher.trigger('manual');
    const [f] = findings(await health(w).evaluate(), 'drift');
    expect(f).toMatchObject({ subject: 'ens1f1', status: 'warn' });
    expect(f!.evidence.join('\n')).toMatch(/VFs 2 of ens1f1 .*vlan differs/);
    await watcher.stop();
  });
});

describe('health: firmware, QoS, doctor', () => {
  it('warns about same-model PFs on different firmware', async () => {
    w = await openWorld({ fixture: 'mixed-firmware' });
    const r = await health(w).evaluate();
    const f = findings(r, 'firmware-mismatch');
    expect(f.length).toBeGreaterThanOrEqual(2);
    expect(f.every((x) => x.status === 'warn')).toBe(true);
    expect(f[0]!.evidence.join('\n')).toMatch(/4\.20.*\n.*4\.01|4\.01.*\n.*4\.20/s);
  });

  it('fails a PF whose guaranteed rates exceed what its link admits (a rate set out of band)', async () => {
    w = await openWorld({ oversubscription: 0.5 });
    await w.attach({ minTxRate: 30_000 });
    expect(findings(await health(w).evaluate(), 'qos-oversubscribed')).toEqual([]);
    // Someone else guarantees 30 Gbit/s more on the same 100G port (cap 50G at 0.5).
    w.host.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: 6, rate: { minTxRate: 30_000 } }]);
    w.advance(1000);
    const [f] = findings(await health(w).evaluate(), 'qos-oversubscribed');
    expect(f).toMatchObject({ subject: 'ens1f0', status: 'fail' });
    expect(f!.message).toContain('guarantees 60000 Mbit/s but admits 50000 Mbit/s');
    expect(f!.evidence[1]).toContain('VF 6 30000 Mbit/s');
  });

  it("reports the doctor's failures (not its warnings unless asked), without the checks it has rules for", async () => {
    w = await openWorld({ fixture: 'iommu-off' });
    const r = await health(w).evaluate();
    const f = findings(r, 'doctor');
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.status === 'fail')).toBe(true);
    expect(f.map((x) => x.subject)).toContain('host:iommu.enabled');
    expect(f.some((x) => x.subject.endsWith(':pf.link'))).toBe(false);
    await w.close();
    w = await openWorld({ fixture: 'iommu-off', health: { doctor: { includeWarnings: true } } });
    const withWarnings = findings(await health(w).evaluate(), 'doctor');
    expect(withWarnings.length).toBeGreaterThan(f.length);
    expect(withWarnings.some((x) => x.status === 'warn')).toBe(true);
  });
});

describe('health: configuration, scoping, metrics', () => {
  it('validates its configuration: defaults, unknown keys, inconsistent thresholds', () => {
    const d = healthConfig.parse({});
    expect(d.vfDrops).toEqual({ enabled: true, warnPerSecond: 10, failPerSecond: 1000 });
    expect(d.pfLinkDown.severity).toBe('fail');
    expect(healthConfig.safeParse({ vfDrop: {} }).success).toBe(false);
    expect(
      healthConfig.safeParse({ vfDrops: { warnPerSecond: 10, failPerSecond: 5 } }).success,
    ).toBe(false);
    expect(healthConfig.safeParse({ drift: { severity: 'critical' } }).success).toBe(false);
  });

  it('shows a tenant only the findings about its own VFs', async () => {
    w = await openWorld();
    const mine = await w.attach({ tenant: 'team-a' });
    await w.attach({ tenant: 'team-b' });
    w.host.setCarrier('ens1f0', false);
    const r = await health(w).evaluate();
    const a = healthFor(r, 'team-a');
    expect(a.findings.map((f) => f.subject)).toEqual([`ens1f0#${mine.vfIndex}`]);
    expect(a.rules.find((x) => x.rule === 'pf-link-down')!.status).toBe('ok');
    expect(a.rules.find((x) => x.rule === 'vf-link-down')).toMatchObject({
      status: 'fail',
      findings: 1,
    });
    expect(healthFor(r, 'team-c').status).toBe('ok');
    expect(healthFor(r, null)).toBe(r);
  });

  it('exports rule statuses, findings and transitions as metrics', async () => {
    w = await openWorld();
    w.host.setCarrier('ens1f0', false);
    await health(w).evaluate();
    const text = await w.scrape();
    expect(value(text, 'sriovctl_health_status', { rule: 'pf-link-down' })).toBe(2);
    expect(value(text, 'sriovctl_health_status', { rule: 'vf-drops' })).toBe(0);
    expect(value(text, 'sriovctl_health_findings', { rule: 'pf-link-down', status: 'fail' })).toBe(
      1,
    );
    expect(samples(text, 'sriovctl_health_finding')).toEqual([
      'sriovctl_health_finding{rule="pf-link-down",subject="ens1f0",status="fail",tenant=""} 1',
    ]);
    expect(
      value(text, 'sriovctl_health_transitions_total', { rule: 'pf-link-down', status: 'fail' }),
    ).toBe(1);
  });
});
