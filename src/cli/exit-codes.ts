/**
 * Exit codes. Doctor's follow its worst status so scripts can gate on them; the rest follow
 * sysexits(3): 64 for a command line the user must change, 69 when the daemon cannot be reached,
 * 77 when the caller may not do it, 70 for everything else that went wrong. API commands exit 1
 * when the daemon understood the request and said no (not found, conflict, a placement rule).
 */
import { SriovctlError } from '../host/errors.js';
import type { CheckStatus } from '../doctor/types.js';
import type { PolicyRefusedError } from '../policy/refusal.js';
import type { Verdict } from '../policy/verify.js';

export const EXIT = {
  ok: 0,
  warn: 1,
  fail: 2,
  /** API commands: the daemon refused (404, 409, 422, 429). */
  refused: 1,
  usage: 64,
  /** API commands: the daemon is not reachable. */
  unavailable: 69,
  software: 70,
  /** API commands: no or bad token, role too low, another tenant's resource. */
  noperm: 77,
} as const;

/**
 * `plan`, `apply` and `diff` (their --help and README list them). Unverified is its own code: a
 * setting sriovctl cannot read back is neither verified (0) nor known to differ (1).
 */
export const PLAN_EXIT = {
  ok: 0,
  /** diff: the host differs from the policy; apply: applied, but read-back differs. */
  differs: 1,
  /** apply: a step failed. */
  stepFailed: 2,
  /** plan and apply: refused (needs --yes, --force or --allow-default-route). */
  refused: 3,
  /** diff and apply: what can be read matches, but some settings cannot be read back at all. */
  unverified: 4,
  /** The policy files are invalid or do not fit this host. */
  invalidPolicy: 65,
} as const;

/** Exit code of a refused apply (PolicyRefusedError), whatever refused it: 3. */
export function exitForRefusal(_e: PolicyRefusedError): number {
  return PLAN_EXIT.refused;
}

/** Exit code of diff and of apply's read-back for what verify() found. */
export function exitForVerdict(verdict: Verdict): number {
  if (verdict === 'differs') return PLAN_EXIT.differs;
  return verdict === 'unverified' ? PLAN_EXIT.unverified : PLAN_EXIT.ok;
}

/** Exit code for a doctor run: 0 pass/info, 1 warn, 2 fail. */
export function exitForStatus(worst: CheckStatus): number {
  return worst === 'fail' ? EXIT.fail : worst === 'warn' ? EXIT.warn : EXIT.ok;
}

/** A command line the user has to change (bad flag value, unknown PF): exit 64. */
export class UsageError extends SriovctlError {
  override name = 'UsageError';
}

/** Exit codes of the commands that talk to the daemon (tenant, pool, attach, ...). */
export const API_EXIT_CODES = `API commands (tenant, pool, attach, detach, attachments, audit, token, whoami):
  0   done
  1   the daemon refused: not found, conflict, quota, placement or VLAN rule, rate limit
  64  invalid flags (checked before sending) or an invalid request
  69  the daemon is not reachable (is \`sriovctl serve\` running?)
  70  the host failed the change, or an internal error
  77  not allowed: missing or bad token, role too low, another tenant`;

/** The `--help` epilogue listing exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0   success (doctor: all checks pass or info)
  1   doctor: at least one warning
  2   doctor: at least one failure
  64  usage error (unknown command or option, bad --pf/--vendor/--numa value, unknown fixture)
  70  host or internal error (printed as "sriovctl: <message>" and "hint: <hint>")

${API_EXIT_CODES}`;
