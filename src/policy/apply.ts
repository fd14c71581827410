/**
 * A plan straight to the executor: refuses it by the one rule set (src/policy/refusal.ts), then
 * hands it to src/executor/run-plan.ts, which runs it step by step and stops at the first failure.
 * The apply-policy use case (apply-policy.ts) does this and more (record, read back, hold the
 * host); this is for callers that already hold a plan (benchmarks, tests, the lab).
 */
import type { Host } from '../host/host.js';
import { runSteps, type RunOptions, type RunResult } from '../executor/run-plan.js';
import { refusalOf } from './refusal.js';
import type { Plan } from './steps.js';

export type { ProgressEvent, StepOutcome } from '../executor/run-plan.js';

export interface ApplyOptions extends RunOptions {
  /** Disruptive steps were confirmed (interactively or with --yes). */
  confirmedDisruptive?: boolean;
}

export type ApplyResult = RunResult;

/** Applies a plan; throws PolicyRefusedError up front if it needs an override or a confirmation. */
export async function applyPlan(
  host: Host,
  plan: Plan,
  o: ApplyOptions = {},
): Promise<ApplyResult> {
  const refused = refusalOf(plan, { confirmedDisruptive: o.confirmedDisruptive === true });
  if (refused) throw refused;
  return runSteps(host, plan.steps, o);
}
