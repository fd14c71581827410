/**
 * Maps seam paths (absolute, as on the machine) to real paths under the configured roots, and decides
 * which paths may be read or written at all.
 */
import nodePath from 'node:path';
import { UnsafeInputError } from '../errors.js';
import { safeAbsPath } from '../names.js';

/**
 * Trees the seam may read: kernel interfaces, device nodes, config, runtime state, module data
 * (the modules and which of them load at boot) and PCI-ID data.
 */
export const READABLE_PREFIXES: readonly string[] = [
  '/sys',
  '/proc',
  '/dev',
  '/etc',
  '/run',
  '/var/lib/sriovctl',
  '/lib/modules',
  '/usr/lib/modules',
  '/lib/modules-load.d',
  '/usr/lib/modules-load.d',
  '/usr/local/lib/modules-load.d',
  '/usr/share/misc',
  '/usr/share/hwdata',
];

/** The only tree the seam writes: every change sriovctl makes to files is a sysfs attribute store. */
export const WRITABLE_PREFIXES: readonly string[] = ['/sys'];

export type Access = 'read' | 'write';

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

export interface PathRoots {
  /** Where `/sys` lives (a fake tree in tests). */
  sysfsRoot: string;
  /** Where every other allowed path lives. */
  rootDir: string;
}

/**
 * Validates a seam path for `access` and returns the real path to open.
 * @throws UnsafeInputError for relative paths, `.`/`..` components, control characters, or a path
 *   outside the allowlist for that access.
 */
export function mapSeamPath(roots: PathRoots, path: string, access: Access): string {
  const clean = safeAbsPath(path);
  const allowed = access === 'write' ? WRITABLE_PREFIXES : READABLE_PREFIXES;
  if (!allowed.some((p) => under(clean, p))) {
    throw new UnsafeInputError('path', path, `a path under ${allowed.join(', ')} (${access})`);
  }
  if (under(clean, '/sys')) return nodePath.join(roots.sysfsRoot, clean.slice('/sys'.length));
  return nodePath.join(roots.rootDir, clean);
}
