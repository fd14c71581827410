/**
 * Why an apply does not start: one rule set for every path that applies a policy (the CLI's direct
 * apply, the daemon's API and console apply, the drift watcher's repair), one error type, one
 * wording. Each refusal carries a machine code, the option or field it concerns and the fix; the
 * fix names the option as the caller spells it (`force: true` in the API, `--force` on the command
 * line). The API maps it to a problem once (src/api/problem.ts), the CLI to exit 3 once
 * (src/cli/exit-codes.ts). Pure.
 */
import { SriovctlError } from '../host/errors.js';
import type { Plan } from './steps.js';

/**
 * `needs-override`: the plan does something dangerous (rebinding or destroying VFs that are in use
 * or held by the ledger, disrupting the PF with the default route) that needs its option;
 * `disruptive-unconfirmed`: the plan has disruptive steps nobody confirmed; `kept-by-daemon`: the
 * daemon keeps these PFs at its installed policies and would repair the apply away;
 * `apply-running`: another apply holds the host.
 */
export type RefusalCode =
  'needs-override' | 'disruptive-unconfirmed' | 'kept-by-daemon' | 'apply-running';

/** The options that lift a refusal, named as the API's body names them. */
export type ApplyOption = 'force' | 'allowDefaultRoute' | 'confirmDisruptive';

/**
 * Who reads the fix: an API client (body fields), a shell (flags), or the operator of a daemon
 * whose drift repair was refused (a command to run).
 */
export type Spelling = 'api' | 'cli' | 'repair';

const SPELLED: Record<Spelling, Record<ApplyOption, string>> = {
  api: {
    force: 'force: true',
    allowDefaultRoute: 'allowDefaultRoute: true',
    confirmDisruptive: 'confirmDisruptive: true',
  },
  cli: { force: '--force', allowDefaultRoute: '--allow-default-route', confirmDisruptive: '--yes' },
  repair: {
    force: '`sriovctl apply --force`',
    allowDefaultRoute: '`sriovctl apply --allow-default-route`',
    confirmDisruptive: '`sriovctl apply --yes` (or serve --repair-disruptive)',
  },
};

/** An option as `spelling` writes it. */
export function spell(option: ApplyOption, spelling: Spelling): string {
  return SPELLED[spelling][option];
}

/** An apply refused before anything ran; see the module comment. */
export class PolicyRefusedError extends SriovctlError {
  override name = 'PolicyRefusedError';
  constructor(
    readonly code: RefusalCode,
    message: string,
    /** The option that lifts it, `text` for the policy itself, null when nothing does. */
    readonly field: ApplyOption | 'text' | null,
    private readonly fix: (spelling: Spelling) => string,
    /** The PFs it concerns (netdev or address), when it concerns some. */
    readonly pfs: readonly string[] = [],
  ) {
    super(message, fix('api'));
  }

  /** The fix, naming options as `spelling` writes them. */
  fixFor(spelling: Spelling): string {
    return this.fix(spelling);
  }
}

/** PFs the policy would set differently from what the daemon keeps them at (see keptConflicts). */
export interface KeptConflict {
  pf: string;
  /** The daemon's drift watcher would repair the apply away. */
  repaired: boolean;
}

/**
 * The refusal for applying `plan`, or null when it may run: first what the daemon would undo,
 * then what needs an override, then disruptive steps not confirmed. Pure.
 */
export function refusalOf(
  plan: Plan,
  o: { confirmedDisruptive: boolean; conflicts?: readonly KeptConflict[] },
): PolicyRefusedError | null {
  const fought = (o.conflicts ?? []).filter((c) => c.repaired).map((c) => c.pf);
  if (fought.length)
    return new PolicyRefusedError(
      'kept-by-daemon',
      `refusing to apply: this daemon keeps ${fought.join(', ')} at its installed policies and repairs drift, so it would undo this apply (and flap the VFs)`,
      'text',
      () =>
        'change the installed policies (sriovctl install -f ...) and restart the daemon (systemctl restart sriovctl.service), or run it without --repair',
      fought,
    );
  if (plan.refusals.length) {
    const overrides = [...new Set(plan.refusals.map((r) => r.override))];
    return new PolicyRefusedError(
      'needs-override',
      `refusing to apply: ${plan.refusals.map((r) => r.reason).join('; ')}`,
      overrides[0]!,
      (s) =>
        `once you are sure, apply again with ${overrides.map((x) => spell(x, s)).join(' and ')}`,
      [...new Set(plan.refusals.map((r) => r.pf))],
    );
  }
  const disruptive = plan.steps.filter((s) => s.disruptive);
  if (disruptive.length && !o.confirmedDisruptive)
    return new PolicyRefusedError(
      'disruptive-unconfirmed',
      `the plan has ${disruptive.length} disruptive step(s): ${disruptive.map((s) => `${s.what} (${s.disruptive})`).join('; ')}`,
      'confirmDisruptive',
      (s) =>
        `review the plan and the attachments it affects, then confirm with ${spell('confirmDisruptive', s)}`,
      [...new Set(disruptive.map((s) => s.netdev ?? s.pf))],
    );
  return null;
}

/**
 * Another apply holds the host (`label`: `policy apply <operation>`): refused, not queued, since
 * the plan was made before it changed the host.
 */
export function applyRunning(label: string): PolicyRefusedError {
  return new PolicyRefusedError(
    'apply-running',
    `another apply holds the host: ${label} is running`,
    null,
    () => 'wait for its apply.done event, then plan again',
  );
}
