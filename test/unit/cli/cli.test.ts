import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { runCli } from './run-cli.js';

const BANNER =
  'sriovctl: SIMULATED host (fixture dual-socket-e810-cx6) — no real hardware is touched';

function pfHeaders(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('PF '))
    .map((l) => l.split(/\s+/)[1]!);
}

describe('sriovctl inventory (simulated host)', () => {
  it('prints one block per PF, each followed by its VF table, with the banner on stderr', async () => {
    const r = await runCli(['--sim', 'inventory']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(BANNER);
    expect(r.stdout).not.toContain('SIMULATED');
    expect(pfHeaders(r.stdout)).toEqual([
      '0000:3b:00.0',
      '0000:3b:00.1',
      '0000:5e:00.0',
      '0000:5e:00.1',
      '0000:86:00.0',
      '0000:86:00.1',
    ]);
    const block = r.stdout.split('\n\n')[0]!.split('\n');
    expect(block[1]).toContain('driver ice');
    expect(block[1]).toContain('VFs 8/128');
    expect(block[2]).toMatch(/^ {2}VF +PCI +DRIVER/);
    expect(block).toHaveLength(3 + 8);
  });

  it('prints JSON equal to discover() on the same fixture', async () => {
    const r = await runCli(['--sim', 'dual-socket-e810-cx6', 'inventory', '--json']);
    expect(r.code).toBe(0);
    const fromCli = JSON.parse(r.stdout) as Inventory;
    const direct = JSON.parse(
      JSON.stringify(await discover(await loadSimHost('dual-socket-e810-cx6', { timing: 'off' }))),
    ) as Inventory;
    expect({ ...fromCli, takenAt: '' }).toEqual({ ...direct, takenAt: '' });
  });

  it('filters by --pf (address or netdev), --driver, --vendor and --numa', async () => {
    const pfs = async (...args: string[]) =>
      (
        JSON.parse((await runCli(['--sim', 'inventory', '--json', ...args])).stdout) as Inventory
      ).pfs.map((p) => p.pciAddress);
    expect(await pfs('--pf', 'ens2f0np0')).toEqual(['0000:5e:00.0']);
    expect(await pfs('--pf', '3b:00.1')).toEqual(['0000:3b:00.1']);
    expect(await pfs('--driver', 'mlx5_core')).toEqual(['0000:5e:00.0', '0000:5e:00.1']);
    expect(await pfs('--vendor', '8086', '--numa', '1')).toEqual(['0000:86:00.0', '0000:86:00.1']);
    const table = await runCli(['--sim', 'inventory', '--pf', 'ens2f0np0']);
    expect(pfHeaders(table.stdout)).toEqual(['0000:5e:00.0']);
  });

  it('shows VFs beyond the truncated netlink list as unreadable, never as unset', async () => {
    const r = await runCli(['--sim', 'e810-8x256', 'inventory', '--pf', 'ens1f0']);
    expect(r.code).toBe(0);
    const vf200 = r.stdout.split('\n').find((l) => /^ +200 /.test(l))!;
    expect(vf200).toMatch(/ens1f0v200 +\? +\? +\? +\? +\? +\?$/);
    expect(r.stdout).toContain('VFs 34-255: unreadable (netlink VF list truncated)');
    // Only the selected PF's discovery issue is repeated on stderr.
    expect(r.stderr.match(/truncated the VF list/g)).toHaveLength(1);
  });

  it('rejects a malformed --pf with one clear line, a hint and exit 64', async () => {
    const r = await runCli(['--sim', 'inventory', '--pf', '3b:00.9']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('sriovctl: --pf "3b:00.9" is not a valid PCI address\n');
    expect(r.stderr).toContain(
      'hint: give a PF as a PCI address (0000:3b:00.0 or 3b:00.0) or a netdev name (ens1f0)',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a --pf naming no PF with exit 64 and lists the PFs there are', async () => {
    const r = await runCli(['--sim', 'inventory', '--pf', 'ens9f0']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('sriovctl: --pf ens9f0: no SR-IOV PF with that netdev on this host');
    expect(r.stderr).toContain(
      'hint: PFs on this host: 0000:3b:00.0 (ens1f0), 0000:3b:00.1 (ens1f1),',
    );
  });
});

describe('sriovctl doctor (simulated host)', () => {
  it('exits 2 on the iommu-off fixture and prints the Intel kernel-parameter fix', async () => {
    const r = await runCli(['--sim', 'iommu-off', 'doctor']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      '[FAIL] IOMMU appears to be disabled in the kernel (no IOMMU groups)  iommu.enabled',
    );
    expect(r.stdout).toContain(
      'fix: Add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` (Debian/Ubuntu) ' +
        'or `grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.',
    );
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/\(worst: fail\)$/);
  });

  it('exits 1 when the worst finding is a warning (small-82599: the uplink carries the default route)', async () => {
    const r = await runCli(['--sim', 'small-82599', 'doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[WARN] enp4s0f0 carries the default route');
  });

  it('prints { worst, counts, results } with --json and keeps the exit code', async () => {
    const r = await runCli(['--sim', 'iommu-off', 'doctor', '--json']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as {
      worst: string;
      counts: Record<string, number>;
      results: { id: string }[];
    };
    expect(report.worst).toBe('fail');
    expect(report.counts['fail']).toBeGreaterThan(0);
    expect(report.results.map((x) => x.id)).toContain('iommu.enabled');
  });

  it('narrows to the host checks plus one PF with --pf', async () => {
    const r = await runCli(['--sim', 'doctor', '--pf', 'ens1f0', '--json']);
    const scopes = new Set(
      (JSON.parse(r.stdout) as { results: { scope: string }[] }).results.map((x) => x.scope),
    );
    expect([...scopes]).toEqual(['host', '0000:3b:00.0']);
  });
});

describe('sriovctl (entry and options)', () => {
  it('runs the overview on the simulated host with no arguments (npm start)', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(BANNER);
    expect(r.stdout).toContain('PF 0000:3b:00.0');
    expect(r.stdout).toMatch(/^Doctor: \d+ pass, \d+ info, \d+ warn, \d+ fail \(worst: \w+\)$/m);
    expect(r.stdout).toContain('sriovctl --sim iommu-off doctor');
  });

  it('takes the fixture from SRIOVCTL_SIM', async () => {
    const r = await runCli(['inventory'], { SRIOVCTL_SIM: 'small-82599' });
    expect(r.stderr).toContain('(fixture small-82599)');
    expect(pfHeaders(r.stdout)).toEqual(['0000:04:00.0', '0000:04:00.1']);
  });

  it('documents exit codes in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toMatch(/64 +usage error/);
    expect((await runCli(['doctor', '--help'])).stdout).toMatch(/2 +doctor: at least one failure/);
  });

  it('refuses an unknown command with exit 64, suggesting the one meant, even with --help', async () => {
    const typo = await runCli(['inventroy']);
    expect(typo.code).toBe(64);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain(
      "sriovctl: unknown command 'inventroy' (did you mean inventory?)",
    );
    const fleet = await runCli(['fleet', '--help']);
    expect(fleet.code).toBe(64);
    expect(fleet.stdout).toBe('');
    expect(fleet.stderr.split('\n')[0]).toBe("sriovctl: unknown command 'fleet'");
    const afterSim = await runCli(['--sim', 'small-82599', 'fleet']);
    expect(afterSim.code).toBe(64);
    expect(afterSim.stderr).toContain("unknown command 'fleet'");
    // No command is still the overview, with or without global options.
    const bare = await runCli(['--sim', 'small-82599']);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^sriovctl overview: edge-03 /);
    expect((await runCli(['--help'])).stdout).toMatch(/^Usage: sriovctl \[options\] \[command\]/);
  });

  it('top --help states each default once', async () => {
    const r = await runCli(['top', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(default rx)');
    expect(r.stdout).toContain('(default 2)');
    expect(r.stdout).not.toContain('(default: ');
  });

  it('maps unknown options, unknown fixtures and a missing --sysfs-root to exit 64', async () => {
    const unknown = await runCli(['inventory', '--bogus']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("sriovctl: unknown option '--bogus'");
    const fixture = await runCli(['--sim', 'no-such-host', 'inventory']);
    expect(fixture.code).toBe(64);
    expect(fixture.stderr).toContain('hint: shipped fixtures: dual-socket-e810-cx6');
    expect((await runCli(['--sysfs-root', '/nonexistent/sys', 'inventory'])).code).toBe(64);
  });

  it('reports a host error as one line plus hint with exit 70, and the stack only with --debug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-cli-'));
    const bad = join(dir, 'broken.yaml');
    writeFileSync(bad, 'name: broken\ndevices: [\n');
    const r = await runCli(['--sim', bad, 'inventory']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^sriovctl: .*broken\.yaml:\d+:\d+: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['--debug', '--sim', bad, 'inventory']);
    expect(debug.code).toBe(70);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('colours only on a TTY without NO_COLOR', async () => {
    const esc = new RegExp(String.fromCharCode(27) + '\\[');
    expect((await runCli(['--sim', 'doctor'], {}, true)).stdout).toMatch(esc);
    expect((await runCli(['--sim', 'doctor'], { NO_COLOR: '1' }, true)).stdout).not.toMatch(esc);
    expect((await runCli(['--sim', 'doctor'], {}, false)).stdout).not.toMatch(esc);
  });

  it('sets the process exit code when run as a program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-bin-'));
    const entry = join(dir, 'entry.mjs');
    const main = resolve('src/cli/main.ts');
    writeFileSync(
      entry,
      `import { runFromProcess } from ${JSON.stringify(main)};\nawait runFromProcess();\n`,
    );
    const p = spawnSync(
      process.execPath,
      ['--import', 'tsx', entry, '--sim', 'iommu-off', 'doctor', '--json'],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(p.status).toBe(2);
    expect(JSON.parse(p.stdout)).toHaveProperty('worst', 'fail');
  });
});
