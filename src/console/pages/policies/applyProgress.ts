/**
 * An apply's progress as the console follows it: the steps the event stream reported
 * (`apply.start`, `apply.step`, `apply.done`) folded into one state, for one operation.
 */
import type { ApplyDoneData, ApplyStepData, DaemonEvent } from '../../../contract/index.js';

export interface ApplyState {
  operation: string | null;
  steps: Map<number, ApplyStepData>;
  total: number;
  /** What the console shows of apply.done, with the event's message. */
  done:
    | (Pick<ApplyDoneData, 'operation' | 'ok' | 'error' | 'hint' | 'unverifiedSettings'> & {
        message: string;
      })
    | null;
}

/** The label colour of a step's status. */
export const STEP_COLOR = { start: 'blue', done: 'green', failed: 'red', skipped: 'grey' } as const;

/** Folds one daemon event into an apply's state; events of other operations leave it as is. */
export function reduceApplyEvent(s: ApplyState, e: DaemonEvent): ApplyState {
  const d = e.data as Partial<ApplyStepData & ApplyDoneData>;
  if (d.operation !== s.operation) return s;
  if (e.kind === 'apply.start')
    return { ...s, total: typeof d.total === 'number' ? d.total : s.total };
  if (e.kind === 'apply.done')
    return {
      ...s,
      done: {
        operation: d.operation,
        ok: d.ok === true,
        message: e.message,
        ...(d.error ? { error: d.error } : {}),
        ...(d.hint ? { hint: d.hint } : {}),
        ...(typeof d.unverifiedSettings === 'number' && d.unverifiedSettings > 0
          ? { unverifiedSettings: d.unverifiedSettings }
          : {}),
      },
    };
  if (e.kind !== 'apply.step' || typeof d.index !== 'number') return s;
  const steps = new Map(s.steps);
  steps.set(d.index, d as ApplyStepData);
  return { ...s, steps, total: Math.max(s.total, d.total ?? 0) };
}
