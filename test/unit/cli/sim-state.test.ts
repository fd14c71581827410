/**
 * The simulated host is kept between CLI commands (one journal per fixture under
 * $XDG_STATE_HOME/sriovctl/sim), reset by `fixtures reset`, skipped by --sim-fresh, and owned by
 * one process at a time.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Inventory } from '../../../src/inventory/types.js';
import { runCli } from './run-cli.js';

const POLICY = resolve('examples/policies/e810-dpdk-split.yaml');
const FILE = 'sriovctl/sim/dual-socket-e810-cx6.state';

let state: string;
let env: Record<string, string>;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'sim-state-'));
  env = { XDG_STATE_HOME: state };
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

async function vfCount(extraArgs: string[] = [], e = env): Promise<number> {
  const r = await runCli(['--sim', ...extraArgs, 'inventory', '--json'], e);
  expect(r.code, r.stderr).toBe(0);
  const inv = JSON.parse(r.stdout) as Inventory;
  return inv.pfs.find((p) => p.netdev === 'ens1f0')!.numVfs;
}

describe('the simulated host kept between commands', () => {
  it('apply in one command, inventory and diff in the next see the change', async () => {
    expect(await vfCount()).toBe(8);
    const apply = await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(existsSync(join(state, FILE))).toBe(true);
    expect(await vfCount()).toBe(16);
    const diff = await runCli(['--sim', 'diff', '-f', POLICY], env);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/No drift/);
    expect(diff.stderr).toContain(`its state is kept in ${join(state, FILE)}`);
  });

  it('HOME/.local/state is the default when XDG_STATE_HOME is not set', async () => {
    const home = { HOME: state };
    expect((await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], home)).code).toBe(0);
    expect(existsSync(join(state, '.local/state', FILE))).toBe(true);
    expect(await vfCount([], home)).toBe(16);
  });

  it('fixtures reset forgets it; --sim-fresh neither reads nor keeps it', async () => {
    expect((await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], env)).code).toBe(0);
    expect(await vfCount(['--sim-fresh'])).toBe(8);
    expect(await vfCount()).toBe(16);
    const reset = await runCli(['fixtures', 'reset'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/reset dual-socket-e810-cx6: forgot/);
    expect(existsSync(join(state, FILE))).toBe(false);
    expect(await vfCount()).toBe(8);

    // --sim-fresh keeps nothing either.
    expect((await runCli(['--sim', '--sim-fresh', 'apply', '-f', POLICY, '--yes'], env)).code).toBe(
      0,
    );
    expect(await vfCount()).toBe(8);
  });

  it('an explicit --sim-state FILE wins over the kept state', async () => {
    const file = join(state, 'mine.state');
    expect(
      (await runCli(['--sim', '--sim-state', file, 'apply', '-f', POLICY, '--yes'], env)).code,
    ).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(await vfCount()).toBe(8);
    expect(await vfCount(['--sim-state', file])).toBe(16);
    const both = await runCli(['--sim', '--sim-state', file, '--sim-fresh', 'inventory'], env);
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(/--sim-state and --sim-fresh exclude each other/);
  });

  it('refuses a hostile fixture name for reset, and a reset while another process holds the host', async () => {
    const bad = await runCli(['fixtures', 'reset', '../../etc/passwd'], env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/unknown simulator fixture "..\/..\/etc\/passwd"/);

    expect(await vfCount()).toBe(8);
    // The parent of this test process stands in for a daemon: alive, and not this process.
    const file = join(state, FILE);
    writeFileSync(`${file}.lock`, `${process.ppid} sriovctl serve\n`);
    try {
      const reset = await runCli(['fixtures', 'reset'], env);
      expect(reset.code).toBe(70);
      expect(reset.stderr).toContain(
        `the simulated host kept in ${file} is in use by process ${process.ppid} (sriovctl serve)`,
      );
      expect(existsSync(file)).toBe(true);
      // Commands that only read see a snapshot; a change is refused with the same words.
      const inv = await runCli(['--sim', 'inventory'], env);
      expect(inv.code).toBe(0);
      expect(inv.stderr).toContain(
        `read-only: process ${process.ppid} (sriovctl serve) is using this simulated host`,
      );
      const apply = await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], env);
      expect(apply.code).not.toBe(0);
      expect(apply.stdout + apply.stderr).toContain(
        `in use by process ${process.ppid} (sriovctl serve)`,
      );
    } finally {
      rmSync(`${file}.lock`, { force: true });
    }
    // Once the holder is gone, changes go through again.
    expect((await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], env)).code).toBe(0);
    expect(await vfCount()).toBe(16);
  });

  it('takes over a lock left by a process that is gone', async () => {
    expect(await vfCount()).toBe(8);
    const file = join(state, FILE);
    // No process has pid 2^22 + 1 (above the kernel's pid_max limit).
    writeFileSync(`${file}.lock`, `4194305 sriovctl serve\n`);
    const apply = await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(await vfCount()).toBe(16);
  });

  it('with neither HOME nor XDG_STATE_HOME, a fresh host each time', async () => {
    expect((await runCli(['--sim', 'apply', '-f', POLICY, '--yes'], {})).code).toBe(0);
    expect(await vfCount([], {})).toBe(8);
  });
});
