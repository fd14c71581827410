/** The API's problem+json errors, as the console shows them: detail, fix, and errors per field. */

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  fix?: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a problem body; anything else becomes a problem that says what came back. */
export function toProblem(status: number, body: unknown, fallbackText = ''): Problem {
  if (isRecord(body) && typeof body.title === 'string') {
    const p: Problem = {
      type: typeof body.type === 'string' ? body.type : 'about:blank',
      title: body.title,
      status: typeof body.status === 'number' ? body.status : status,
      detail: typeof body.detail === 'string' ? body.detail : '',
    };
    if (typeof body.instance === 'string') p.instance = body.instance;
    if (typeof body.field === 'string') p.field = body.field;
    if (typeof body.fix === 'string') p.fix = body.fix;
    if (Array.isArray(body.errors))
      p.errors = body.errors
        .filter(isRecord)
        .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }));
    return p;
  }
  return {
    type: 'about:blank',
    title: `HTTP ${status}`,
    status,
    detail: fallbackText.slice(0, 500) || 'the server answered without an explanation',
  };
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
