/** Small helpers shared by the check families: building results and ranking statuses. */
import type { CheckResult, CheckStatus } from './types.js';

const RANK: Record<CheckStatus, number> = { pass: 0, info: 1, warn: 2, fail: 3 };

/** The worse of two statuses (fail > warn > info > pass). */
export function worse(a: CheckStatus, b: CheckStatus): CheckStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The worst status of a list; `pass` for an empty list. */
export function worstOf(statuses: Iterable<CheckStatus>): CheckStatus {
  let w: CheckStatus = 'pass';
  for (const s of statuses) w = worse(w, s);
  return w;
}

/** True when a status needs the user's attention (and therefore carries a fix). */
export function needsFix(status: CheckStatus): boolean {
  return status === 'warn' || status === 'fail';
}

/**
 * Builds a CheckResult, refusing a warn/fail without a fix: the contract is that every problem the
 * doctor reports comes with the exact command or setting that resolves it.
 */
export function result(r: CheckResult): CheckResult {
  if (needsFix(r.status) && (r.fix === undefined || r.fix.length === 0)) {
    throw new Error(`doctor check ${r.id} reported ${r.status} without a fix`);
  }
  return r;
}

/** Compact ranges for messages: [0,1,2,5,7,8] → `0-2, 5, 7-8`. */
export { formatIndexRanges as formatRanges } from '../inventory/vf-config.js';
