/**
 * Exit codes. Doctor's follow its worst status so scripts can gate on them; the rest follow
 * sysexits(3): 64 for a command line the user must change, 70 for everything else that went wrong.
 */
import { SriovctlError } from '../host/errors.js';
import type { CheckStatus } from '../doctor/types.js';

export const EXIT = {
  ok: 0,
  warn: 1,
  fail: 2,
  usage: 64,
  software: 70,
} as const;

/** Exit code for a doctor run: 0 pass/info, 1 warn, 2 fail. */
export function exitForStatus(worst: CheckStatus): number {
  return worst === 'fail' ? EXIT.fail : worst === 'warn' ? EXIT.warn : EXIT.ok;
}

/** A command line the user has to change (bad flag value, unknown PF): exit 64. */
export class UsageError extends SriovctlError {
  override name = 'UsageError';
}

/** The `--help` epilogue listing exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0   success (doctor: all checks pass or info)
  1   doctor: at least one warning
  2   doctor: at least one failure
  64  usage error (unknown option, bad --pf/--vendor/--numa value, unknown fixture)
  70  host or internal error (printed as "sriovctl: <message>" and "hint: <hint>")`;
