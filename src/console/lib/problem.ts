/**
 * The API's problem+json errors, as the console shows them: detail, fix, and errors per field. The
 * problem's shape and its reading are the contract's (src/contract/problem.ts); what the console
 * adds is its error type and how a problem's fields map onto a form's.
 */
import { ProblemError } from '../../contract/client.js';
import { readProblem, type Problem } from '../../contract/problem.js';

export type { Problem } from '../../contract/problem.js';

/** Every failure of a call to the API, as the console's pages and states show it. */
export class ApiError extends ProblemError {
  override name = 'ApiError';
}

/** Reads a problem body; anything else becomes a problem that says what came back. */
export function toProblem(status: number, body: unknown, fallbackText = ''): Problem {
  return (
    readProblem(status, body) ?? {
      type: 'about:blank',
      title: `HTTP ${status}`,
      status,
      detail: fallbackText.slice(0, 500) || 'the server answered without an explanation',
    }
  );
}

/** Turns `body.consumer.name` or `query.tenant` into the form's own key, `consumer.name`. */
export function formField(field: string): string {
  return field.replace(/^(body|querystring|query|params|headers)\.?/, '');
}

/**
 * Errors per form field: the `errors` list of a 400, or the single `field` of a refusal (422, 404
 * on a named tenant or pool, 409). Fields are in the form's own keys (see formField).
 */
export function fieldErrors(p: Problem): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of p.errors ?? []) {
    const k = formField(e.field);
    if (k && out[k] === undefined) out[k] = e.message;
  }
  if (p.field !== undefined && !p.errors?.length) {
    const k = formField(p.field);
    if (k && out[k] === undefined) out[k] = p.detail;
  }
  return out;
}
