// The provisioning commands end to end on the simulator: plan, apply (confirmation, exit codes,
// read-back), diff, invalid policies, and the serve daemon's structured log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { runCli } from './run-cli.js';
import { eventually } from '../../support/eventually.js';

const dir = mkdtempSync(join(tmpdir(), 'sriovctl-cli-'));
function policy(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const TENANT = policy(
  'tenant.yaml',
  `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenant-a }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 8
  mtu: 9000
  vfGroups:
    - { range: 0-3, driver: host, mac: auto, vlan: 100, maxTxRate: 10000 }
    - { range: 4-7, driver: vfio-pci, vlan: 200 }
`,
);

describe('plan / apply / diff', () => {
  it('plan lists the ordered steps with disruptive ones marked', async () => {
    const r = await runCli(['--sim', 'plan', '-f', TENANT]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/set MTU of ens1f1 to 9000\s+yes: most drivers reset the link/);
    expect(r.stdout).toMatch(/bind VFs 4-7 of ens1f1: vfio-pci/);
    const json = JSON.parse((await runCli(['--sim', 'plan', '-f', TENANT, '--json'])).stdout) as {
      steps: { kind: string }[];
    };
    expect(json.steps.map((s) => s.kind)).toEqual([
      'pfMtu',
      'numVfs',
      'waitVfs',
      'vfMacs',
      'vfDrivers',
      'vfSettings',
    ]);
  });

  it('apply refuses disruptive steps without --yes (exit 3) and applies and verifies with it', async () => {
    const refused = await runCli(['--sim', 'apply', '-f', TENANT]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('confirm with --yes');
    const done = await runCli(['--sim', 'apply', '-f', TENANT, '--yes']);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/\[6\/6\] done/);
    expect(done.stdout).toContain('Applied and verified: the host matches the policy.');
  });

  it('apply asks on a terminal and stops when told no', async () => {
    let asked = '';
    let out = '';
    const code = await main(['--sim', 'apply', '-f', TENANT], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: {},
      confirm: async (q) => {
        asked = q;
        return false;
      },
    });
    expect(asked).toBe('Apply 1 disruptive step(s)?');
    expect(code).toBe(3);
    expect(out).not.toContain('Applied');
  });

  it('diff exits 1 with the differences on a host that does not match', async () => {
    const r = await runCli(['--sim', 'diff', '-f', TENANT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Drift: 6 difference\(s\)/);
  });

  it('invalid policies exit 65 with file:line:col, field and fix', async () => {
    const bad = policy('bad.yaml', TENANT_WITH('vlan: 100', 'vlan: 5000'));
    const r = await runCli(['--sim', 'plan', '-f', bad]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      new RegExp(
        `${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:\\d+: spec\\.vfGroups\\[0\\]\\.vlan: 5000 is out of range`,
      ),
    );
  });
});

function TENANT_WITH(from: string, to: string): string {
  return `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenant-a }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 8
  mtu: 9000
  vfGroups:
    - range: 0-3
      ${from}
`.replace(from, to);
}

describe('serve', () => {
  it('logs structured JSON events for drift until stopped', async () => {
    const stop = new AbortController();
    let out = '';
    const running = main(['--sim', 'serve', '-f', TENANT, '--interval', '3600'], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: {},
      signal: stop.signal,
    });
    await eventually('a drift event in the log', () => out.includes('"event":"drift"'), {
      pollMs: 10,
    });
    stop.abort();
    expect(await running).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; level: number; steps?: unknown[] });
    // Health transitions are logged too (drift is one of the rules); their timing is the
    // evaluator's, so only the daemon's own lifecycle is checked in order here.
    const lifecycle = events.filter((e) => !e.event.startsWith('health.'));
    expect(lifecycle.map((e) => e.event)).toEqual(['reconcile', 'start', 'drift', 'ready', 'stop']);
    const drift = lifecycle[2]!;
    expect(drift).toMatchObject({ level: 40, trigger: 'start' });
    expect(drift.steps).toHaveLength(6);
  });
});
