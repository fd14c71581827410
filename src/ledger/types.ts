/**
 * The ledger's model: tenants, pools, attachments, audit entries and API tokens, with the zod
 * schemas that validate them wherever they enter (HTTP bodies, CLI flags, database rows).
 */
import { z } from 'zod';
import type { VlanProto } from '../host/host.js';
import { macAddress, ZERO_MAC } from '../host/names.js';
import { mbps, vlanId, type VfSettings } from '../host/vf-settings.js';
import { parseRange } from '../policy/ranges.js';
import { pfSelectorFields } from '../policy/selector-fields.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** DNS-label names for tenants and pools: safe in URLs, logs and metric labels. */
export const resourceName = z
  .string()
  .regex(NAME_RE, 'a lowercase DNS label: a-z, 0-9 and "-", at most 63 characters, e.g. "team-a"');

/** Linux interface-style names for a consumer's interfaces (net0, eth1, ens5). */
export const interfaceName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, 'a letter then up to 14 of a-z, 0-9, "_", ".", "-"');

/** A VM, pod or process name: printable, no path or line separators. */
export const consumerName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-zA-Z0-9]([a-zA-Z0-9_.:/-]*[a-zA-Z0-9])?$/,
    'letters, digits and "_.:/-" (e.g. "vm-42" or "default/web-0")',
  );

const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/, 'a host name (letters, digits, "." and "-")');

const rangeText = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const r = parseRange(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  });

const VLAN_MAX = 4094;
const vlanSet = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const r = parseRange(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
    else if (r.indexes.some((n) => n > VLAN_MAX))
      ctx.addIssue({ code: 'custom', message: `VLAN IDs go from 0 (untagged) to ${VLAN_MAX}` });
  });

export const macText = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'six lowercase hex pairs separated by ":"')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be unicast (first octet even)')
  .refine((m) => m !== '00:00:00:00:00:00', 'must not be all zeros');

const rate = z.number().int().min(0).max(4_000_000);

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
    maxGuaranteedMbps: rate.optional(),
    /** Whether attachments may set trust (and so turn spoofchk off). */
    allowTrust: z.boolean().default(false),
  })
  .strict();
export type TenantSpec = z.infer<typeof tenantSpec>;

export const tenantInput = tenantSpec.extend({ name: resourceName }).strict();
export type TenantInput = z.input<typeof tenantInput>;

export interface Tenant extends TenantSpec {
  name: string;
  createdAt: string;
  updatedAt: string;
}

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

export const poolSpec = z
  .object({
    description: z.string().max(500).optional(),
    selector: poolSelector,
    /** The driver a VF of this pool is on while attached and after scrubbing: vfio-pci or host. */
    vfDriver: z.enum(['vfio-pci', 'host']).default('vfio-pci'),
  })
  .strict();
export type PoolSpec = z.infer<typeof poolSpec>;

export const poolInput = poolSpec.extend({ name: resourceName }).strict();
export type PoolInput = z.input<typeof poolInput>;

export interface Pool extends PoolSpec {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export const consumerKind = z.enum(['vm', 'pod', 'process']);
export const consumer = z
  .object({ kind: consumerKind, name: consumerName, host: hostName.optional() })
  .strict();
export type ConsumerInput = z.infer<typeof consumer>;
export interface Consumer {
  kind: 'vm' | 'pod' | 'process';
  name: string;
  host: string;
}

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
    minTxRate: rate.default(0),
    maxTxRate: rate.default(0),
    trust: z.boolean().default(false),
    spoofchk: z.boolean().optional(),
    linkState: z.enum(['auto', 'enable', 'disable']).default('auto'),
    mac: macText.optional(),
    numa: z
      .object({ node: z.number().int().min(0).max(1023), mode: z.enum(['preferred', 'required']) })
      .strict()
      .optional(),
    strategy: z.enum(['spread', 'pack']).default('spread'),
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

/**
 * attaching: reserved, being configured; attached: configured; detaching: being scrubbed;
 * failed: the kernel refused (or did not answer) a scrub, so the VF is kept out of the pool until
 * a detach, a reconcile or an admin's forced detach releases it (its `detail` says which);
 * orphaned: its VF disappeared (numVfs lowered, device gone) while a consumer held it.
 */
export type AttachmentState = 'attaching' | 'attached' | 'detaching' | 'failed' | 'orphaned';

/** The VF settings an attachment holds, as the executor applies them. */
export interface AttachmentSettings {
  /** null for a VF without a network (its PF has no netdev: NVMe, accelerators). */
  mac: string | null;
  vlan: number;
  qos: number;
  /** The VLAN's tag protocol (rows from before it was recorded are 802.1Q). */
  vlanProto: VlanProto;
  minTxRate: number;
  maxTxRate: number;
  trust: boolean;
  spoofchk: boolean;
  linkState: 'auto' | 'enable' | 'disable';
}

/** Just the VF settings of an attachment (or anything shaped like one). */
export function attachmentSettings(a: AttachmentSettings): AttachmentSettings {
  return {
    mac: a.mac,
    vlan: a.vlan,
    qos: a.qos,
    vlanProto: a.vlanProto,
    minTxRate: a.minTxRate,
    maxTxRate: a.maxTxRate,
    trust: a.trust,
    spoofchk: a.spoofchk,
    linkState: a.linkState,
  };
}

/**
 * An attachment's settings in the one VF settings model, for the executor and the comparison with
 * the kernel (every field set; a VF without a network has the zero MAC, as a scrub leaves it).
 */
export function attachmentVfSettings(a: AttachmentSettings): Required<VfSettings> {
  return {
    mac: a.mac === null ? ZERO_MAC : macAddress(a.mac),
    vlan: { vlan: vlanId(a.vlan), qos: a.qos, proto: a.vlanProto },
    minTxRate: mbps(a.minTxRate, 'minTxRate'),
    maxTxRate: mbps(a.maxTxRate, 'maxTxRate'),
    spoofchk: a.spoofchk,
    trust: a.trust,
    linkState: a.linkState,
  };
}

export interface Attachment extends AttachmentSettings {
  id: string;
  tenant: string;
  pool: string;
  consumer: Consumer;
  interface: string;
  /** The host whose VF this is (its hostname). */
  host: string;
  /** The PF: its PCI address (or netdevsim<ID>) and netdev at allocation time (null: none). */
  pf: string;
  pfNetdev: string | null;
  vfIndex: number;
  vfPciAddress: string | null;
  numaNode: number;
  state: AttachmentState;
  /** Why the attachment is `failed`, or the read-back result after configuring. */
  detail: string | null;
  /** The idempotency key of the request that created it, if any. */
  requestKey: string | null;
  /** Who asked for it (token name, `local-root`). */
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  /** Who: a token name, `local-root` (unix socket) or `sriovctl` (reconcile). */
  actor: string;
  action: string;
  /** The tenant the entry concerns, so tenant-scoped readers see their own history. */
  tenant: string | null;
  /** What: `tenant/team-a`, `pool/gpu`, `attachment/<id>`, `vf/0000:3b:00.0#4`. */
  target: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export type Role = 'admin' | 'operator' | 'viewer';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  /** Set for tenant-scoped tokens: they see and act on this tenant only. */
  tenant: string | null;
  createdAt: string;
}

export const tokenInput = z
  .object({
    name: resourceName,
    role: z.enum(['admin', 'operator', 'viewer']),
    tenant: resourceName.optional(),
  })
  .strict()
  .refine((t) => !(t.role === 'admin' && t.tenant), {
    message: 'an admin token cannot be tenant-scoped; use operator or viewer',
    path: ['role'],
  });
export type TokenInput = z.infer<typeof tokenInput>;
