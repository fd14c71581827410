/** Errors raised at the host seam: kernel answers (errno), refused input, and iproute2 failures. */

/** Kernel errno names sriovctl meets at the SR-IOV boundary, with their Linux numbers. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOTEMPTY: 39,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EMSGSIZE: 90,
  ETIMEDOUT: 110,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** strerror(3) texts, as the kernel's answers reach user space. */
export const STRERROR: Record<ErrnoName, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENOTEMPTY: 'Directory not empty',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  ENOSYS: 'Function not implemented',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EMSGSIZE: 'Message too long',
  ETIMEDOUT: 'Connection timed out',
};

const BY_MESSAGE = new Map<string, ErrnoName>(
  (Object.entries(STRERROR) as [ErrnoName, string][]).map(([k, v]) => [v, k]),
);

/** Maps a strerror text (as printed by iproute2 "RTNETLINK answers: ...") back to its errno name. */
export function errnoFromMessage(message: string): ErrnoName | undefined {
  return BY_MESSAGE.get(message.trim());
}

export function isErrnoName(v: unknown): v is ErrnoName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(ERRNO, v);
}

/** Base of every error sriovctl shows a user: a code plus data, never only preformatted text. */
export class SriovctlError extends Error {
  override name = 'SriovctlError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The kernel refused an operation: the errno, the path or object, and what was attempted. */
export class KernelError extends SriovctlError {
  override name = 'KernelError';
  constructor(
    readonly errno: ErrnoName,
    readonly op: 'read' | 'write' | 'readlink' | 'readdir' | 'netlink' | 'devlink' | 'ethtool',
    readonly target: string,
    readonly detail?: string,
    hint?: string,
  ) {
    super(`${op} ${target}: ${STRERROR[errno]} (${errno})${detail ? `: ${detail}` : ''}`, hint);
  }
}

/** Input that must never reach a sysfs path or an iproute2 batch line. */
export class UnsafeInputError extends SriovctlError {
  override name = 'UnsafeInputError';
  constructor(
    readonly field: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`refusing ${field} ${JSON.stringify(value)}: expected ${expected}`);
  }
}

/** A helper program (ip, devlink, ethtool) was missing, failed, or answered with something unparsable. */
export class HostCommandError extends SriovctlError {
  override name = 'HostCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    message?: string,
    hint?: string,
  ) {
    super(
      message ?? `${argv.join(' ')} exited ${exitCode ?? 'abnormally'}: ${stderr.trim()}`,
      hint,
    );
  }
}

/**
 * An operation (a write, a command, or a wait for the kernel to finish something) that did not end
 * within its deadline; the kernel state is unknown until read back.
 */
export class HostTimeoutError extends SriovctlError {
  override name = 'HostTimeoutError';
  constructor(
    /** What was being done: `write /sys/...`, `ip -batch`, `VF netdevs of 0000:3b:00.0`. */
    readonly target: string,
    readonly timeoutMs: number,
    /**
     * Settles (never rejects) when the abandoned work finally ends: it is not cancelled, so a
     * kernel write may still land until then. Absent when nothing is left running (a wait).
     */
    readonly settled?: Promise<void>,
  ) {
    super(
      `${target}: no answer within ${timeoutMs} ms`,
      'the driver may still be working (VF creation and removal can take seconds); read the state back before retrying',
    );
  }
}

/** A sysfs tree or fixture that does not look like what Linux produces. */
export class MalformedHostError extends SriovctlError {
  override name = 'MalformedHostError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${path}: expected ${expected}, found ${found}`);
  }
}
