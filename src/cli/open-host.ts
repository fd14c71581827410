/**
 * Host selection: the only place in the CLI that picks a Host implementation. `--sim [fixture]`
 * (or SRIOVCTL_SIM) gives the simulated kernel, `--sysfs-root <dir>` a LinuxHost reading that tree,
 * and otherwise the real machine.
 */
import type { Host } from '../host/host.js';
import { createLinuxHost, localFiles } from '../host/linux/index.js';
import {
  DEFAULT_FIXTURE,
  listFixtures,
  loadSimHost,
  openPersistentSimHost,
} from '../host/sim/index.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';

export { DEFAULT_FIXTURE };

export type HostSelection =
  { kind: 'sim'; fixture: string; stateFile?: string } | { kind: 'linux'; sysfsRoot?: string };

export interface HostFlags {
  /** `--sim` alone is `true`; `--sim NAME` is the name; `--sim=` (see main) is ''. */
  sim?: string | boolean;
  sysfsRoot?: string;
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
    return {
      kind: 'sim',
      fixture: typeof flags.sim === 'string' && flags.sim !== '' ? flags.sim : DEFAULT_FIXTURE,
    };
  }
  if (flags.sysfsRoot !== undefined) return { kind: 'linux', sysfsRoot: flags.sysfsRoot };
  const fromEnv = env['SRIOVCTL_SIM'];
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== '0') {
    // SRIOVCTL_SIM=1 means "the default fixture"; any other value names one.
    return {
      kind: 'sim',
      fixture: fromEnv === '1' || fromEnv === 'true' ? DEFAULT_FIXTURE : fromEnv,
    };
  }
  return fallback === 'sim' ? { kind: 'sim', fixture: DEFAULT_FIXTURE } : { kind: 'linux' };
}

export interface OpenedHost {
  host: Host;
  /** Printed to stderr before any output, so nobody mistakes simulated devices for real ones. */
  banner?: string;
}

/** Opens the selected host. Read-only commands use it; nothing here writes to the machine. */
export async function openHost(sel: HostSelection): Promise<OpenedHost> {
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
  const isName = /^[a-z0-9][a-z0-9-]*$/.test(sel.fixture);
  if (isName && !listFixtures().includes(sel.fixture)) {
    throw new UsageError(
      `unknown simulator fixture ${JSON.stringify(sel.fixture)}`,
      `shipped fixtures: ${listFixtures().join(', ')} (or give a path to a fixture YAML file)`,
    );
  }
  // Timing is off: these commands only read, and the simulated delays model writes (VF creation).
  const host =
    sel.stateFile !== undefined
      ? await openPersistentSimHost(sel.fixture, sel.stateFile, { timing: 'off' })
      : await loadSimHost(sel.fixture, { timing: 'off' });
  return {
    host,
    banner: `sriovctl: SIMULATED host (fixture ${sel.fixture}${sel.stateFile !== undefined ? `, state in ${sel.stateFile}` : ''}) — no real hardware is touched`,
  };
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
