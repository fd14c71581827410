/**
 * Problem details (RFC 9457) as sriovctl answers them: the type, the catalogue of problem kinds
 * with their status and title (defined once, for the server and its clients), and the reading of
 * an error answer that clients share. No zod here at runtime: the console loads this module.
 */
import type { z } from 'zod';
import type { fieldError, problemDetails } from './problem-schema.js';

/** An error answer: see problemDetails (src/contract/problem-schema.ts) for each member. */
export type Problem = z.infer<typeof problemDetails>;
export type FieldError = z.infer<typeof fieldError>;

/** The base of every problem type URI. */
export const PROBLEM_BASE = 'https://sriovctl.dev/problems/';

/** Every kind of problem sriovctl answers, with its status and title. */
export const PROBLEMS = {
  /** The request does not validate (body, query, path, headers), or names unsafe values. */
  'invalid-request': { status: 400, title: 'Invalid request' },
  /** Policy text that does not load; `errors` locate each problem (`text:LINE:COL`). */
  'invalid-policy': { status: 400, title: 'Invalid policy' },
  /** Another client error of the HTTP layer (bad JSON, ...). */
  'bad-request': { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  /** The thing named does not exist (or is not visible to the caller). */
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  /** The request collides with the ledger's state (a name in use, a VF already attached). */
  conflict: { status: 409, title: 'Conflict' },
  'body-too-large': { status: 413, title: 'Request body too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  /** Well-formed, but a rule refuses it (quota, bandwidth, VLAN, capacity). */
  refused: { status: 422, title: 'Refused' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  /** The kernel refused or failed a change; 422 when it refused the values themselves. */
  'host-failed': { status: 502, title: 'The host refused the change' },
  /** A host-wide operation (a policy apply) holds the host; retry after `retryAfterS`. */
  'host-busy': { status: 503, title: 'The host is busy' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEMS;

/** host-failed when the kernel refused the values (EINVAL, ERANGE, ...), not the change. */
export const KERNEL_REFUSED_VALUES = { status: 422, title: 'The kernel refused these values' };

/** The type URI of a kind of problem. */
export function problemType(kind: ProblemKind): string {
  return `${PROBLEM_BASE}${kind}`;
}

/** The kind of a problem of sriovctl's, or null (about:blank, another server's type). */
export function problemKind(p: Pick<Problem, 'type'>): ProblemKind | null {
  if (!p.type.startsWith(PROBLEM_BASE)) return null;
  const kind = p.type.slice(PROBLEM_BASE.length);
  return Object.hasOwn(PROBLEMS, kind) ? (kind as ProblemKind) : null;
}

/** A problem of a kind, with its type, title and status, what happened and any extensions. */
export function problemOf(
  kind: ProblemKind,
  detail: string,
  extensions: Omit<Partial<Problem>, 'type' | 'detail'> = {},
): Problem {
  const { status, title } = PROBLEMS[kind];
  return { type: problemType(kind), title, status, detail, ...extensions };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the body of an error answer (`status`) as a problem: an object with a title, or with a
 * status and a detail. Members RFC 9457 lets a server leave out get its defaults (about:blank, the
 * answer's status); members of the wrong type are dropped, extensions are kept. Anything else is
 * not a problem: null, and the caller says what came back instead.
 */
export function readProblem(status: number, body: unknown): Problem | null {
  if (!isRecord(body)) return null;
  const title = typeof body.title === 'string' ? body.title : undefined;
  const detail = typeof body.detail === 'string' ? body.detail : undefined;
  if (title === undefined && (detail === undefined || typeof body.status !== 'number')) return null;
  const p: Problem = {
    ...body,
    type: typeof body.type === 'string' ? body.type : 'about:blank',
    title: title ?? `HTTP ${status}`,
    status: typeof body.status === 'number' ? body.status : status,
    detail: detail ?? '',
  };
  for (const k of ['instance', 'field', 'fix'] as const)
    if (p[k] !== undefined && typeof p[k] !== 'string') delete p[k];
  if (p.errors !== undefined) {
    if (Array.isArray(p.errors))
      p.errors = (p.errors as unknown[])
        .filter(isRecord)
        .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }));
    else delete p.errors;
  }
  return p;
}
