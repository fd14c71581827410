/**
 * A form's fields as the API takes them (lists, numbers, optional text from what was typed), and
 * the API's problems per field (its check routes' answers, a 400's errors) in the form's keys.
 * The checks themselves are the API's, with the schema it validates requests with: the console
 * loads no zod.
 */
import type { FieldIssue } from '../../contract/index.js';

/** One field's problem per form key; a list entry's problem says which entry. */
export type FieldErrors = Record<string, string>;

/** `selector.pfNames.1` → key `selector.pfNames`, entry 1 (named in the message instead). */
function fieldKey(field: string): { key: string; entry: number | null } {
  const parts = field.split('.').filter(Boolean);
  const names = parts.filter((p) => !/^\d+$/.test(p));
  const index = parts.find((p) => /^\d+$/.test(p));
  return { key: names.join('.'), entry: index !== undefined ? Number(index) : null };
}

/** The API's field problems in the form's keys, the first per key. */
export function formKeys(issues: readonly FieldIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const { field, message } of issues) {
    const { key, entry } = fieldKey(field);
    out[key] ??= entry === null ? message : `entry ${entry + 1}: ${message}`;
  }
  return out;
}

/**
 * A comma- or space-separated list as the API takes it; empty text is no list. With `ranges`,
 * a comma before a digit stays in its entry, so `ens1f0#0-7,12, ens1f1` is two entries.
 */
export function listField(text: string, ranges = false): string[] | undefined {
  const items = text
    .split(ranges ? /\s+|,(?!\d)/ : /[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

/** A number field: empty is absent; anything else goes to the API as typed (it names the problem). */
export function numberField(text: string): number | null | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  // JSON has no NaN: null is what the API then reads, and refuses as "a whole number".
  return Number.isFinite(n) ? n : null;
}

/** Optional text: empty is absent. */
export function textField(text: string): string | undefined {
  const t = text.trim();
  return t === '' ? undefined : t;
}
