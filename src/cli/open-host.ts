/**
 * Host selection: the only place in the CLI that picks a Host implementation. `--sim [fixture]`
 * (or SRIOVCTL_SIM) gives the simulated kernel, `--sysfs-root <dir>` a LinuxHost reading that tree,
 * and otherwise the real machine.
 *
 * A shipped fixture's simulated machine is kept between commands (a journal under
 * $XDG_STATE_HOME/sriovctl/sim/, see src/host/sim/state-file.ts), so apply then inventory see one
 * machine; `--sim-state FILE` keeps it elsewhere, `--sim-fresh` boots the fixture afresh and keeps
 * nothing.
 */
import { resolve } from 'node:path';
import type { Host } from '../host/host.js';
import { createLinuxHost, localFiles } from '../host/linux/index.js';
import { sriovPfAddresses } from '../host/sriov-pfs.js';
import {
  DEFAULT_FIXTURE,
  ensureSimStateDir,
  listFixtures,
  loadSimHost,
  openPersistentSimHost,
  simStateDir,
  simStateFile,
} from '../host/sim/index.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';

export { DEFAULT_FIXTURE };

/** Where a simulated machine's state lives: kept by default, in a file the user named, or nowhere. */
export type SimState =
  | { kind: 'kept'; file: string; dir: string }
  | { kind: 'file'; file: string }
  | { kind: 'fresh'; why: 'asked' | 'no-home' | 'fixture-file' };

export interface SimSelection {
  kind: 'sim';
  fixture: string;
  state: SimState;
  /** Nothing asked for a host: this machine if it has SR-IOV PFs, else this simulated one. */
  unlessMachineHasPfs?: true;
}

export type HostSelection = SimSelection | { kind: 'linux'; sysfsRoot?: string };

export interface HostFlags {
  /** `--sim` alone is `true`; `--sim NAME` is the name; `--sim=` (see main) is ''. */
  sim?: string | boolean;
  sysfsRoot?: string;
  /** `--sim-state FILE`: keep the simulated machine in this file. */
  simState?: string;
  /** `--sim-fresh`: a throwaway simulated machine, nothing read or kept. */
  simFresh?: boolean;
}

/** Where the simulated machine of `fixture` lives, by the flags and the environment. */
function simStateOf(fixture: string, flags: HostFlags, env: CliIo['env']): SimState {
  if (flags.simState !== undefined && flags.simFresh === true)
    throw new UsageError('--sim-state and --sim-fresh exclude each other', 'pick one');
  if (flags.simState !== undefined) {
    if (flags.simState === '')
      throw new UsageError('--sim-state "": expected a file', 'e.g. --sim-state ./lab.state');
    return { kind: 'file', file: resolve(flags.simState) };
  }
  if (flags.simFresh === true) return { kind: 'fresh', why: 'asked' };
  if (!listFixtures().includes(fixture)) return { kind: 'fresh', why: 'fixture-file' };
  const dir = simStateDir(env);
  if (dir === null) return { kind: 'fresh', why: 'no-home' };
  return { kind: 'kept', file: simStateFile(dir, fixture), dir };
}

function sim(fixture: string, flags: HostFlags, env: CliIo['env']): SimSelection {
  const isName = /^[a-z0-9][a-z0-9-]*$/.test(fixture);
  if (isName && !listFixtures().includes(fixture)) {
    throw new UsageError(
      `unknown simulator fixture ${JSON.stringify(fixture)}`,
      `shipped fixtures: ${listFixtures().join(', ')} (or give a path to a fixture YAML file)`,
    );
  }
  return { kind: 'sim', fixture, state: simStateOf(fixture, flags, env) };
}

/**
 * Decides which host a command runs on. Flags beat the environment; `fallback` is what to use when
 * nothing was asked for (the real host for commands, the simulator for the bare overview).
 */
export function selectHost(
  flags: HostFlags,
  env: CliIo['env'],
  fallback: 'linux' | 'sim',
): HostSelection {
  if (flags.sim !== undefined && flags.sim !== false && flags.sysfsRoot !== undefined) {
    throw new UsageError(
      '--sim and --sysfs-root are mutually exclusive',
      'pick one host: the simulator or a sysfs tree',
    );
  }
  if (flags.sim !== undefined && flags.sim !== false) {
    return sim(
      typeof flags.sim === 'string' && flags.sim !== '' ? flags.sim : DEFAULT_FIXTURE,
      flags,
      env,
    );
  }
  const fromEnv = env['SRIOVCTL_SIM'];
  const envSim = fromEnv !== undefined && fromEnv !== '' && fromEnv !== '0';
  if (
    (flags.simState !== undefined || flags.simFresh === true) &&
    (flags.sysfsRoot !== undefined || (!envSim && fallback === 'linux'))
  )
    throw new UsageError(
      `${flags.simState !== undefined ? '--sim-state' : '--sim-fresh'} needs the simulator`,
      'add --sim [fixture] (or set SRIOVCTL_SIM)',
    );
  if (flags.sysfsRoot !== undefined) return { kind: 'linux', sysfsRoot: flags.sysfsRoot };
  if (envSim) {
    // SRIOVCTL_SIM=1 means "the default fixture"; any other value names one.
    return sim(fromEnv === '1' || fromEnv === 'true' ? DEFAULT_FIXTURE : fromEnv, flags, env);
  }
  if (fallback === 'linux') return { kind: 'linux' };
  return { ...sim(DEFAULT_FIXTURE, flags, env), unlessMachineHasPfs: true as const };
}

export interface OpenOptions {
  /**
   * What to do when another process (a daemon) holds the kept simulated machine: 'read-only'
   * opens a snapshot that refuses changes (commands), 'refuse' fails (the daemon).
   */
  ifBusy?: 'read-only' | 'refuse';
  /** Names this process to another one that finds the machine busy. */
  command?: string;
  /** Journal traffic changes (default true); the daemon's demo traffic is not the machine's state. */
  recordTraffic?: boolean;
  /** This machine, for the default host's choice (tests give a Linux host over a temp tree). */
  machine?: Host;
}

export interface OpenedHost {
  host: Host;
  /** Printed to stderr before any output, so nobody mistakes simulated devices for real ones. */
  banner?: string;
}

/** Opens the selected host. Read-only commands use it; nothing here writes to the machine. */
export async function openHost(sel: HostSelection, opts: OpenOptions = {}): Promise<OpenedHost> {
  if (sel.kind === 'linux') {
    if (sel.sysfsRoot !== undefined && !isDirectory(sel.sysfsRoot)) {
      throw new UsageError(
        `--sysfs-root ${sel.sysfsRoot}: no such directory`,
        'give the directory sysfs is mounted on (or a copy of it), e.g. --sysfs-root /sys',
      );
    }
    return {
      host: createLinuxHost(sel.sysfsRoot === undefined ? {} : { sysfsRoot: sel.sysfsRoot }),
    };
  }
  let note = '';
  if (sel.unlessMachineHasPfs) {
    const machine = opts.machine ?? createLinuxHost();
    if ((await sriovPfAddresses(machine)).length > 0) return { host: machine };
    note = `\nsriovctl: no SR-IOV PFs on this machine; showing the simulated host ${sel.fixture} (use --sim [fixture] to choose one, sriovctl fixtures to list them)`;
  }
  const head = `sriovctl: SIMULATED host (fixture ${sel.fixture}) — no real hardware is touched${note}`;
  const { state } = sel;
  // Timing is off: the simulated delays model real drivers' waits, which nobody needs to sit through.
  if (state.kind === 'fresh') {
    // One line, as before hosts were kept: a fresh host is what every scripted run has always had.
    return { host: await loadSimHost(sel.fixture, { timing: 'off' }), banner: head };
  }
  if (state.kind === 'kept') ensureSimStateDir(state.dir);
  const host = await openPersistentSimHost(sel.fixture, state.file, {
    timing: 'off',
    lock: opts.ifBusy ?? 'read-only',
    command: opts.command ?? 'sriovctl',
    recordTraffic: opts.recordTraffic ?? true,
  });
  const reset =
    state.kind === 'kept' ? `sriovctl fixtures reset ${sel.fixture}` : `delete ${state.file}`;
  const busy = host.readOnlyBecause;
  const second = busy
    ? `sriovctl: read-only: process ${busy.holder.pid} (${busy.holder.command}) is using this simulated host; changes are refused until it stops`
    : `sriovctl: its state is kept in ${state.file} (start afresh: ${reset}; one command only: --sim-fresh)`;
  return { host, banner: `${head}\n${second}` };
}

function isDirectory(path: string): boolean {
  try {
    return localFiles.stat(path).isDirectory;
  } catch {
    return false;
  }
}

/** The shipped simulator fixtures, for `sriovctl fixtures`. */
export function simFixtures(): string[] {
  return listFixtures();
}
