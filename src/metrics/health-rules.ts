/**
 * Health rules: pure functions from what the daemon knows (inventory, the latest link dump and
 * traffic rates, the ledger, the drift watcher's last word) to findings — a subject that is not
 * ok, how bad, and the evidence. The evaluator (health.ts) adds "since when" and publishes changes.
 */
import { checkFirmwareConsistency } from '../doctor/consistency.js';
import { runDoctor } from '../doctor/run.js';
import type { DoctorReport } from '../doctor/types.js';
import type { LinkDump, LinkInfo, VfInfo } from '../host/host.js';
import type { Inventory, PfSnapshot, VfSnapshot } from '../inventory/types.js';
import { pfBandwidth, type PlacementConfig } from '../ledger/placement.js';
import type { Attachment } from '../ledger/types.js';
import type { DriftEvent } from '../policy/drift.js';
import type { HealthConfig } from './health-config.js';
import { vfKey, type LedgerSnapshot } from './ledger-view.js';
import type { TrafficRates } from './traffic.js';

export const RULES = [
  'pf-link-down',
  'vf-link-down',
  'vf-drops',
  'drift',
  'firmware-mismatch',
  'qos-oversubscribed',
  'doctor',
] as const;
export type RuleId = (typeof RULES)[number];

export const RULE_TITLES: Record<RuleId, string> = {
  'pf-link-down': 'PF links are up',
  'vf-link-down': 'Attached VFs have link',
  'vf-drops': 'VF drop rates are below thresholds',
  drift: 'The host matches the applied policy',
  'firmware-mismatch': 'Same-model PFs run the same firmware and driver',
  'qos-oversubscribed': 'Guaranteed rates fit the links',
  doctor: 'Preflight checks pass',
};

export type HealthStatus = 'ok' | 'warn' | 'fail';

/** A subject that is not ok, before the evaluator stamps it with `since`. */
export interface Finding {
  rule: RuleId;
  /** `ens1f0` (a PF), `ens1f0#3` (a VF), `host`, `ens1f0:pf.vf-list` (a doctor check). */
  subject: string;
  status: 'warn' | 'fail';
  message: string;
  evidence: string[];
  fix?: string;
  /** The tenant holding the VF a finding is about: tenant tokens see only their own. */
  tenant: string | null;
  /** The PF netdev (or PCI address) and VF index the finding concerns, when it is about one. */
  pf?: string;
  vf?: number;
}

/** The drift watcher's last word, kept between passes. */
export interface DriftState {
  /** Steps of the last pass that found drift, by PF; empty when in sync or unknown. */
  steps: Map<string, { what: string; why: string }[]>;
  /** Why the last repair was skipped, or failed; null when none. */
  skipped: string | null;
  repairFailed: string | null;
  /** The last pass's error (the watcher could not plan), null when it planned. */
  error: string | null;
  at: string | null;
}

export function emptyDriftState(): DriftState {
  return { steps: new Map(), skipped: null, repairFailed: null, error: null, at: null };
}

/** Folds one drift watcher event into the state. */
export function applyDriftEvent(s: DriftState, e: DriftEvent): void {
  s.at = e.at;
  switch (e.type) {
    case 'in-sync':
      s.steps = new Map();
      s.skipped = s.repairFailed = s.error = null;
      return;
    case 'drift': {
      const steps = new Map<string, { what: string; why: string }[]>();
      for (const st of e.steps) {
        const list = steps.get(st.pf) ?? [];
        list.push({ what: st.what, why: st.why });
        steps.set(st.pf, list);
      }
      s.steps = steps;
      s.error = null;
      return;
    }
    case 'repaired':
      s.steps = new Map();
      s.skipped = s.repairFailed = null;
      return;
    case 'repair-skipped':
      s.skipped = e.reason;
      return;
    case 'repair-failed':
      s.repairFailed = e.hint ? `${e.error} (${e.hint})` : e.error;
      return;
    case 'error':
      s.error = e.error;
      return;
  }
}

export interface RuleInput {
  inv: Inventory;
  dump: LinkDump;
  /** Rates between the last two samples; null before there are two. */
  rates: TrafficRates | null;
  ledger: LedgerSnapshot;
  drift: DriftState;
  placement: PlacementConfig;
  config: HealthConfig;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
const pfName = (pf: PfSnapshot) => pf.netdev ?? pf.pciAddress;

function linkLine(l: LinkInfo): string {
  return `link dump: ${l.ifname} admin ${l.adminUp ? 'UP' : 'DOWN'}, carrier ${l.lowerUp ? 'up' : 'down'}, operstate ${l.operstate}`;
}

/** Links by name and each PF link's VFs by index, built once per rule pass. */
class DumpIndex {
  readonly links = new Map<string, LinkInfo>();
  private readonly vfs = new Map<string, Map<number, VfInfo>>();
  constructor(dump: LinkDump) {
    for (const l of dump.links) this.links.set(l.ifname, l);
  }
  vf(ifname: string, vf: number): VfInfo | undefined {
    let m = this.vfs.get(ifname);
    if (!m) {
      m = new Map((this.links.get(ifname)?.vfs ?? []).map((v) => [v.vf, v]));
      this.vfs.set(ifname, m);
    }
    return m.get(vf);
  }
}

function pfLinkDown(input: RuleInput, d: DumpIndex): Finding[] {
  const cfg = input.config.pfLinkDown;
  const out: Finding[] = [];
  for (const pf of input.inv.pfs) {
    if (pf.netdev === null || (cfg.onlyWithVfs && pf.numVfs === 0)) continue;
    const link = d.links.get(pf.netdev);
    const vfs = plural(pf.numVfs, 'VF');
    const base = { rule: 'pf-link-down' as const, subject: pf.netdev, status: cfg.severity };
    if (!link) {
      out.push({
        ...base,
        message: `${pf.netdev} is missing from the link dump (renamed or gone): its ${vfs} cannot be watched`,
        evidence: [`link dump: no link named ${pf.netdev} (PF ${pf.pciAddress})`],
        tenant: null,
        pf: pf.netdev,
      });
    } else if (!link.adminUp) {
      out.push({
        ...base,
        message: `${pf.netdev} is administratively down: its ${vfs} have no link`,
        evidence: [linkLine(link)],
        fix: `ip link set dev ${pf.netdev} up`,
        tenant: null,
        pf: pf.netdev,
      });
    } else if (!link.lowerUp) {
      out.push({
        ...base,
        message: `${pf.netdev} has no carrier: its ${vfs} with link-state auto are down`,
        evidence: [linkLine(link)],
        fix: `check the cable, transceiver and switch port of ${pf.netdev} (ethtool ${pf.netdev} must say "Link detected: yes")`,
        tenant: null,
        pf: pf.netdev,
      });
    }
  }
  return out;
}

function vfLinkDown(input: RuleInput, d: DumpIndex): Finding[] {
  const cfg = input.config.vfLinkDown;
  const pfs = new Map<string, PfSnapshot>(input.inv.pfs.map((p) => [p.pciAddress, p]));
  const byIndex = new Map<PfSnapshot, Map<number, VfSnapshot>>();
  const vfsOf = (pf: PfSnapshot) => {
    let m = byIndex.get(pf);
    if (!m) byIndex.set(pf, (m = new Map(pf.vfs.map((v) => [v.vfIndex, v]))));
    return m;
  };
  const out: Finding[] = [];
  for (const a of input.ledger.attachments) {
    if (a.state !== 'attached') continue;
    const pf = pfs.get(a.pf);
    if (!pf?.netdev) continue;
    const link = d.links.get(pf.netdev);
    if (!link) continue;
    const live = d.vf(pf.netdev, a.vfIndex);
    const snap = vfsOf(pf).get(a.vfIndex)?.config ?? null;
    // Past a truncated VF list the kernel's setting is unknown; the attachment's is what was set.
    const state = live?.linkState ?? snap?.linkState ?? a.linkState;
    const known = live !== undefined || snap !== null;
    const subject = `${pf.netdev}#${a.vfIndex}`;
    const who = `${a.consumer.kind} ${a.consumer.name}, tenant ${a.tenant}`;
    const base = {
      rule: 'vf-link-down' as const,
      subject,
      status: cfg.severity,
      tenant: a.tenant,
      pf: pf.netdev,
      vf: a.vfIndex,
    };
    const setting = `${known ? 'link dump' : 'ledger (VF not in the truncated netlink list)'}: ${subject} link-state ${state}`;
    if (state === 'disable' && a.linkState !== 'disable') {
      out.push({
        ...base,
        message: `VF ${a.vfIndex} of ${pf.netdev} (${who}) is forced down (link-state disable); its attachment asks for ${a.linkState}`,
        evidence: [setting, `attachment ${a.id}: linkState ${a.linkState}`],
        fix: `ip link set dev ${pf.netdev} vf ${a.vfIndex} state ${a.linkState}, or POST /api/v1/reconcile`,
      });
    } else if (state === 'auto' && !(link.adminUp && link.lowerUp)) {
      out.push({
        ...base,
        message: `VF ${a.vfIndex} of ${pf.netdev} (${who}) has no link: it follows ${pf.netdev}, which is ${link.adminUp ? 'without carrier' : 'administratively down'}`,
        evidence: [setting, linkLine(link)],
        fix: link.adminUp
          ? `restore the link of ${pf.netdev} (cable, transceiver, switch port)`
          : `ip link set dev ${pf.netdev} up`,
      });
    }
  }
  return out;
}

function vfDrops(input: RuleInput): Finding[] {
  const cfg = input.config.vfDrops;
  const rates = input.rates;
  if (!rates) return [];
  const byNetdev = new Map(input.inv.pfs.map((p) => [p.netdev, p]));
  const out: Finding[] = [];
  const secs = (rates.intervalMs / 1000).toFixed(1);
  for (const r of rates.vfs) {
    const drops = r.rxDroppedPerS + r.txDroppedPerS;
    const status =
      drops >= cfg.failPerSecond && cfg.failPerSecond > 0
        ? 'fail'
        : drops >= cfg.warnPerSecond && cfg.warnPerSecond > 0
          ? 'warn'
          : null;
    if (!status) continue;
    const pf = byNetdev.get(r.pf);
    const a = pf ? input.ledger.byVf.get(vfKey(pf.pciAddress, r.vf)) : undefined;
    const packets = r.rxPacketsPerS + r.txPacketsPerS + drops;
    const share = packets > 0 ? ` (${((drops / packets) * 100).toFixed(1)}% of packets)` : '';
    out.push({
      rule: 'vf-drops',
      subject: `${r.pf}#${r.vf}`,
      status,
      message: `VF ${r.vf} of ${r.pf}${a ? ` (${a.consumer.kind} ${a.consumer.name}, tenant ${a.tenant})` : ''} drops ${Math.round(drops)} packets/s${share}`,
      evidence: [
        `PF VF counters over ${secs} s: rx ${Math.round(r.rxDroppedPerS)} dropped/s, tx ${Math.round(r.txDroppedPerS)} dropped/s, rx ${Math.round(r.rxPacketsPerS)} packets/s, tx ${Math.round(r.txPacketsPerS)} packets/s`,
        `thresholds: warn ${cfg.warnPerSecond}/s, fail ${cfg.failPerSecond}/s`,
      ],
      fix: 'rx drops: the consumer does not drain its queues (guest CPU, ring sizes, a VF driver stuck); tx drops: the VF exceeds its max_tx_rate or the PF is saturated',
      tenant: a?.tenant ?? null,
      pf: r.pf,
      vf: r.vf,
    });
  }
  return out;
}

function drift(input: RuleInput): Finding[] {
  const cfg = input.config.drift;
  const s = input.drift;
  const out: Finding[] = [];
  for (const [pf, steps] of s.steps) {
    const evidence = steps.map((st) => `${st.what} (${st.why})`);
    if (s.skipped) evidence.push(`repair skipped: ${s.skipped}`);
    if (s.repairFailed) evidence.push(`repair failed: ${s.repairFailed}`);
    out.push({
      rule: 'drift',
      subject: pf,
      status: s.repairFailed ? cfg.repairFailedSeverity : cfg.severity,
      message: `${pf} drifted from the policy: ${plural(steps.length, 'step')} to bring it back`,
      evidence,
      fix: 'sriovctl plan / sriovctl apply (or run the daemon with --repair)',
      tenant: null,
      pf,
    });
  }
  if (s.error)
    out.push({
      rule: 'drift',
      subject: 'drift-watcher',
      status: 'warn',
      message: `the drift watcher could not compare the host with the policy: ${s.error}`,
      evidence: [`last pass at ${s.at ?? 'unknown'}: ${s.error}`],
      tenant: null,
    });
  return out;
}

function firmware(input: RuleInput): Finding[] {
  const cfg = input.config.firmware;
  const out: Finding[] = [];
  for (const pf of input.inv.pfs) {
    if (pf.bus === 'netdevsim') continue;
    const r = checkFirmwareConsistency(pf, input.inv);
    if (r.status !== 'warn' && r.status !== 'fail') continue;
    out.push({
      rule: 'firmware-mismatch',
      subject: pfName(pf),
      status: cfg.severity,
      message: `${pfName(pf)}: ${r.title}`,
      evidence: r.evidence,
      ...(r.fix ? { fix: r.fix } : {}),
      tenant: null,
      pf: pfName(pf),
    });
  }
  return out;
}

function qos(input: RuleInput, d: DumpIndex): Finding[] {
  const cfg = input.config.qosOversubscription;
  const out: Finding[] = [];
  const held = new Map<string, Attachment[]>();
  for (const a of input.ledger.attachments) {
    const list = held.get(a.pf) ?? [];
    list.push(a);
    held.set(a.pf, list);
  }
  for (const pf of input.inv.pfs) {
    const cap = pfBandwidth(pf, input.placement);
    if (cap === null) continue;
    // The kernel's minTxRate where the dump has the VF, else the snapshot's, else the ledger's.
    const rates = new Map<number, { mbps: number; source: string }>();
    for (const vf of pf.vfs) {
      const live = pf.netdev ? d.vf(pf.netdev, vf.vfIndex) : undefined;
      if (live) rates.set(vf.vfIndex, { mbps: live.minTxRate, source: 'kernel' });
      else if (vf.config) rates.set(vf.vfIndex, { mbps: vf.config.minTxRate, source: 'kernel' });
    }
    for (const a of held.get(pf.pciAddress) ?? [])
      if (!rates.has(a.vfIndex)) rates.set(a.vfIndex, { mbps: a.minTxRate, source: 'ledger' });
    const total = [...rates.values()].reduce((n, r) => n + r.mbps, 0);
    if (total <= cap) continue;
    const top = [...rates]
      .filter(([, r]) => r.mbps > 0)
      .sort((a, b) => b[1].mbps - a[1].mbps)
      .slice(0, 8)
      .map(([i, r]) => `VF ${i} ${r.mbps} Mbit/s${r.source === 'ledger' ? ' (ledger)' : ''}`);
    out.push({
      rule: 'qos-oversubscribed',
      subject: pfName(pf),
      status: cfg.severity,
      message: `${pfName(pf)} guarantees ${total} Mbit/s but admits ${cap} Mbit/s: the guarantees cannot all hold`,
      evidence: [
        `link ${pf.speedMbps} Mbit/s × oversubscription ${input.placement.oversubscription} = ${cap} Mbit/s`,
        `guaranteed (minTxRate): ${top.join(', ')}${rates.size > top.length ? ', …' : ''}`,
      ],
      fix: `lower minTxRate of VFs on ${pfName(pf)} (ip link set dev ${pf.netdev ?? 'PF'} vf N min_tx_rate M), or move attachments to another PF; a link that renegotiated to a lower speed needs its cable or switch port fixed`,
      tenant: null,
      pf: pfName(pf),
    });
  }
  return out;
}

/** Checks that have a rule of their own here (live data beats the snapshot). */
const COVERED = new Set(['pf.link', 'pf.firmware-consistency']);
const doctorCache = new WeakMap<Inventory, DoctorReport>();

function doctor(input: RuleInput): Finding[] {
  const cfg = input.config.doctor;
  let report = doctorCache.get(input.inv);
  if (!report) doctorCache.set(input.inv, (report = runDoctor(input.inv)));
  const names = new Map(input.inv.pfs.map((p) => [p.pciAddress as string, pfName(p)]));
  const skip = new Set(cfg.skip);
  const out: Finding[] = [];
  for (const r of report.results) {
    if (COVERED.has(r.id) || skip.has(r.id)) continue;
    if (r.status !== 'fail' && !(r.status === 'warn' && cfg.includeWarnings)) continue;
    const scope = r.scope === 'host' ? 'host' : (names.get(r.scope) ?? r.scope);
    out.push({
      rule: 'doctor',
      subject: `${scope}:${r.id}`,
      status: r.status,
      message: `${scope}: ${r.title}`,
      evidence: r.evidence,
      ...(r.fix ? { fix: r.fix } : {}),
      tenant: null,
      ...(scope === 'host' ? {} : { pf: scope }),
    });
  }
  return out;
}

/** Every enabled rule's findings. */
export function evaluateRules(input: RuleInput): Finding[] {
  const c = input.config;
  const d = new DumpIndex(input.dump);
  return [
    ...(c.pfLinkDown.enabled ? pfLinkDown(input, d) : []),
    ...(c.vfLinkDown.enabled ? vfLinkDown(input, d) : []),
    ...(c.vfDrops.enabled ? vfDrops(input) : []),
    ...(c.drift.enabled ? drift(input) : []),
    ...(c.firmware.enabled ? firmware(input) : []),
    ...(c.qosOversubscription.enabled ? qos(input, d) : []),
    ...(c.doctor.enabled ? doctor(input) : []),
  ];
}

/** Whether a rule is switched on in the configuration. */
export function ruleEnabled(c: HealthConfig, rule: RuleId): boolean {
  switch (rule) {
    case 'pf-link-down':
      return c.pfLinkDown.enabled;
    case 'vf-link-down':
      return c.vfLinkDown.enabled;
    case 'vf-drops':
      return c.vfDrops.enabled;
    case 'drift':
      return c.drift.enabled;
    case 'firmware-mismatch':
      return c.firmware.enabled;
    case 'qos-oversubscribed':
      return c.qosOversubscription.enabled;
    case 'doctor':
      return c.doctor.enabled;
  }
}
