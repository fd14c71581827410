/**
 * Checks a form's value as it is being typed with the schema the API validates the request with,
 * and words each problem as an operator reads it next to a field ("at most 65536", "a whole
 * number") rather than the schema's own text. The console calls this through the check routes,
 * so it loads no zod and the rules exist once.
 */
import type { z } from 'zod';
import type { FieldIssue } from '../contract/index.js';

interface IssueLike {
  code: string;
  message: string;
  input?: unknown;
  maximum?: unknown;
  minimum?: unknown;
  expected?: unknown;
  values?: readonly unknown[];
  origin?: unknown;
}

/** The schema's issue in an operator's words; custom messages (the fixes) pass through. */
export function operatorWords(issue: IssueLike): string {
  switch (issue.code) {
    case 'too_big':
      if (issue.origin === 'string') return `too long: at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `too many: at most ${String(issue.maximum)}`;
      return `at most ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1
        ? 'required'
        : `at least ${String(issue.minimum)}`;
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (issue.expected === 'number' || issue.expected === 'int') return 'a whole number';
      if (issue.expected === 'boolean') return 'yes or no';
      return issue.message;
    case 'invalid_value':
      return `one of ${(issue.values ?? []).map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Every problem of `value` by `schema`, with its field path (`selector.pfNames.1`); [] if none. */
export function fieldIssues(schema: z.ZodType, value: unknown): FieldIssue[] {
  // reportInput: "required" is an issue whose input is missing, not any wrong type.
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    field: i.path.map(String).join('.'),
    message: operatorWords(i as IssueLike),
  }));
}
