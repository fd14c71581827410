/** Who may do what: roles, tokens, the caller (GET /whoami) and the audit log. */
import { z } from 'zod';
import { resourceName, timestamp } from './fields.js';

/** admin > operator > viewer; each may do what the ones after it may. */
export const role = z.enum(['admin', 'operator', 'viewer']);
export type Role = z.infer<typeof role>;

/** What POST /tokens takes. */
export const tokenInput = z
  .object({
    name: resourceName,
    role,
    tenant: resourceName.optional(),
  })
  .strict()
  .refine((t) => !(t.role === 'admin' && t.tenant), {
    message: 'an admin token cannot be tenant-scoped; use operator or viewer',
    path: ['role'],
  });
export type TokenInput = z.infer<typeof tokenInput>;

/** A token as the API answers it: never its secret. */
export const tokenRecord = z.strictObject({
  id: z.string(),
  name: z.string(),
  role,
  /** Set for tenant-scoped tokens: they see and act on this tenant only. */
  tenant: z.string().nullable(),
  createdAt: timestamp,
});
export type TokenRecord = z.infer<typeof tokenRecord>;

/** What POST /tokens answers (201): the secret, in this answer only. */
export const createdToken = z.strictObject({ token: tokenRecord, secret: z.string() });
export type CreatedToken = z.infer<typeof createdToken>;

/** `{id}` of DELETE /tokens/{id}. */
export const tokenIdParam = z.object({ id: z.uuid() });

/** GET /whoami: the caller, and the host that answers. */
export const whoAmI = z.strictObject({
  name: z.string(),
  role,
  tenant: z.string().nullable(),
  host: z.string(),
  /** The host is sriovctl's simulated kernel, not a machine: the console says so beside its name. */
  simulated: z.boolean(),
  /** The simulated host's fixture name (null on a real host). */
  fixture: z.string().nullable(),
});
export type WhoAmI = z.infer<typeof whoAmI>;

/** One entry of the audit log. */
export const auditEntry = z.strictObject({
  seq: z.number().int(),
  at: timestamp,
  /** Who: a token name, `local-root` (unix socket) or `sriovctl` (reconcile). */
  actor: z.string(),
  action: z.string(),
  /** The tenant the entry concerns, so tenant-scoped readers see their own history. */
  tenant: z.string().nullable(),
  /** What: `tenant/team-a`, `pool/gpu`, `attachment/<id>`, `vf/0000:3b:00.0#4`. */
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  requestId: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** GET /audit's filters and page size. */
export const auditQuery = z
  .object({
    tenant: resourceName.optional(),
    action: z
      .string()
      .regex(/^[a-z.-]{1,64}$/)
      .optional(),
    target: z.string().max(200).optional(),
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** GET /audit: newest first; `next` is the `before` of the next page (null: no more). */
export const auditPage = z.strictObject({
  items: z.array(auditEntry),
  next: z.number().int().nullable(),
});
export type AuditPage = z.infer<typeof auditPage>;
