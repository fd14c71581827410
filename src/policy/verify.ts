/**
 * What a plan made from a fresh discovery says about the host against the policy: it matches
 * (verified), it differs, or nothing known differs but some settings cannot be read at all
 * (unverified: VFs the kernel's netlink VF list leaves out). `diff`, apply's read-back, the daemon's
 * apply and its drift watcher all judge a plan here, on each step's typed basis, never on the
 * wording of a note. Pure.
 */
import type { PfId } from '../host/names.js';
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
