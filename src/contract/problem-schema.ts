/**
 * The problem-details schema (RFC 9457 plus sriovctl's extensions): the one definition of what an
 * error answer carries. Its type is `Problem` (src/contract/problem.ts re-exports it for code that
 * must not load zod, like the console).
 */
import { z } from 'zod';
import { placementExplanation } from './attachments.js';

/** One field-level error of a 400 (`body.vlan`, `querystring.tenant`). */
export const fieldError = z.strictObject({ field: z.string(), message: z.string() });

/**
 * Every error the API answers is `application/problem+json` in this shape: RFC 9457's members,
 * then the field it is about, the fix, and what the kind of problem adds (a placement refusal's
 * numbers, the kernel's errno, who holds a busy host). Members not named here may follow (a
 * ledger error's details), so the object is open.
 */
export const problemDetails = z.looseObject({
  /** `https://sriovctl.dev/problems/<kind>` (see PROBLEMS), or about:blank. */
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  /** What happened, as one line. */
  detail: z.string(),
  /** The request path the problem is about. */
  instance: z.string().exactOptional(),
  /** The request field the problem is about (`body.vlan`, `minTxRate`, `consumer.name`). */
  field: z.string().exactOptional(),
  /** The fix: a command, a value, or what to change. */
  fix: z.string().exactOptional(),
  /** Field-level validation errors (400). */
  errors: z.array(fieldError).exactOptional(),
  /** A stable machine code within the kind (`vf-quota`, `mac-unavailable`, `vlan-not-allowed`). */
  code: z.string().exactOptional(),
  /** On answers of 500 and more: the request id the daemon log names with the error. */
  requestId: z.string().exactOptional(),
  /** A refused attach: the pool's VFs and how many each placement rule excluded. */
  placement: placementExplanation.exactOptional(),
  /** host-failed: the errno the kernel answered (`EINVAL`, `EBUSY`). */
  errno: z.string().exactOptional(),
  /** host-busy: the operation holding the host, since when, and when to retry (Retry-After). */
  holder: z.string().exactOptional(),
  since: z.string().exactOptional(),
  retryAfterS: z.number().exactOptional(),
});
