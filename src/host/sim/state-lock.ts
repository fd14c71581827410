/**
 * Who owns a simulated machine's state file. Two processes appending to one journal would interleave
 * their calls and neither would see the other's kernel, so one process at a time holds
 * `<state>.lock` (its pid and command); others open a read-only snapshot or are refused. A lock
 * whose process is gone (killed, crashed) is stale and taken over.
 */
// The lock file sits next to the state file, on the simulated machine's disk (a declared seam).
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { SriovctlError } from '../errors.js';

/** The state file is held by another live process. */
export class SimStateBusyError extends SriovctlError {
  override name = 'SimStateBusyError';
  constructor(
    readonly stateFile: string,
    readonly holder: { pid: number; command: string },
  ) {
    super(
      `the simulated host kept in ${stateFile} is in use by process ${holder.pid} (${holder.command})`,
      'stop that process, or use --sim-fresh for a throwaway simulated host (commands that only read still work meanwhile)',
    );
  }
}

export interface StateLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of `stateFile`'s lock, or null when it is free or stale. */
export function stateHolder(stateFile: string): { pid: number; command: string } | null {
  let text: string;
  try {
    text = readFileSync(`${stateFile}.lock`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = /^(\d+)\s*(.*)$/s.exec(text.trim());
  const pid = m ? Number(m[1]) : NaN;
  // A lock cut short (killed while writing it) is as good as stale. So is this process's own: CLI
  // commands end without closing their host, and a test runs many in one process.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return null;
  return { pid, command: m![2]!.trim() || 'unknown command' };
}

/**
 * Takes the lock on `stateFile` for this process, taking over a stale one.
 * @throws SimStateBusyError when another live process holds it
 */
export function lockState(stateFile: string, command: string): StateLock {
  const path = `${stateFile}.lock`;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
      const holder = stateHolder(stateFile);
      if (holder) throw new SimStateBusyError(stateFile, holder);
      try {
        unlinkSync(path);
      } catch (u) {
        if ((u as NodeJS.ErrnoException).code !== 'ENOENT') throw u;
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid} ${command.replace(/\s+/g, ' ').slice(0, 200)}\n`);
    } finally {
      closeSync(fd);
    }
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    };
    // A command that ends without closing its host still leaves no lock behind.
    process.once('exit', release);
    return { release };
  }
}
