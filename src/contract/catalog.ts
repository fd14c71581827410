/**
 * Tenants and pools: what PUT /tenants/{name} and PUT /pools/{name} take, and what the catalog
 * routes answer (the ledger's rows as they are), including a pool's VFs and who holds them.
 */
import { z } from 'zod';
import { attachmentState, consumerRecord } from './attachments.js';
import { rangeText, resourceName, timestamp, txRate, vlanSet } from './fields.js';
import { pfSelectorFields } from './selector.js';

/** `{name}` in a path. */
export const nameParam = z.object({ name: resourceName }).strict();

export const tenantSpec = z
  .object({
    description: z.string().max(500).optional(),
    /** Pools this tenant may take VFs from. */
    pools: z.array(resourceName).max(64).default([]),
    /** VLAN IDs the tenant may use, as ranges ("100-199,300"); 0 allows untagged VFs. */
    vlans: vlanSet,
    /** Most VFs the tenant may hold at once; absent means no limit. */
    maxVfs: z.number().int().min(0).max(65536).optional(),
    /** Most guaranteed bandwidth (sum of minTxRate, Mbit/s) the tenant may hold; absent: no limit. */
    maxGuaranteedMbps: txRate.optional(),
    /** Whether attachments may set trust (and so turn spoofchk off). */
    allowTrust: z.boolean().default(false),
  })
  .strict();
export type TenantSpec = z.infer<typeof tenantSpec>;

export const tenantInput = tenantSpec.extend({ name: resourceName }).strict();
export type TenantInput = z.input<typeof tenantInput>;

/** A tenant as the API answers it (and the ledger keeps it). */
export const tenant = tenantSpec.extend({
  name: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Tenant = z.infer<typeof tenant>;

export const poolSelector = z
  .object({
    /**
     * The policy selector's fields, with its rules and messages: pfNames ("ens1f0",
     * "ens1f0#0-63"), pciAddresses (or netdevsim<ID> names), vendor, deviceID, drivers.
     */
    ...pfSelectorFields,
    /** VF indexes on every selected PF ("0-63"); absent means all. */
    vfRange: rangeText.optional(),
  })
  .strict()
  .refine(
    (s) => Object.values(s).some((v) => v !== undefined),
    'an empty selector would take every VF on the host; name pfNames, pciAddresses, vendor, deviceID or drivers',
  );
export type PoolSelector = z.infer<typeof poolSelector>;

/** The driver a pool's VFs are on while attached and after scrubbing: vfio-pci or host. */
export const poolDriver = z.enum(['vfio-pci', 'host']);
export type PoolDriver = z.infer<typeof poolDriver>;

export const poolSpec = z
  .object({
    description: z.string().max(500).optional(),
    selector: poolSelector,
    /** The driver a VF of this pool is on while attached and after scrubbing: vfio-pci or host. */
    vfDriver: poolDriver.default('vfio-pci'),
  })
  .strict();
export type PoolSpec = z.infer<typeof poolSpec>;

export const poolInput = poolSpec.extend({ name: resourceName }).strict();
export type PoolInput = z.input<typeof poolInput>;

/** A pool as the API answers it (and the ledger keeps it). */
export const pool = poolSpec.extend({
  name: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Pool = z.infer<typeof pool>;

/** One VF of a pool as GET /pools/{name}/vfs answers it. */
export const poolVf = z.strictObject({
  /** The PF: its PCI address (or netdevsim<ID>) and netdev (null: none). */
  pf: z.string(),
  pfNetdev: z.string().nullable(),
  vfIndex: z.number().int(),
  /** Null for a VF that is not on PCI (netdevsim). */
  pciAddress: z.string().nullable(),
  numaNode: z.number().int(),
  driver: z.string().nullable(),
  /** `unusable`: free, but the pool's driver cannot work with it on this host (see `unusable`). */
  status: z.enum(['free', 'taken', 'unusable']),
  unusable: z.strictObject({ reason: z.string(), fix: z.string() }).exactOptional(),
  /** Who holds it: only for VFs the caller may see (other tenants' VFs show only as taken). */
  attachment: z.string().exactOptional(),
  tenant: z.string().exactOptional(),
  consumer: consumerRecord.exactOptional(),
  state: attachmentState.exactOptional(),
});
export type PoolVf = z.infer<typeof poolVf>;

/** One problem of a form being typed: the field's path (`selector.pfNames.1`) and what to fix. */
export const fieldIssue = z.strictObject({ field: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof fieldIssue>;

/** What POST /pools/preview and POST /tenants/check take: a form as typed, checked in the route. */
export const formDraft = z.record(z.string(), z.unknown());

/** One PF a previewed selector takes VFs of: how many, and which (as ranges, "0-7,12"). */
export const poolPreviewPf = z.strictObject({
  pf: z.string(),
  pfNetdev: z.string().nullable(),
  count: z.number().int(),
  vfIndexes: z.string(),
});

/**
 * What POST /pools/preview answers: the draft's problems by PUT /pools/{name}'s schema (the name
 * may be absent), and the VFs its selector matches on this host now, per PF (null while the
 * selector itself has a problem).
 */
export const poolPreview = z.strictObject({
  errors: z.array(fieldIssue),
  matches: z.strictObject({ total: z.number().int(), pfs: z.array(poolPreviewPf) }).nullable(),
});
export type PoolPreview = z.infer<typeof poolPreview>;

/** What POST /tenants/check answers: the draft's problems by PUT /tenants/{name}'s schema. */
export const formCheck = z.strictObject({ errors: z.array(fieldIssue) });
export type FormCheck = z.infer<typeof formCheck>;
