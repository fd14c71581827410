/**
 * The desired state policies resolve to on one host: per PF, the VF count, PF settings, and per VF
 * the driver and the settings the executor applies. Pure: an Inventory and loaded policies in, data
 * out; plan and apply compare it with the host.
 */
import { createHash } from 'node:crypto';
import type { EswitchMode } from '../host/host.js';
import { ZERO_MAC, type MacAddress, type PfId } from '../host/names.js';
import type { Inventory } from '../inventory/types.js';
import { mbps, vlanId, type VfSettings } from '../host/vf-settings.js';
import { mergePf, byPriority, type GroupPlacement, type MergedPf } from './merge.js';
import type { DriftAction, LoadedPolicy, PfAdminState, PolicyIssue, VfDriver } from './schema.js';
import { selectPfs, type Selection } from './select.js';
import {
  checkDuplicateMacs,
  checkMergedPf,
  checkNames,
  checkPolicy,
  checkSelection,
  type MacUse,
} from './validate.js';

export interface DesiredVf {
  vfIndex: number;
  driver: VfDriver;
  /** What the executor sets through the PF; absent fields are left as they are. */
  settings: VfSettings;
  /** The VF netdev's MTU (host driver only). */
  mtu?: number;
  /** The policy whose group configures this VF. */
  policy: string;
}

export interface DesiredPf {
  pciAddress: PfId;
  netdev: string | null;
  numVfs: number;
  mtu?: number;
  eswitchMode?: EswitchMode;
  /** The PF's administrative state; absent: left unchanged unless creating VFs needs it up. */
  adminState?: PfAdminState;
  /** What the daemon does about drift on this PF (default: report). */
  drift?: DriftAction;
  /** One entry per VF index that a group covers, by vfIndex; other VFs are left as they are. */
  vfs: DesiredVf[];
  /** The policies selecting this PF, strongest first. */
  sources: string[];
  /** How the merge was decided where policies overlapped (which policy won what). */
  notes: string[];
}

export interface Resolution {
  /** Empty whenever `errors` is not: a half-resolved state must never be applied. */
  desired: DesiredPf[];
  errors: PolicyIssue[];
  warnings: PolicyIssue[];
}

/**
 * A stable locally administered unicast MAC for a VF: the first 6 bytes of
 * SHA-256("sriovctl/auto-mac/v1\n<hostname>\n<PF PCI address>\n<vfIndex>"), with the first octet's
 * multicast bit cleared and locally-administered bit set. Same host, PF and index → same MAC, on
 * every run and after every reboot; different hosts get different MACs for the same layout.
 */
export function autoMac(hostname: string, pciAddress: string, vfIndex: number): MacAddress {
  const h = createHash('sha256')
    .update(`sriovctl/auto-mac/v1\n${hostname}\n${pciAddress}\n${vfIndex}`)
    .digest();
  const bytes = [...h.subarray(0, 6)];
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':') as MacAddress;
}

/** Selects, merges and validates policies against an inventory: the desired state per PF. */
export function resolvePolicies(docs: LoadedPolicy[], inv: Inventory): Resolution {
  const issues: PolicyIssue[] = [];
  for (const p of docs) issues.push(...p.warnings, ...checkPolicy(p));
  issues.push(...checkNames(docs));

  const perPf = new Map<string, { policy: LoadedPolicy; selection: Selection }[]>();
  for (const policy of docs) {
    const selections = selectPfs(policy, inv);
    issues.push(...checkSelection(policy, selections, inv));
    for (const selection of selections) {
      const list = perPf.get(selection.pf.pciAddress) ?? [];
      list.push({ policy, selection });
      perPf.set(selection.pf.pciAddress, list);
    }
  }

  const desired: DesiredPf[] = [];
  const macs: MacUse[] = [];
  for (const pf of inv.pfs) {
    const selected = perPf.get(pf.pciAddress);
    if (!selected) continue;
    const merged = mergePf(pf, selected);
    issues.push(...merged.errors, ...checkMergedPf(merged, inv));
    if (merged.numVfs === null) continue;
    desired.push(toDesired(merged, merged.numVfs.value, inv.host.hostname, macs));
  }
  issues.push(...checkDuplicateMacs(macs, inv));

  const sorted = dedupe(issues).sort(byLocation);
  const errors = sorted.filter((i) => i.severity === 'error');
  const warnings = sorted.filter((i) => i.severity === 'warning');
  return { desired: errors.length > 0 ? [] : desired, errors, warnings };
}

function toDesired(m: MergedPf, numVfs: number, hostname: string, macs: MacUse[]): DesiredPf {
  const out: DesiredPf = {
    pciAddress: m.pf.pciAddress,
    netdev: m.pf.netdev,
    numVfs,
    vfs: [],
    sources: [...m.policies].sort(byPriority).map((p) => p.name),
    notes: m.notes,
  };
  if (m.mtu) out.mtu = m.mtu.value;
  if (m.eswitchMode) out.eswitchMode = m.eswitchMode.value;
  if (m.adminState) out.adminState = m.adminState.value;
  if (m.drift) out.drift = m.drift.value;
  for (const { vfIndex, placement } of m.vfs) {
    const settings = vfSettings(placement, vfIndex, hostname, m.pf.pciAddress);
    const g = placement.group;
    if (settings.mac !== undefined && settings.mac !== ZERO_MAC) {
      const j = placement.indexes.indexOf(vfIndex);
      const path = `spec.vfGroups[${placement.groupIndex}].mac${Array.isArray(g.mac) ? `[${j}]` : ''}`;
      macs.push({ mac: settings.mac, policy: placement.policy, path, pf: m.pf, vfIndex });
    }
    const vf: DesiredVf = { vfIndex, driver: g.driver, settings, policy: placement.policy.name };
    if (g.mtu !== undefined && g.driver === 'host') vf.mtu = g.mtu;
    out.vfs.push(vf);
  }
  return out;
}

/** The executor's settings for one VF of a group. */
function vfSettings(pl: GroupPlacement, vfIndex: number, hostname: string, pci: PfId): VfSettings {
  const g = pl.group;
  const s: VfSettings = {};
  if (g.mac === 'none') s.mac = ZERO_MAC;
  else if (g.mac === 'auto') s.mac = autoMac(hostname, pci, vfIndex);
  else if (Array.isArray(g.mac)) {
    const m = g.mac[pl.indexes.indexOf(vfIndex)];
    if (m !== undefined) s.mac = m;
  }
  if (g.vlan !== undefined || g.qos !== undefined || g.vlanProto !== undefined) {
    s.vlan = { vlan: vlanId(g.vlan ?? 0), qos: g.qos ?? 0, proto: g.vlanProto ?? '802.1Q' };
  }
  // The policy schema checked the ranges; the constructors give the values their names.
  if (g.minTxRate !== undefined) s.minTxRate = mbps(g.minTxRate, 'minTxRate');
  if (g.maxTxRate !== undefined) s.maxTxRate = mbps(g.maxTxRate, 'maxTxRate');
  if (g.spoofchk !== undefined) s.spoofchk = g.spoofchk;
  if (g.trust !== undefined) s.trust = g.trust;
  if (g.linkState !== undefined) s.linkState = g.linkState;
  return s;
}

// A group selected on several PFs can raise the same host-wide problem (IOMMU off) once per PF.
function dedupe(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => (seen.has(i.text) ? false : (seen.add(i.text), true)));
}

function byLocation(a: PolicyIssue, b: PolicyIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
}
