/**
 * RFC 9457 problem details: every error the API answers is `application/problem+json` with a type,
 * a title, the status, what happened (`detail`), the field it is about and the fix.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HostBusyError } from '../executor/host-gate.js';
import { UnsafeInputError } from '../host/errors.js';
import { LedgerError, type LedgerErrorKind } from '../ledger/errors.js';

export const PROBLEM_BASE = 'https://sriovctl.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  fix?: string;
  /** Field-level validation errors. */
  errors?: { field: string; message: string }[];
  /** On answers of 500 and more: the request id the daemon log names with the error. */
  requestId?: string;
  [extra: string]: unknown;
}

const KIND_STATUS: Record<LedgerErrorKind, [number, string]> = {
  'not-found': [404, 'Not found'],
  conflict: [409, 'Conflict'],
  refused: [422, 'Refused'],
  forbidden: [403, 'Forbidden'],
  'host-failed': [502, 'The host refused the change'],
};

const CLIENT_ERRORS: Record<number, [string, string]> = {
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  413: ['body-too-large', 'Request body too large'],
  414: ['uri-too-long', 'URI too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
};

/** Errnos that mean "the kernel will not take these values", not "the host is broken". */
const INPUT_ERRNOS = new Set(['EINVAL', 'ERANGE', 'EOPNOTSUPP', 'EPROTONOSUPPORT']);

/** The answer to a request whose credentials are missing, wrong or revoked. */
export function unauthorized(instance: string): Problem {
  return {
    type: `${PROBLEM_BASE}unauthorized`,
    title: 'Unauthorized',
    status: 401,
    detail: 'a valid bearer token is required (Authorization: Bearer sriovctl_...)',
    fix: 'create one with `sriovctl token create NAME --role viewer` as root on the host',
    instance,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  // A problem that says when to come back says it in the header clients and proxies read too.
  if (typeof p.retryAfterS === 'number') reply.header('retry-after', String(p.retryAfterS));
  // A failure on our side is logged under this id (the stack stays in the log, not the answer).
  const body = p.status >= 500 ? { ...p, requestId: reply.request.id } : p;
  return reply.code(p.status).type('application/problem+json').send(body);
}

function dotted(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.');
}

/** Maps any error thrown by a route to a problem. */
export function toProblem(err: unknown, req: FastifyRequest): Problem {
  const instance = req.url;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'body';
    const errors = err.validation.map((v) => {
      const field = dotted(v.instancePath);
      return { field: field ? `${where}.${field}` : where, message: v.message ?? 'invalid' };
    });
    return {
      type: `${PROBLEM_BASE}invalid-request`,
      title: 'Invalid request',
      status: 400,
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      instance,
      field: errors[0]?.field,
      errors,
    } as Problem;
  }
  if (err instanceof LedgerError) {
    let [status, title] = KIND_STATUS[err.kind];
    const errno = err.details?.errno;
    if (err.kind === 'host-failed' && typeof errno === 'string' && INPUT_ERRNOS.has(errno))
      [status, title] = [422, 'The kernel refused these values'];
    const p: Problem = {
      type: `${PROBLEM_BASE}${err.kind}`,
      title,
      status,
      detail: err.message,
      instance,
      ...(err.details ?? {}),
    };
    if (err.field !== undefined) p.field = err.field;
    if (err.hint !== undefined) p.fix = err.hint;
    return p;
  }
  if (err instanceof HostBusyError)
    return {
      type: `${PROBLEM_BASE}host-busy`,
      title: 'The host is busy',
      status: 503,
      detail: err.message,
      instance,
      ...(err.hint !== undefined ? { fix: err.hint } : {}),
      holder: err.holder,
      since: err.since,
      retryAfterS: err.retryAfterS,
    };
  if (err instanceof UnsafeInputError)
    return {
      type: `${PROBLEM_BASE}invalid-request`,
      title: 'Invalid request',
      status: 400,
      detail: err.message,
      instance,
    };
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, wrong content type, body too large, rate limit.
    const [type, title] = CLIENT_ERRORS[fe.statusCode] ?? ['bad-request', 'Bad request'];
    return {
      type: `${PROBLEM_BASE}${type}`,
      title,
      status: fe.statusCode,
      detail: fe.message,
      instance,
    };
  }
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal error',
    status: 500,
    detail: `sriovctl failed unexpectedly; the daemon log has the details under request id ${req.id}`,
    instance,
  };
}
