/**
 * An apply's progress as the console follows it: the steps the event stream reported
 * (`apply.start`, `apply.step`, `apply.done`) folded into one state, for one operation.
 */
import type {
  ApplyDoneData,
  ApplyStepData,
  DaemonEvent,
  ReadBackData,
  UnreadableWhy,
} from '../../../contract/index.js';
import { formatRanges } from '../../lib/format.js';

export interface ApplyState {
  operation: string | null;
  steps: Map<number, ApplyStepData>;
  total: number;
  /** What the console shows of apply.done, with the event's message. */
  done:
    | (Pick<
        ApplyDoneData,
        'operation' | 'ok' | 'error' | 'hint' | 'unverifiedSettings' | 'readBack'
      > & {
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
        ...(d.readBack ? { readBack: d.readBack } : {}),
      },
    };
  if (e.kind !== 'apply.step' || typeof d.index !== 'number') return s;
  const steps = new Map(s.steps);
  steps.set(d.index, d as ApplyStepData);
  return { ...s, steps, total: Math.max(s.total, d.total ?? 0) };
}

/** Why a setting could not be read back, in an operator's words. */
export const UNREADABLE_WHY: Record<UnreadableWhy, string> = {
  'vf-list-truncated': "past the end of the PF's netlink VF list (the kernel truncates it)",
  'vf-not-reported': 'the kernel did not report these VFs',
  'driver-does-not-report': "the VF's driver does not report these settings",
};

/** One line of the read-back summary: what it says and how it reads (its colour). */
export interface ReadBackLine {
  tone: 'success' | 'danger' | 'warning';
  text: string;
}

/**
 * The read-back after an apply, summed up per PF: how many VFs were verified, each VF that still
 * differs with its fields, and the VFs that could not be read, grouped by PF, fields and why.
 */
export function readBackLines(r: ReadBackData): ReadBackLine[] {
  const lines: ReadBackLine[] = [];
  for (const pf of r.pfs)
    if (pf.result !== 'verified')
      lines.push({
        tone: 'danger',
        text:
          pf.result === 'absent'
            ? `${pf.name}: not on this host`
            : `${pf.name}: still differs in ${pf.fields.join(', ')}`,
      });
  const verified = new Map<string, number>();
  const unreadable = new Map<
    string,
    { pf: string; fields: string; why: UnreadableWhy; vfs: number[] }
  >();
  const addUnreadable = (pf: string, fields: readonly string[], why: UnreadableWhy, vf: number) => {
    const key = `${pf}\0${fields.join(',')}\0${why}`;
    const g = unreadable.get(key) ?? { pf, fields: fields.join(', '), why, vfs: [] };
    g.vfs.push(vf);
    unreadable.set(key, g);
  };
  for (const vf of r.vfs) {
    if (vf.result === 'verified') verified.set(vf.name, (verified.get(vf.name) ?? 0) + 1);
    else if (vf.result === 'differs') {
      lines.push({
        tone: 'danger',
        text: `${vf.name} VF ${vf.vfIndex}: still differs in ${vf.fields.join(', ')}`,
      });
      if (vf.unreadable)
        addUnreadable(vf.name, vf.unreadable.fields, vf.unreadable.why, vf.vfIndex);
    } else addUnreadable(vf.name, vf.fields, vf.why, vf.vfIndex);
  }
  for (const g of unreadable.values())
    lines.push({
      tone: 'warning',
      text: `${g.pf} VF ${formatRanges(g.vfs)}: ${g.fields} not verified — ${UNREADABLE_WHY[g.why]}`,
    });
  for (const [pf, n] of verified)
    lines.push({ tone: 'success', text: `${pf}: ${n} VF${n === 1 ? '' : 's'} verified` });
  return lines;
}
