/**
 * The only places sriovctl writes outside /sys: its own configuration and state files. Shared by
 * both host implementations so the real and the simulated host refuse exactly the same paths.
 */
import { UnsafeInputError } from './errors.js';
import { safeAbsPath } from './names.js';

/** Directories whose whole subtree belongs to sriovctl. */
export const CONFIG_TREES: readonly string[] = ['/etc/sriovctl', '/var/lib/sriovctl'];

/** systemd's admin unit directory: only entries named `sriovctl*` (units and their drop-in dirs). */
export const UNIT_DIR = '/etc/systemd/system';

/**
 * The kernel modules the installed policies need at boot, read by systemd-modules-load.service.
 * Exactly this one file in /etc/modules-load.d: the directory's other files are the operator's.
 */
export const MODULES_LOAD_FILE = '/etc/modules-load.d/sriovctl.conf';

/** Single files outside the trees that belong to sriovctl. */
const SINGLE_FILES: readonly string[] = [MODULES_LOAD_FILE];

// Conservative names: no spaces, quotes or globs, so a path is safe in any message or unit file.
const COMPONENT = /^[A-Za-z0-9@_+-][A-Za-z0-9@._+-]*$/;

const EXPECTED = `a file under /etc/sriovctl/ or /var/lib/sriovctl/, /etc/systemd/system/sriovctl* or ${MODULES_LOAD_FILE} (names of letters, digits and @._+-)`;

/**
 * Validates a path for writeConfigFile (`write`) or removeConfigFile (`remove`) and returns it
 * normalised. Only removal may name /etc/sriovctl or /var/lib/sriovctl themselves (uninstall --purge).
 * @throws UnsafeInputError for anything outside the allowlist, `.`/`..` components or odd characters.
 */
export function configFilePath(path: string, access: 'write' | 'remove' = 'write'): string {
  const clean = safeAbsPath(path);
  if (access === 'remove' && CONFIG_TREES.includes(clean)) return clean;
  if (SINGLE_FILES.includes(clean)) return clean;
  const inTree = CONFIG_TREES.some((t) => clean.startsWith(t + '/'));
  const inUnits =
    clean.startsWith(UNIT_DIR + '/') && clean.slice(UNIT_DIR.length + 1).startsWith('sriovctl');
  if (!inTree && !inUnits) throw new UnsafeInputError('config path', path, EXPECTED);
  const base = inTree ? CONFIG_TREES.find((t) => clean.startsWith(t + '/'))! : UNIT_DIR;
  const rest = clean.slice(base.length + 1).split('/');
  if (!rest.every((c) => COMPONENT.test(c))) {
    throw new UnsafeInputError('config path', path, EXPECTED);
  }
  return clean;
}
