/**
 * One VF's settings, the one model every layer uses: what sriovctl wants on a VF (`VfSettings`:
 * a policy's desired state, a plan step, an attachment, a scrub), what the PF reports it has
 * (`KernelVfSettings`, from IFLA_VFINFO_LIST), and the one comparison of the two
 * (`diffVfSettings`), used by the planner, the executor's read-back and the ledger's reconcile.
 *
 * The comparison says, per field, `equal`, `differs` or `unknown`: unknown when the kernel did not
 * report the VF at all (past a truncated netlink VF list) or the driver left the field unreported
 * (spoofchk and trust are -1 then). Unknown is never a difference. The VLAN protocol is compared
 * only when the VLAN is tagged: with VLAN 0 and QoS 0 there is no tag and no protocol to keep.
 * Pure, and low in the graph (next to the seam types it mirrors).
 */
import { UnsafeInputError } from './errors.js';
import type { VfInfo, VfLinkState, VlanProto } from './host.js';
import type { Brand, MacAddress } from './names.js';

/** An 802.1Q VLAN ID, 0 (no VLAN) to 4095, as the kernel takes it. */
export type VlanId = Brand<number, 'VlanId'>;
/** A VF transmit rate in Mbit/s, as the kernel takes it; 0 means no limit (max) or none (min). */
export type Mbps = Brand<number, 'Mbps'>;

/** iproute2 keeps (u32)-1 for "unset", so the largest rate that can be sent is one less. */
export const MAX_MBPS = 0xffff_fffe;

function integer(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UnsafeInputError(field, String(value), `an integer from ${min} to ${max}`);
  return value;
}

/** Validates a VLAN ID (0-4095). */
export function vlanId(value: number, field = 'vlan'): VlanId {
  return integer(value, field, 0, 4095) as VlanId;
}

/** Validates a rate in Mbit/s (a whole number from 0). */
export function mbps(value: number, field = 'rate'): Mbps {
  return integer(value, field, 0, MAX_MBPS) as Mbps;
}

/** A VF's VLAN as one setting: ID, 802.1p priority and tag protocol go to the kernel together. */
export interface VfVlan {
  vlan: VlanId;
  /** 802.1p priority, 0-7. */
  qos: number;
  proto: VlanProto;
}

/** The settings sriovctl wants on a VF; absent fields are left as they are. */
export interface VfSettings {
  mac?: MacAddress;
  vlan?: VfVlan;
  minTxRate?: Mbps;
  maxTxRate?: Mbps;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
}

/** One VF's settings as the PF reports them; null where the driver does not report the field. */
export interface KernelVfSettings {
  mac: MacAddress;
  vlan: VlanId;
  qos: number;
  vlanProto: VlanProto;
  minTxRate: Mbps;
  maxTxRate: Mbps;
  spoofchk: boolean | null;
  trust: boolean | null;
  linkState: VfLinkState;
}

/**
 * The settings of a VF entry of the kernel's VF list (the seam's read shape). The only conversion
 * from VfInfo: values the kernel reported need no validation, only their names.
 */
export function kernelVfSettings(info: VfInfo): KernelVfSettings {
  return {
    mac: info.mac,
    vlan: info.vlan as VlanId,
    qos: info.qos,
    vlanProto: info.vlanProto,
    minTxRate: info.minTxRate as Mbps,
    maxTxRate: info.maxTxRate as Mbps,
    spoofchk: info.spoofchk ?? null,
    trust: info.trust ?? null,
    linkState: info.linkState,
  };
}

/** Whether a VLAN puts a tag on the wire (only then does its protocol mean anything). */
export function isTagged(v: Pick<VfVlan, 'vlan' | 'qos'>): boolean {
  return v.vlan !== 0 || v.qos !== 0;
}

/** The fields the comparison reports on, in the order the kernel applies them. */
export type VfSettingField = keyof KernelVfSettings;

/** One compared field: its wanted value, what the kernel reports (null: unknown), and the verdict. */
export type FieldDiff = {
  [F in VfSettingField]: {
    field: F;
    verdict: 'equal' | 'differs' | 'unknown';
    wanted: NonNullable<KernelVfSettings[F]>;
    found: KernelVfSettings[F] | null;
  };
}[VfSettingField];

export interface VfSettingsDiff {
  /** One entry per field the wanted settings give (vlanProto only for a tagged VLAN). */
  fields: FieldDiff[];
  /** The fields whose reported value is not the wanted one. */
  differs: FieldDiff[];
  /** The fields that could not be compared: the VF or the field is not reported. */
  unknown: FieldDiff[];
  /** `differs` if any field differs; else `unknown` if any is unknown; else `equal`. */
  verdict: 'equal' | 'differs' | 'unknown';
}

/** The wanted settings as flat fields, in the kernel's order; vlanProto only for a tagged VLAN. */
function wantedFields(w: VfSettings): { field: VfSettingField; wanted: unknown }[] {
  const out: { field: VfSettingField; wanted: unknown }[] = [];
  if (w.mac !== undefined) out.push({ field: 'mac', wanted: w.mac });
  if (w.vlan !== undefined) {
    out.push({ field: 'vlan', wanted: w.vlan.vlan }, { field: 'qos', wanted: w.vlan.qos });
    if (isTagged(w.vlan)) out.push({ field: 'vlanProto', wanted: w.vlan.proto });
  }
  if (w.minTxRate !== undefined) out.push({ field: 'minTxRate', wanted: w.minTxRate });
  if (w.maxTxRate !== undefined) out.push({ field: 'maxTxRate', wanted: w.maxTxRate });
  if (w.spoofchk !== undefined) out.push({ field: 'spoofchk', wanted: w.spoofchk });
  if (w.trust !== undefined) out.push({ field: 'trust', wanted: w.trust });
  if (w.linkState !== undefined) out.push({ field: 'linkState', wanted: w.linkState });
  return out;
}

/**
 * Compares what is wanted with what the kernel reports (`found` null or undefined: the VF is not
 * in the kernel's list, so every field is unknown). See the module comment for the rules.
 */
export function diffVfSettings(
  wanted: VfSettings,
  found: KernelVfSettings | null | undefined,
): VfSettingsDiff {
  const fields = wantedFields(wanted).map(({ field, wanted: w }) => {
    const f = found ? found[field] : null;
    const verdict = f === null ? 'unknown' : f === w ? 'equal' : 'differs';
    return { field, verdict, wanted: w, found: f } as FieldDiff;
  });
  const differs = fields.filter((d) => d.verdict === 'differs');
  const unknown = fields.filter((d) => d.verdict === 'unknown');
  const verdict = differs.length ? 'differs' : unknown.length ? 'unknown' : 'equal';
  return { fields, differs, unknown, verdict };
}

/** The VfSettings key a compared field belongs to (VLAN ID, priority and protocol are one). */
export function settingOf(field: VfSettingField): keyof VfSettings {
  return field === 'qos' || field === 'vlanProto' ? 'vlan' : field;
}

/** The part of `wanted` that sets the given fields (the whole VLAN for any of its parts). */
export function settingsFor(wanted: VfSettings, fields: readonly FieldDiff[]): VfSettings {
  const out: VfSettings = {};
  for (const d of fields) {
    const key = settingOf(d.field);
    if (wanted[key] !== undefined) Object.assign(out, { [key]: wanted[key] });
  }
  return out;
}
