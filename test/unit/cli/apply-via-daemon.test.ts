// `sriovctl apply` through a running daemon (real HTTP, the daemon on a simulated host): the
// daemon's plan with the attachments each step touches, confirmation, progress from the event
// stream, the exit codes of a direct apply, host errors located in the files sent, and a daemon
// that cannot be reached or refuses the token.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { combinePolicies, locateInFiles } from '../../../src/cli/daemon-apply.js';
import { discover } from '../../../src/inventory/discover.js';
import { openConsoleFixture, type ConsoleFixture } from '../api-console/console-fixture.js';
import { runCli } from './run-cli.js';
import { farPolicy, GROW, SHRINK } from '../../support/policy-texts.js';

let f: ConsoleFixture;
const file = (name: string, text: string) => {
  const p = join(f.dir, name);
  writeFileSync(p, text);
  return p;
};
const numVfs = async (netdev: string) =>
  (await discover(f.host)).pfs.find((p) => p.netdev === netdev)!.numVfs;
const viaDaemon = (args: string[], token = f.tokens.admin) =>
  runCli(['apply', ...args, '--api', f.url, '--token', token]);

beforeEach(async () => {
  f = await openConsoleFixture();
});
afterEach(async () => {
  await f.close();
});

describe('sriovctl apply through the daemon', () => {
  it('applies with progress from the event stream, verifies, and leaves the audit entry', async () => {
    const r = await viaDaemon(['-f', file('grow.yaml', GROW)]);
    expect(r.stderr).toContain(`applying through the sriovctl daemon at ${f.url}`);
    expect(r.stdout).toMatch(/set VFs of ens1f1: 0 → 4/);
    expect(r.stderr).toMatch(/\[1\/3\] set VFs of ens1f1: 0 → 4 \.\.\./);
    expect(r.stderr).toMatch(/\[\d+\/\d+\] done \(\d+ ms\)/);
    expect(r.stdout).toContain('Applied and verified: the host matches the policy.');
    expect(r.code).toBe(0);
    // The daemon's host changed, not a host of the CLI's own.
    expect(await numVfs('ens1f1')).toBe(4);
    const audit = await f.daemon.ledger.store.listAudit({ action: 'policy.apply', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'admin', after: { ok: true } });
  });

  it('shows whom a disruptive step touches, refuses without --yes, and reconciles with it', async () => {
    await f.arrangeTenants();
    const a = await f.attach('team-a', 'pa', 'vm-a');
    await f.attach('team-b', 'pb', 'vm-b');
    const p = file('shrink.yaml', SHRINK);
    const refused = await viaDaemon(['-f', p, '--force']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/destroys VFs 0-7/);
    expect(refused.stdout).toMatch(
      /step 1 \(recreate VFs of ens1f0: 8 → 0 → 4\) touches 2 attachments: team-a\/vm:vm-a \(VF \d of ens1f0\), team-b\/vm:vm-b/,
    );
    expect(refused.stderr).toContain('confirm with --yes');
    expect(await numVfs('ens1f0')).toBe(8);
    // VFs bound to vfio-pci look in use: without --force the daemon's plan is a refusal.
    const noForce = await viaDaemon(['-f', p, '--yes']);
    expect(noForce.code).toBe(3);
    expect(noForce.stdout).toMatch(/refused: .*\(override: --force\)/);

    const done = await viaDaemon(['-f', p, '--force', '--yes']);
    expect(done.stderr).toMatch(/reconciled: 1 re-applied, 1 orphaned, 0 failed/);
    expect(done.code).toBe(0);
    expect(await numVfs('ens1f0')).toBe(4);
    expect((await f.daemon.ledger.store.getAttachment(a.id))?.state).toBe('attached');
  });

  it('--dry-run shows the plan and changes nothing; --json answers the plan and the result', async () => {
    const p = file('grow.yaml', GROW);
    const dry = await viaDaemon(['-f', p, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/set VFs of ens1f1: 0 → 4/);
    expect(await numVfs('ens1f1')).toBe(0);
    const json = await viaDaemon(['-f', p, '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as {
      applied: boolean;
      plan: { steps: unknown[] };
      result: { ok: boolean; remaining: number };
    };
    expect(body.applied).toBe(true);
    expect(body.plan.steps.length).toBeGreaterThan(0);
    expect(body.result).toMatchObject({ ok: true, remaining: 0 });
    // Only the line that says which path apply took: the JSON is on stdout alone.
    expect(json.stderr).toBe(`applying through the sriovctl daemon at ${f.url}\n`);
  });

  it('--dry-run of a refused plan exits 3, as the apply would', async () => {
    await f.arrangeTenants();
    await f.attach('team-a', 'pa', 'vm-a');
    const dry = await viaDaemon(['-f', file('shrink.yaml', SHRINK), '--dry-run']);
    expect(dry.stdout).toMatch(/refused: .*is held by attachment .*\(override: --force\)/);
    expect(dry.code).toBe(3);
  });

  it('says what it could not verify on VFs the kernel does not report, with exit 4', async () => {
    await f.close();
    f = await openConsoleFixture({ fixture: 'e810-8x256' });
    const far = farPolicy('{ range: 200-201, vlan: 100 }');
    const r = await viaDaemon(['-f', file('far.yaml', far)]);
    expect(r.stdout).not.toContain('Applied and verified');
    expect(r.stdout).toContain(
      "Applied; 2 settings on VFs 200-201 of ens1f0 could not be verified: the kernel's netlink VF list does not include those VFs.",
    );
    expect(r.code).toBe(4);
  });

  it('locates what the host refuses in the file that asked for it (exit 65)', async () => {
    const first = file('grow.yaml', GROW);
    const second = file(
      'too-many.yaml',
      GROW.replace('name: grow', 'name: cx')
        .replace('[ens1f1]', '[ens2f0np0]')
        .replace('numVfs: 4', 'numVfs: 40')
        .replace('range: 0-3', 'range: 0-39'),
    );
    const r = await viaDaemon(['-f', first, second]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${second}:6:3`);
    expect(r.stderr).not.toContain('text:');
    expect(await numVfs('ens1f1')).toBe(0);
  });

  it('names an unreachable daemon (69) and a refused token (77), and changes nothing', async () => {
    const p = file('grow.yaml', GROW);
    const gone = await runCli(['apply', '-f', p, '--api', 'http://127.0.0.1:9']);
    expect(gone.code).toBe(69);
    expect(gone.stderr).toContain('cannot reach the sriovctl daemon at http://127.0.0.1:9');
    expect(gone.stderr).toContain('--direct applies from this process instead');
    const bad = await viaDaemon(['-f', p], 'sriovctl_not-a-real-token');
    expect(bad.code).toBe(77);
    const viewer = await viaDaemon(['-f', p, '--yes'], f.tokens.viewer);
    expect(viewer.code).toBe(77);
    expect(await numVfs('ens1f1')).toBe(0);
    const both = await runCli(['apply', '-f', p, '--api', f.url, '--direct']);
    expect(both.code).toBe(64);
  });
});

describe('combining policy files for the daemon', () => {
  it('joins files as YAML documents and maps positions back to each file', () => {
    const c = combinePolicies([
      { file: 'a.yaml', text: 'a: 1\nb: 2\n' },
      { file: 'b.json', text: '{"c": 3,\n "d": 4}' },
      { file: 'c.yaml', text: 'e: 5\n' },
    ]);
    expect(c.text).toBe('a: 1\nb: 2\n---\n{"c": 3,\n "d": 4}\n---\ne: 5\n');
    expect(locateInFiles('text:2:4 spec.x: bad', c)).toBe('a.yaml:2:4 spec.x: bad');
    expect(locateInFiles('text:5:2 and text:7:1', c)).toBe('b.json:2:2 and c.yaml:1:1');
    // The separator lines belong to no file.
    expect(locateInFiles('text:3:1', c)).toBe('text:3:1');
  });
});
