/**
 * Attachments: what POST /attachments and POST /placements take, the attachment as every route
 * answers it, what an attach and a placement preview answer, the list's filters, detach's options,
 * and what a reconcile did.
 */
import { z } from 'zod';
import {
  consumerName,
  hostName,
  interfaceName,
  linkState,
  macText,
  resourceName,
  timestamp,
  txRate,
  VLAN_MAX,
} from './fields.js';

export const consumerKind = z.enum(['vm', 'pod', 'process']);
export type ConsumerKind = z.infer<typeof consumerKind>;

/** Who an attach request is for; `host` defaults to the daemon's host. */
export const consumer = z
  .object({ kind: consumerKind, name: consumerName, host: hostName.optional() })
  .strict();
export type ConsumerInput = z.infer<typeof consumer>;

/** Who holds a VF, as answers name it. */
export const consumerRecord = z.strictObject({
  kind: consumerKind,
  name: z.string(),
  host: z.string(),
});
export type Consumer = z.infer<typeof consumerRecord>;

/**
 * attaching: reserved, being configured; attached: configured; detaching: being scrubbed;
 * failed: the kernel refused (or did not answer) a scrub, so the VF is kept out of the pool until
 * a detach, a reconcile or an admin's forced detach releases it (its `detail` says which);
 * orphaned: its VF disappeared (numVfs lowered, device gone) while a consumer held it.
 */
export const attachmentState = z.enum(['attaching', 'attached', 'detaching', 'failed', 'orphaned']);
export type AttachmentState = z.infer<typeof attachmentState>;

/** Where placement looks first: spread over PFs, or pack onto the fullest. */
export const placementStrategy = z.enum(['spread', 'pack']);
export type PlacementStrategy = z.infer<typeof placementStrategy>;

/** What an attach request asks for. */
export const attachRequest = z
  .object({
    tenant: resourceName,
    pool: resourceName,
    consumer,
    /** Interface names on the consumer, one VF each; default: `count` free names net0, net1, ... */
    interfaces: z.array(interfaceName).min(1).max(32).optional(),
    count: z.number().int().min(1).max(32).optional(),
    vlan: z.number().int().min(0).max(VLAN_MAX).optional(),
    qos: z.number().int().min(0).max(7).default(0),
    /** The VLAN's tag protocol: 802.1ad (QinQ) where the PF's driver takes it. */
    vlanProto: z
      .enum(['802.1Q', '802.1ad'], { error: 'vlanProto is 802.1Q or 802.1ad' })
      .default('802.1Q'),
    minTxRate: txRate.default(0),
    maxTxRate: txRate.default(0),
    trust: z.boolean().default(false),
    spoofchk: z.boolean().optional(),
    linkState: linkState.default('auto'),
    mac: macText.optional(),
    numa: z
      .object({ node: z.number().int().min(0).max(1023), mode: z.enum(['preferred', 'required']) })
      .strict()
      .optional(),
    strategy: placementStrategy.default('spread'),
  })
  .strict()
  .refine((r) => r.maxTxRate === 0 || r.minTxRate <= r.maxTxRate, {
    message: 'minTxRate must not exceed maxTxRate (0 means no cap)',
    path: ['minTxRate'],
  })
  .refine((r) => !(r.interfaces && r.count !== undefined && r.count !== r.interfaces.length), {
    message: 'count and interfaces disagree; give one of them',
    path: ['count'],
  })
  .refine((r) => !(r.mac && (r.interfaces?.length ?? r.count ?? 1) > 1), {
    message: 'an explicit mac is for one interface only',
    path: ['mac'],
  })
  .refine((r) => !(r.interfaces && new Set(r.interfaces).size !== r.interfaces.length), {
    message: 'interface names must be unique',
    path: ['interfaces'],
  });
export type AttachRequest = z.infer<typeof attachRequest>;
export type AttachRequestInput = z.input<typeof attachRequest>;

/** An attachment as the API answers it. */
export const attachment = z.strictObject({
  id: z.string(),
  tenant: z.string(),
  pool: z.string(),
  consumer: consumerRecord,
  interface: z.string(),
  /** The host whose VF this is (its hostname). */
  host: z.string(),
  /** The PF: its PCI address (or netdevsim<ID>) and netdev at allocation time (null: none). */
  pf: z.string(),
  pfNetdev: z.string().nullable(),
  vfIndex: z.number().int(),
  vfPciAddress: z.string().nullable(),
  numaNode: z.number().int(),
  state: attachmentState,
  /** Why the attachment is `failed`, or the read-back result after configuring. */
  detail: z.string().nullable(),
  /** The idempotency key of the request that created it, if any. */
  requestKey: z.string().nullable(),
  /** Who asked for it (token name, `local-root`). */
  requestedBy: z.string(),
  /** The VF settings it holds; mac is null for a VF without a network (NVMe, accelerators). */
  mac: z.string().nullable(),
  vlan: z.number().int(),
  qos: z.number().int(),
  vlanProto: z.enum(['802.1Q', '802.1ad']),
  minTxRate: z.number().int(),
  maxTxRate: z.number().int(),
  trust: z.boolean(),
  spoofchk: z.boolean(),
  linkState,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Attachment = z.infer<typeof attachment>;

/** How many candidate VFs each placement rule removed, in the order the rules apply. */
export const placementExplanation = z.strictObject({
  poolVfs: z.number().int(),
  excluded: z.array(z.strictObject({ rule: z.string(), count: z.number().int() })),
  candidates: z.number().int(),
  strategy: placementStrategy,
});
export type PlacementExplanation = z.infer<typeof placementExplanation>;

/** What POST /attachments answers (201). */
export const attachResult = z.strictObject({
  attachments: z.array(attachment),
  placement: placementExplanation,
  /** How each VF was chosen, in the order of `attachments`. */
  reasons: z.array(z.string()),
});
export type AttachResult = z.infer<typeof attachResult>;

/** What POST /placements answers: what an attach would get, and why, without attaching. */
export const placementPreview = z.strictObject({
  ok: z.boolean(),
  reason: z.string().exactOptional(),
  /** The refusal's stable code (`vf-quota`, `no-capacity`, ...). */
  code: z.string().exactOptional(),
  /** What would make the request fit, when placement knows (enable the IOMMU, ...). */
  fix: z.string().exactOptional(),
  choices: z.array(
    z.strictObject({
      pf: z.string(),
      pfNetdev: z.string().nullable(),
      vfIndex: z.number().int(),
      numaNode: z.number().int(),
      why: z.string(),
    }),
  ),
  placement: placementExplanation.nullable(),
});
export type PlacementPreview = z.infer<typeof placementPreview>;

/** `{id}` in a path: an attachment or token ID. */
export const idParam = z.object({ id: z.uuid() }).strict();

/** GET /attachments' filters. */
export const attachmentQuery = z
  .object({
    tenant: resourceName.optional(),
    pool: resourceName.optional(),
    consumer: consumerName.optional(),
    state: attachmentState.optional(),
  })
  .strict();
export type AttachmentQuery = z.infer<typeof attachmentQuery>;

/** DELETE /attachments/{id}'s options. */
export const detachQuery = z
  .object({
    force: z
      .enum(['true', 'false'])
      .optional()
      .describe(
        'admin only: release the VF even when the kernel will not scrub it (or a timed-out kernel operation on it has not returned)',
      ),
  })
  .strict();

/** The Idempotency-Key header of attach and detach. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,128}$/, '8 to 128 of A-Z, a-z, 0-9, "_.:-" (a UUID is ideal)')
    .optional(),
});

/** What POST /reconcile answers: the attachments it finished, rolled back, scrubbed, ... */
export const reconcileReport = z.strictObject({
  completed: z.array(z.string()),
  rolledBack: z.array(z.string()),
  scrubbed: z.array(z.string()),
  reapplied: z.array(z.string()),
  orphaned: z.array(z.string()),
  failed: z.array(z.strictObject({ id: z.string(), reason: z.string() })),
});
export type ReconcileReport = z.infer<typeof reconcileReport>;
