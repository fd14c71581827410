/**
 * What a plan made from a fresh discovery says about the host against the policy: it matches
 * (verified), it differs, or nothing known differs but some settings cannot be read at all
 * (unverified: VFs the kernel's netlink VF list leaves out). `diff`, apply's read-back, the daemon's
 * apply and its drift watcher all judge a plan here, on each step's typed basis, never on the
 * wording of a note. Pure.
 */
import type { PfId } from '../host/names.js';
import type { UnreadableWhy, VfReadBackData } from '../contract/events.js';
import type { VfSettings } from '../host/vf-settings.js';
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import type { PlanTarget } from './plan.js';
import { formatRange } from './ranges.js';
import type { Plan, Step } from './steps.js';

export type Verdict = 'verified' | 'differs' | 'unverified';

/** The settings of one PF's VFs that cannot be read back. */
export interface Unverified {
  pf: PfId;
  /** The PF's netdev, or its address without one. */
  name: string;
  vfs: number[];
  /** Settings (one per VF and field: MAC, VLAN, each rate, ...) that cannot be verified. */
  settings: number;
}

export interface Verification {
  verdict: Verdict;
  /** Steps planned because the host differs from the policy: drift, or what apply left undone. */
  differs: Step[];
  /** Steps planned only because the current values cannot be read. */
  unknown: Step[];
  unverified: Unverified[];
  /** The sum of `unverified[].settings`. */
  unverifiedSettings: number;
}

/** How many settings an unknown-basis step sets without being able to read them back. */
function settingsOf(s: Step): number {
  if (s.kind === 'vfMacs') return s.macs.length;
  if (s.kind === 'vfSettings')
    return s.settings.reduce(
      (n, i) => n + Object.values(i.settings).filter((v) => v !== undefined).length,
      0,
    );
  return s.vfs.length;
}

/** Judges a plan made against a fresh discovery (see the module comment). */
export function verify(plan: Plan): Verification {
  const differs = plan.steps.filter((s) => s.basis !== 'unknown');
  const unknown = plan.steps.filter((s) => s.basis === 'unknown');
  const byPf = new Map<PfId, Unverified>();
  for (const s of unknown) {
    const u = byPf.get(s.pf) ?? { pf: s.pf, name: s.netdev ?? s.pf, vfs: [], settings: 0 };
    u.vfs = [...new Set([...u.vfs, ...s.vfs])].sort((a, b) => a - b);
    u.settings += settingsOf(s);
    byPf.set(s.pf, u);
  }
  const unverified = [...byPf.values()];
  const unverifiedSettings = unverified.reduce((n, u) => n + u.settings, 0);
  const verdict: Verdict = differs.length ? 'differs' : unknown.length ? 'unverified' : 'verified';
  return { verdict, differs, unknown, unverified, unverifiedSettings };
}

/**
 * `5 settings on VFs 34-255 of ens1f0`, one clause per PF, joined with `; ` (takes verify()'s
 * entries or the drift watcher's, which name the PF in `pf`).
 */
export function unverifiedText(
  unverified: readonly { pf: string; name?: string; vfs: readonly number[]; settings: number }[],
): string {
  return unverified
    .map(
      (u) =>
        `${u.settings} setting${u.settings === 1 ? '' : 's'} on ${u.vfs.length === 1 ? 'VF' : 'VFs'} ${formatRange(u.vfs)} of ${u.name ?? u.pf}`,
    )
    .join('; ');
}

/** The plan with only the steps that differ (what diff and drift report as differences). */
export function differingOnly(plan: Plan, v: Verification = verify(plan)): Plan {
  return { ...plan, steps: v.differs };
}

export type { UnreadableWhy } from '../contract/events.js';

/** The fields of a PF a read-back can find different. */
export type PfField = 'numVfs' | 'mtu' | 'eswitchMode' | 'adminState';
/** The fields of a VF a read-back compares: its settings, its driver, its netdev MTU. */
export type VfField = keyof VfSettings | 'driver' | 'mtu';

/** One VF's read-back. */
export type VfReadBack =
  | { pf: PfId; name: string; vfIndex: number; result: 'verified' }
  | {
      pf: PfId;
      name: string;
      vfIndex: number;
      result: 'differs';
      fields: VfField[];
      /** Fields of the same VF that could not be read either. */
      unreadable?: { fields: VfField[]; why: UnreadableWhy };
    }
  | {
      pf: PfId;
      name: string;
      vfIndex: number;
      result: 'unreadable';
      fields: VfField[];
      why: UnreadableWhy;
    };

/** One PF's read-back (its own fields; its VFs are in ReadBack.vfs). */
export interface PfReadBack {
  pf: PfId;
  name: string;
  /** `absent`: the PF is not on this host, so nothing of it was read. */
  result: 'verified' | 'differs' | 'absent';
  fields: PfField[];
}

/** What a read-back found, per PF and per VF, with the verdict and the plan's view of it. */
export interface ReadBack extends Verification {
  /** The plan made against the fresh discovery (what would still be done). */
  plan: Plan;
  pfs: PfReadBack[];
  vfs: VfReadBack[];
}

function pfField(s: Step): PfField | null {
  switch (s.kind) {
    case 'numVfs':
    case 'waitVfs':
      return 'numVfs';
    case 'pfMtu':
      return 'mtu';
    case 'eswitchMode':
      return 'eswitchMode';
    case 'pfUp':
    case 'pfDown':
      return 'adminState';
    default:
      return null;
  }
}

/** The fields a step sets on VF `vf`. */
function vfFields(s: Step, vf: number): VfField[] {
  switch (s.kind) {
    case 'vfMacs':
      return s.macs.some((m) => m.vf === vf) ? ['mac'] : [];
    case 'vfSettings':
      return s.settings
        .filter((i) => i.vf === vf)
        .flatMap((i) =>
          (Object.keys(i.settings) as (keyof VfSettings)[]).filter(
            (k) => i.settings[k] !== undefined,
          ),
        );
    case 'vfDrivers':
      return s.changes.some((c) => c.vf === vf) ? ['driver'] : [];
    case 'vfMtu':
      return s.mtus.some((m) => m.vf === vf) ? ['mtu'] : [];
    default:
      return [];
  }
}

/** Why VF `vfIndex` of `pf` could not be read, from what discovery saw of it. */
function unreadableWhy(pf: PfSnapshot | undefined, vfIndex: number): UnreadableWhy {
  const vf = pf?.vfs.find((v) => v.vfIndex === vfIndex);
  if (vf?.config && !pf?.unreadableVfs.includes(vfIndex)) return 'driver-does-not-report';
  return pf?.vfListTruncated ? 'vf-list-truncated' : 'vf-not-reported';
}

/**
 * The read-back of a desired state: a plan made against a fresh discovery (`inv`) judged per PF and
 * per VF. A VF no step touches is verified; one a `differs` step touches differs in those fields;
 * one only `unknown` steps touch could not be read, and why. Pure.
 */
export function readBack(targets: readonly PlanTarget[], inv: Inventory, plan: Plan): ReadBack {
  const v = verify(plan);
  const pfs: PfReadBack[] = [];
  const vfs: VfReadBack[] = [];
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  for (const t of targets) {
    const cur = inv.pfs.find((p) => p.pciAddress === t.pciAddress);
    const name = cur?.netdev ?? t.pciAddress;
    if (!cur) {
      pfs.push({ pf: t.pciAddress, name, result: 'absent', fields: [] });
      continue;
    }
    const mine = plan.steps.filter((s) => s.pf === t.pciAddress);
    const pfFields = uniq(
      mine.filter((s) => s.basis !== 'unknown').flatMap((s) => pfField(s) ?? []),
    );
    pfs.push({
      pf: t.pciAddress,
      name,
      result: pfFields.length ? 'differs' : 'verified',
      fields: pfFields,
    });
    for (const want of [...t.vfs].sort((a, b) => a.vfIndex - b.vfIndex)) {
      const at = { pf: t.pciAddress, name, vfIndex: want.vfIndex };
      const of = (basis: 'differs' | 'unknown') =>
        uniq(mine.filter((s) => s.basis === basis).flatMap((s) => vfFields(s, want.vfIndex)));
      const differs = of('differs');
      const unknown = of('unknown').filter((f) => !differs.includes(f));
      const why = unreadableWhy(cur, want.vfIndex);
      if (differs.length)
        vfs.push({
          ...at,
          result: 'differs',
          fields: differs,
          ...(unknown.length ? { unreadable: { fields: unknown, why } } : {}),
        });
      else if (unknown.length) vfs.push({ ...at, result: 'unreadable', fields: unknown, why });
      else vfs.push({ ...at, result: 'verified' });
    }
  }
  return { ...v, plan, pfs, vfs };
}

/** What each reason for an unreadable setting says, after "could not be verified: ". */
export const UNREADABLE_WHY_TEXT: Record<UnreadableWhy, string> = {
  'vf-list-truncated': "the kernel's netlink VF list does not include those VFs",
  'vf-not-reported': "the kernel's netlink VF list does not include those VFs",
  'driver-does-not-report': 'their driver does not report those settings',
};

/** A VF's read-back as any reader has it: the wire form (src/contract), which VfReadBack fits. */
export type VfReadBackView = VfReadBackData;

/** Settings of one PF's VFs that could not be read back, for one reason. */
export interface UnreadableGroup {
  pf: string;
  name: string;
  why: UnreadableWhy;
  vfs: number[];
  /** One per VF and field. */
  settings: number;
}

/** The read-back's unreadable settings, grouped by PF and reason. */
export function unreadableGroups(vfs: readonly VfReadBackView[]): UnreadableGroup[] {
  const groups = new Map<string, UnreadableGroup>();
  for (const v of vfs) {
    const u =
      v.result === 'unreadable'
        ? { fields: v.fields, why: v.why }
        : v.result === 'differs'
          ? v.unreadable
          : undefined;
    if (!u) continue;
    const key = `${v.pf}\0${u.why}`;
    const g = groups.get(key) ?? { pf: v.pf, name: v.name, why: u.why, vfs: [], settings: 0 };
    g.vfs.push(v.vfIndex);
    g.settings += u.fields.length;
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
 * What could not be verified, one clause per reason: `what` (`2 settings on VFs 200-201 of
 * ens1f0`, PFs joined with `; `) and `why`; empty when everything could be read.
 */
export function unreadableClauses(vfs: readonly VfReadBackView[]): { what: string; why: string }[] {
  const byWhy = new Map<string, UnreadableGroup[]>();
  for (const g of unreadableGroups(vfs)) {
    const why = UNREADABLE_WHY_TEXT[g.why];
    byWhy.set(why, [...(byWhy.get(why) ?? []), g]);
  }
  return [...byWhy].map(([why, gs]) => ({ what: unverifiedText(gs), why }));
}

/** `X could not be verified: why` for each reason, joined with `; `; null when none. */
export function unreadableSentence(vfs: readonly VfReadBackView[]): string | null {
  const c = unreadableClauses(vfs);
  return c.length ? c.map((x) => `${x.what} could not be verified: ${x.why}`).join('; ') : null;
}
