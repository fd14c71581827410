/** Turns Node fs errors into the seam's KernelError, keeping the errno the kernel gave. */
import { ERRNO, isErrnoName, KernelError, SriovctlError, type ErrnoName } from '../errors.js';

const BY_NUMBER = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, n]) => [n, name]),
);

// libuv names errno 95 ENOTSUP; on Linux it is the same number as EOPNOTSUPP, which is what the
// kernel sources and the rest of sriovctl call it.
const ALIASES: Readonly<Record<string, ErrnoName>> = {
  ENOTSUP: 'EOPNOTSUPP',
  EWOULDBLOCK: 'EAGAIN',
};

/** The errno name of a Node system error, if it is one the seam knows. */
export function errnoOf(err: unknown): ErrnoName | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (typeof code === 'string') {
    if (isErrnoName(code)) return code;
    const alias = ALIASES[code];
    if (alias) return alias;
  }
  // Node reports errno as a negative libuv number, which on Linux is -errno.
  if (typeof errno === 'number') return BY_NUMBER.get(Math.abs(errno));
  return undefined;
}

/**
 * Wraps a failed fs call on `path` (the seam path, not the mapped one) as a KernelError. Codes outside
 * the seam's errno table (ELOOP, ENAMETOOLONG...) become a plain SriovctlError that still names them.
 */
export function fsError(err: unknown, op: KernelError['op'], path: string): Error {
  const errno = errnoOf(err);
  if (errno) return new KernelError(errno, op, path);
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const what = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new SriovctlError(`${op} ${path}: ${what}`, undefined, { cause: err });
}
