/** Idempotency-Key bookkeeping shared by attach and detach: what a key remembers, what it answers. */
import { createHash } from 'node:crypto';
import type { RequestContext } from './actor.js';
import { LedgerError } from './errors.js';
import type { IdempotencyRecord } from './store.js';
import type { AttachRequest } from './types.js';

/** The hash a key remembers its request by. */
export const hashBody = (body: unknown): string =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * The request as its Idempotency-Key remembers it: without the default vlanProto, so a retry of a
 * request made before attachments had one still matches.
 */
export function hashedRequest(req: AttachRequest): unknown {
  if (req.vlanProto !== '802.1Q') return req;
  const { vlanProto: _default, ...rest } = req;
  return rest;
}

/** The first answer to a request sent again with the same Idempotency-Key. */
export function replay<T>(
  seen: { requestHash: string; status: string; response: { body: unknown } | null },
  requestHash: string,
): T {
  if (seen.requestHash !== requestHash)
    throw new LedgerError(
      'conflict',
      'this Idempotency-Key was used for a different request',
      undefined,
      'use a new key for a new request',
    );
  if (seen.status !== 'done' || !seen.response)
    throw new LedgerError(
      'conflict',
      'a request with this Idempotency-Key is still in progress',
      undefined,
      'retry in a moment',
    );
  return seen.response.body as T;
}

/** What `ctx`'s Idempotency-Key remembers: the request's hash and, once answered, the answer. */
export function keyRecord(
  ctx: RequestContext,
  key: string,
  requestHash: string,
  answer: { status: number; body: unknown } | null,
  status: IdempotencyRecord['status'] = answer === null ? 'pending' : 'done',
): IdempotencyRecord {
  return { actor: ctx.actor.name, key, requestHash, status, response: answer };
}
