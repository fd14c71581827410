/**
 * The ledger's model: tenants, pools, attachments, audit entries and API tokens. The requests the
 * ledger takes and the rows that go out unchanged (tenants, pools, tokens, audit entries) are the
 * API contract's (src/contract), which also validates them wherever they enter (HTTP bodies, CLI
 * flags); an attachment is the ledger's own, pinned to the contract's wire shape by a type test.
 */
import type { AttachmentState, Consumer, VlanProto } from '../contract/index.js';
import { macAddress, ZERO_MAC } from '../host/names.js';
import { mbps, vlanId, type VfSettings } from '../host/vf-settings.js';

export type {
  AttachmentState,
  AttachRequest,
  AttachRequestInput,
  AuditEntry,
  Consumer,
  ConsumerInput,
  Pool,
  PoolInput,
  PoolSelector,
  PoolSpec,
  Role,
  Tenant,
  TenantInput,
  TenantSpec,
  TokenInput,
  TokenRecord,
} from '../contract/index.js';

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
