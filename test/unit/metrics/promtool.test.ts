// The exposition checked by Prometheus's own linter (`promtool check metrics`, Debian package
// `prometheus`), on a host with traffic, attachments, health findings and daemon activity.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorld, traffic, type World } from './support.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function promtool(input: string): { code: number; problems: string[] } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input, encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `promtool is needed for this test and could not be run (${r.error.message}): install the Debian package "prometheus" (apt-get install prometheus; .ci/run does)`,
    );
  const problems = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { code: r.status ?? -1, problems };
}

/**
 * The one deliberate deviation: the sriov_vf_* families keep the Kubernetes exporter's `pciAddr`
 * label so its dashboards and joins work unchanged; promtool's style lint wants snake_case.
 * Everything else must be clean.
 */
const COMPAT = /^sriov_vf_\w+ label names should be written in 'snake_case' not 'camelCase'$/;

function expectValid(text: string): void {
  const { code, problems } = promtool(text);
  const other = problems.filter((p) => !COMPAT.test(p));
  expect(other).toEqual([]);
  // Exit 1 would be a parse error; 3 is "lint problems", here only the compat label.
  expect(code === 0 || (code === 3 && problems.length > 0)).toBe(true);
  expect(problems.some((p) => p.startsWith('sriovctl_'))).toBe(false);
}

describe('promtool check metrics', () => {
  it('accepts the exposition of a busy host (traffic, tenants, findings, daemon metrics)', async () => {
    w = await openWorld({ health: {} });
    const world = w;
    await world.attach({ tenant: 'team-a', minTxRate: 1000 });
    await world.attach({ tenant: 'team-b', consumer: 'default/web-0', vlan: 7 });
    world.host.setTraffic('ens1f0', 0, traffic({ rxBytesPerSec: 1e9, rxDroppedPerSec: 5000 }));
    await world.tick();
    await world.tick();
    world.host.setCarrier('ens2f0np0', false);
    world.advance(1000);
    await world.obs.health!.evaluate();
    await world.allocation.reconcile();
    world.obs.onDrift({ type: 'in-sync', at: new Date().toISOString(), trigger: 'start' });
    world.obs.exporter.daemon.recordRequest('GET', '/api/v1/attachments/:id', 404, 0.002);
    const text = await world.scrape();
    expect(text).toContain('sriovctl_health_finding{');
    expectValid(text);
  });

  it('accepts the exposition of 2048 VFs with truncated VF lists', async () => {
    w = await openWorld({ fixture: 'e810-8x256', health: false });
    const text = await w.scrape();
    expect(text.split('\n').filter((l) => l.startsWith('sriov_vf_info{'))).toHaveLength(2048);
    expectValid(text);
  });

  it('accepts the process metrics the daemon adds', async () => {
    const { MetricsExporter } = await import('../../../src/metrics/exposition.js');
    w = await openWorld({ health: false });
    const e = new MetricsExporter({
      sampler: w.sampler,
      inventory: w.allocation.inventory,
      ledgerView: w.obs.ledgerView,
      placement: w.allocation.placementConfig,
    });
    const text = await e.scrapeText();
    e.close();
    expect(text).toContain('process_resident_memory_bytes ');
    expect(text).not.toContain('nodejs_active_handles_total');
    expectValid(text);
  });

  it('rejects what it should: the check is not a rubber stamp', () => {
    const { problems } = promtool('# TYPE x_seconds counter\nx_seconds 1\n');
    expect(problems.join('\n')).toMatch(/x_seconds/);
  });
});
