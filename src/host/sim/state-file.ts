/**
 * Where a shipped fixture's simulated machine is kept between commands:
 * `$XDG_STATE_HOME/sriovctl/sim/<fixture>.state` (XDG_STATE_HOME defaulting to ~/.local/state), so
 * `sriovctl --sim apply` then `sriovctl --sim inventory` see one machine. Resetting deletes it.
 */
// Creates and deletes files on the simulated machine's disk (a declared seam, as persist.ts).
import { mkdirSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UnsafeInputError } from '../errors.js';
import { listFixtures } from './fixture-loader.js';
import { lockState } from './state-lock.js';

/** A shipped fixture's name: the only thing that becomes part of a kept state's path. */
const FIXTURE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The directory kept simulated hosts live in, or null when the environment names no home. */
export function simStateDir(env: Readonly<Record<string, string | undefined>>): string | null {
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env['XDG_STATE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'sriovctl', 'sim');
  const home = env['HOME'];
  if (home !== undefined && isAbsolute(home))
    return join(home, '.local', 'state', 'sriovctl', 'sim');
  return null;
}

/**
 * The kept state file of shipped fixture `fixture` under `dir`.
 * @throws UnsafeInputError for anything but a shipped fixture's name
 */
export function simStateFile(dir: string, fixture: string): string {
  if (!FIXTURE_NAME.test(fixture) || !listFixtures().includes(fixture))
    throw new UnsafeInputError(
      'fixture',
      fixture,
      `a shipped fixture's name (${listFixtures().join(', ')})`,
    );
  return join(dir, `${fixture}.state`);
}

/** Creates the directory of kept states (owner only: it is this user's simulated machines). */
export function ensureSimStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Forgets a kept simulated machine, so the next command boots the fixture afresh. Returns whether
 * there was one.
 * @throws SimStateBusyError while a live process (a daemon) uses it
 */
export function resetSimState(stateFile: string): boolean {
  const lock = lockState(stateFile, 'sriovctl fixtures reset');
  try {
    unlinkSync(stateFile);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  } finally {
    lock.release();
  }
}
