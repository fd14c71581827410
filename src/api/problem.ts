/**
 * RFC 9457 problem details: every error the API answers is `application/problem+json` with a type,
 * a title, the status, what happened (`detail`), the field it is about and the fix. The shape and
 * the kinds of problem (type, status, title) are the contract's (src/contract/problem.ts); this
 * maps the errors routes throw onto them.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  KERNEL_REFUSED_VALUES,
  PROBLEMS,
  problemOf,
  problemType,
  type Problem,
  type ProblemKind,
} from '../contract/index.js';
import { HostBusyError } from '../executor/host-gate.js';
import { UnsafeInputError } from '../host/errors.js';
import { LedgerError, type LedgerErrorKind } from '../ledger/errors.js';
import { PolicyRefusedError } from '../policy/refusal.js';

export type { Problem } from '../contract/index.js';

/** Each kind of ledger error is a kind of problem of the same name. */
const LEDGER_KINDS = {
  'not-found': 'not-found',
  conflict: 'conflict',
  refused: 'refused',
  forbidden: 'forbidden',
  'host-failed': 'host-failed',
} as const satisfies Record<LedgerErrorKind, ProblemKind>;

/** Fastify's own client errors, by status. */
const CLIENT_ERRORS: Record<number, ProblemKind> = {
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  413: 'body-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  429: 'rate-limited',
};

/** Errnos that mean "the kernel will not take these values", not "the host is broken". */
const INPUT_ERRNOS = new Set(['EINVAL', 'ERANGE', 'EOPNOTSUPP', 'EPROTONOSUPPORT']);

/** The answer to a request whose credentials are missing, wrong or revoked. */
export function unauthorized(instance: string): Problem {
  return problemOf(
    'unauthorized',
    'a valid bearer token is required (Authorization: Bearer sriovctl_...)',
    {
      fix: 'create one with `sriovctl token create NAME --role viewer` as root on the host',
      instance,
    },
  );
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
    return problemOf('invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      instance,
      ...(errors[0] ? { field: errors[0].field } : {}),
      errors,
    });
  }
  if (err instanceof LedgerError) {
    const kind = LEDGER_KINDS[err.kind];
    let { status, title }: { status: number; title: string } = PROBLEMS[kind];
    const errno = err.details?.errno;
    if (err.kind === 'host-failed' && typeof errno === 'string' && INPUT_ERRNOS.has(errno))
      ({ status, title } = KERNEL_REFUSED_VALUES);
    const p: Problem = {
      type: problemType(kind),
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
  if (err instanceof PolicyRefusedError)
    // Another apply holding the host collides with it (409); every other refusal is a rule (422).
    return problemOf(err.code === 'apply-running' ? 'conflict' : 'refused', err.message, {
      instance,
      code: err.code,
      ...(err.field !== null ? { field: err.field } : {}),
      fix: err.fixFor('api'),
    });
  if (err instanceof HostBusyError)
    return problemOf('host-busy', err.message, {
      instance,
      ...(err.hint !== undefined ? { fix: err.hint } : {}),
      holder: err.holder,
      since: err.since,
      retryAfterS: err.retryAfterS,
    });
  if (err instanceof UnsafeInputError)
    return problemOf('invalid-request', err.message, { instance });
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, wrong content type, body too large, rate limit.
    const kind = CLIENT_ERRORS[fe.statusCode] ?? 'bad-request';
    return { ...problemOf(kind, fe.message, { instance }), status: fe.statusCode };
  }
  return problemOf(
    'internal',
    `sriovctl failed unexpectedly; the daemon log has the details under request id ${req.id}`,
    { instance },
  );
}
