// The provisioning commands end to end on the simulator: plan, apply (confirmation, exit codes,
// read-back), diff, invalid policies, and the serve daemon's structured log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { farPolicy } from '../../support/policy-texts.js';
import { aliasBomb } from '../../support/yaml-bomb.js';
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

  it('an alias bomb exits 65 with the alias located and the limit named', async () => {
    const bomb = policy('bomb.yaml', aliasBomb());
    const r = await runCli(['--sim', 'plan', '-f', bomb]);
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n').slice(1).join('\n')).toBe(
      `${bomb}:4:15: too many aliases: expanding *a2 here goes over the limit of 100 alias expansions (nested aliases multiply) — write the values out or use fewer levels of aliases\n`,
    );
  });
});

/** A policy file over ens1f0 of e810-8x256, whose VFs past 33 `ip link` does not report. */
function farFile(name: string, group: string): string {
  return policy(name, farPolicy(group));
}

describe('plan / apply / diff on VFs the kernel does not report (256 VFs)', () => {
  const FAR = farFile('far.yaml', '{ range: 200-201, vlan: 100 }');

  it('diff calls them "cannot be verified" with exit 4, never a difference', async () => {
    const r = await runCli(['--sim', 'e810-8x256', 'diff', '-f', FAR]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe(
      "No drift in what the kernel reports.\nCannot be verified: 2 settings on VFs 200-201 of ens1f0 (the kernel's netlink VF list does not include those VFs).\n",
    );
    const json = JSON.parse(
      (await runCli(['--sim', 'e810-8x256', 'diff', '-f', FAR, '--json'])).stdout,
    ) as { drift: boolean; verdict: string; unverified: unknown[] };
    expect(json).toMatchObject({
      drift: false,
      verdict: 'unverified',
      unverified: [{ pf: '0000:17:00.0', name: 'ens1f0', vfs: [200, 201], settings: 2 }],
      readBack: {
        pfs: [{ name: 'ens1f0', result: 'verified', fields: [] }],
        vfs: [200, 201].map((vfIndex) => ({
          name: 'ens1f0',
          vfIndex,
          result: 'unreadable',
          fields: ['vlan'],
          why: 'vf-list-truncated',
        })),
      },
    });
  });

  it('apply says it could not verify them, with exit 4, not "applied and verified"', async () => {
    const r = await runCli(['--sim', 'e810-8x256', 'apply', '-f', FAR]);
    expect(r.code).toBe(4);
    expect(r.stdout).not.toContain('verified: the host matches');
    expect(r.stdout).toContain(
      "Applied; 2 settings on VFs 200-201 of ens1f0 could not be verified: the kernel's netlink VF list does not include those VFs.",
    );
  });

  it('apply sets a MAC and a maximum rate alone there without failing halfway', async () => {
    const r = await runCli([
      '--sim',
      'e810-8x256',
      'apply',
      '-f',
      farFile('far-rate.yaml', '{ range: 200, mac: auto, maxTxRate: 1000 }'),
    ]);
    expect(r.stderr).not.toContain('failed');
    expect(r.stderr).toMatch(/\[2\/2\] done/);
    expect(r.code).toBe(4);
  });

  it('plan refuses a minimum rate alone there before anything runs (exit 65, located)', async () => {
    const f = farFile('far-min.yaml', '{ range: 200, minTxRate: 10 }');
    const r = await runCli(['--sim', 'e810-8x256', 'plan', '-f', f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      `${f}:8:21: spec.vfGroups[0].minTxRate: cannot be set alone on VF 200 of ens1f0 (0000:17:00.0): the kernel sets minTxRate only together with maxTxRate, and it does not report this VF's current maxTxRate (it is past its netlink VF list) — give maxTxRate too (0 = no limit)`,
    );
  });
});

describe('plan refusals', () => {
  const UPLINK = policy(
    'uplink.yaml',
    `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: uplink }
spec:
  selector: { pfNames: [enp4s0f0] }
  numVfs: 4
  mtu: 9000
`,
  );

  it('plan and apply --dry-run exit 3 when the plan is refused, as apply does', async () => {
    const plan = await runCli(['--sim', 'small-82599', 'plan', '-f', UPLINK]);
    expect(plan.stdout).toContain('refused: enp4s0f0 carries the default route');
    expect(plan.code).toBe(3);
    const dry = await runCli(['--sim', 'small-82599', 'apply', '--dry-run', '-f', UPLINK]);
    expect(dry.code).toBe(3);
    // Applying says what refused it and the flag that lifts it, in the command line's words.
    const apply = await runCli(['--sim', 'small-82599', 'apply', '--yes', '-f', UPLINK]);
    expect(apply.code).toBe(3);
    expect(apply.stderr).toContain(
      'refused: refusing to apply: enp4s0f0 carries the default route',
    );
    expect(apply.stderr).toContain(
      'hint: once you are sure, apply again with --allow-default-route',
    );
    const allowed = await runCli([
      '--sim',
      'small-82599',
      'plan',
      '--allow-default-route',
      '-f',
      UPLINK,
    ]);
    expect(allowed.code).toBe(0);
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
