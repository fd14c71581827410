/**
 * The apply use case: refuses a plan that needs an override or an unconfirmed disruptive step, and
 * hands the rest to the executor (src/executor/run-plan.ts), which runs it step by step and stops
 * at the first failure.
 */
import { SriovctlError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { runSteps, type RunOptions, type RunResult } from '../executor/run-plan.js';
import type { Plan } from './steps.js';

export type { ProgressEvent, StepOutcome } from '../executor/run-plan.js';

export interface ApplyOptions extends RunOptions {
  /** Disruptive steps were confirmed (interactively or with --yes). */
  confirmedDisruptive?: boolean;
}

export type ApplyResult = RunResult;

/** Thrown before anything runs when the plan needs an override or a confirmation it did not get. */
export class ApplyRefusedError extends SriovctlError {
  override name = 'ApplyRefusedError';
}

/** Applies a plan; refuses up front if it needs an override or an unconfirmed disruptive step. */
export async function applyPlan(
  host: Host,
  plan: Plan,
  o: ApplyOptions = {},
): Promise<ApplyResult> {
  if (plan.refusals.length) {
    throw new ApplyRefusedError(
      `refusing to apply: ${plan.refusals.map((r) => r.reason).join('; ')}`,
      `override with ${[...new Set(plan.refusals.map((r) => (r.override === 'force' ? '--force' : '--allow-default-route')))].join(' and ')} once you are sure`,
    );
  }
  const disruptive = plan.steps.filter((s) => s.disruptive);
  if (disruptive.length && !o.confirmedDisruptive) {
    throw new ApplyRefusedError(
      `the plan has ${disruptive.length} disruptive step(s): ${disruptive.map((s) => `${s.what} (${s.disruptive})`).join('; ')}`,
      'confirm interactively or pass --yes',
    );
  }
  return runSteps(host, plan.steps, o);
}
