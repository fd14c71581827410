/**
 * A plan: the executor's steps (src/executor/steps.ts) in the order that brings the host to the
 * policy, what would be refused without an override, and notes for the operator.
 */
import type { PfId } from '../host/names.js';
import type { Step } from '../executor/steps.js';

export {
  assertNever,
  type Step,
  type StepBasis,
  type StepKind,
  type VfDriverTarget,
} from '../executor/steps.js';

/** A refusal: the plan would do something dangerous that needs an explicit override. */
export interface PlanRefusal {
  pf: PfId;
  reason: string;
  /** The flag that overrides it. */
  override: 'allowDefaultRoute' | 'force';
}

export interface Plan {
  steps: Step[];
  refusals: PlanRefusal[];
  /** Things the operator should know that do not stop the plan (unreadable VFs, ...). */
  notes: string[];
}
