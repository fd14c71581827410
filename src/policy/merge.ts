/**
 * Merging the policies that select one PF (rules in examples/policies/README.md, "Merge rules"):
 * policies are ordered by priority (lower number first) then name. PF fields come from the first
 * policy that sets them; equal-priority policies that disagree are an error naming both. Each VF
 * belongs to one group: at different priorities the stronger policy takes the VFs (and a note says
 * so); at equal priority an overlap is an error. Never a silent max, never last-wins.
 */
import type { EswitchMode } from '../host/host.js';
import type { PfSnapshot } from '../inventory/types.js';
import { parseRange } from '../contract/ranges.js';
import { allVfs, formatRange } from './ranges.js';
import {
  policyIssue,
  policyRef,
  showValue,
  type DriftAction,
  type LoadedPolicy,
  type PfAdminState,
  type PolicyIssue,
  type VfGroup,
} from './schema.js';
import type { Selection } from './select.js';

/** A PF-level value and the policy it comes from. */
export interface PfValue<T> {
  value: T;
  policy: LoadedPolicy;
}

/** A VF group of one policy, placed on one PF: the VF indexes it configures there. */
export interface GroupPlacement {
  policy: LoadedPolicy;
  groupIndex: number;
  group: VfGroup;
  /** Every VF of the group's range on this PF, in order (MAC lists map onto these). */
  indexes: number[];
  /** The NodePolicy field path that defines the range, for messages. */
  rangeField: string;
}

/** Which group configures one VF. */
export interface VfClaim {
  vfIndex: number;
  placement: GroupPlacement;
}

export interface MergedPf {
  pf: PfSnapshot;
  numVfs: PfValue<number> | null;
  mtu: PfValue<number> | null;
  eswitchMode: PfValue<EswitchMode> | null;
  adminState: PfValue<PfAdminState> | null;
  drift: PfValue<DriftAction> | null;
  /** The groups that configure at least one VF here. */
  placements: GroupPlacement[];
  /** One entry per configured VF, by vfIndex. */
  vfs: VfClaim[];
  /** The policies selecting this PF, strongest first. */
  policies: LoadedPolicy[];
  notes: string[];
  errors: PolicyIssue[];
}

/** The merge order: lower priority number first, then name. */
export function byPriority(a: LoadedPolicy, b: LoadedPolicy): number {
  return a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** `VF 4` or `VFs 0-3,8`. */
export function vfsText(vfs: readonly number[]): string {
  return `${vfs.length === 1 ? 'VF' : 'VFs'} ${formatRange(vfs)}`;
}

/** `ens1f0 (0000:3b:00.0)`: how messages name a PF. */
export function pfLabel(pf: PfSnapshot): string {
  return pf.netdev === null ? pf.pciAddress : `${pf.netdev} (${pf.pciAddress})`;
}

/** Merges the policies selecting `pf` (each with its selection of that PF) into one result. */
export function mergePf(
  pf: PfSnapshot,
  selected: { policy: LoadedPolicy; selection: Selection }[],
): MergedPf {
  const ordered = [...selected].sort((a, b) => byPriority(a.policy, b.policy));
  const policies = ordered.map((s) => s.policy);
  const out: MergedPf = {
    pf,
    numVfs: null,
    mtu: null,
    eswitchMode: null,
    adminState: null,
    drift: null,
    placements: [],
    vfs: [],
    policies,
    notes: [],
    errors: [],
  };
  const ctx = { out };
  out.numVfs = resolveField(pf, policies, 'numVfs', (p) => p.numVfs, ctx);
  out.mtu = resolveField(pf, policies, 'mtu', (p) => p.mtu, ctx);
  out.eswitchMode = resolveField(pf, policies, 'eswitchMode', (p) => p.eswitchMode, ctx);
  out.adminState = resolveField(pf, policies, 'adminState', (p) => p.adminState, ctx);
  out.drift = resolveField(pf, policies, 'drift', (p) => p.drift, ctx);
  if (out.numVfs === null) {
    const first = policies[0]!;
    out.errors.push(
      policyIssue(
        'error',
        first,
        'spec',
        `no policy sets numVfs for ${pfLabel(pf)} — it is selected by ${policies.map((p) => `"${p.name}"`).join(', ')}; add spec.numVfs to one of them`,
        pfLabel(pf),
      ),
    );
    return out;
  }
  placeGroups(out, ordered, out.numVfs);
  return out;
}

/** Picks the strongest policy setting a PF field; equal-priority disagreement is an error. */
function resolveField<T extends string | number>(
  pf: PfSnapshot,
  policies: LoadedPolicy[],
  field: 'numVfs' | 'mtu' | 'eswitchMode' | 'adminState' | 'drift',
  get: (p: LoadedPolicy) => T | undefined,
  ctx: { out: MergedPf },
): PfValue<T> | null {
  const setters = policies.filter((p) => get(p) !== undefined);
  const winner = setters[0];
  if (winner === undefined) return null;
  const value = get(winner)!;
  let conflicted = false;
  for (const other of setters.slice(1)) {
    const v = get(other)!;
    if (v === value) continue;
    if (other.priority === winner.priority) {
      if (conflicted) continue; // one error per field and PF is enough to act on
      conflicted = true;
      ctx.out.errors.push(
        policyIssue(
          'error',
          other,
          `spec.${field}`,
          `${showValue(v)} conflicts with ${showValue(value)} from ${policyRef(winner, `spec.${field}`)} on ${pfLabel(pf)} — both have priority ${winner.priority}; set the same ${field} in both, or give the one that should win a lower priority number`,
          pfLabel(pf),
        ),
      );
    } else {
      ctx.out.notes.push(
        `${field} ${showValue(v)} from policy "${other.name}" (priority ${other.priority}) is overridden by ${showValue(value)} from policy "${winner.name}" (priority ${winner.priority})`,
      );
    }
  }
  return { value, policy: winner };
}

/** Places every group on the PF, VF by VF, in merge order. */
function placeGroups(
  out: MergedPf,
  ordered: { policy: LoadedPolicy; selection: Selection }[],
  numVfs: PfValue<number>,
): void {
  const owner = new Map<number, GroupPlacement>();
  for (const { policy, selection } of ordered) {
    policy.vfGroups.forEach((group, groupIndex) => {
      const placement = place(out, policy, selection, group, groupIndex, numVfs);
      if (placement === null) return;
      // One message per earlier group it overlaps, listing the VFs together.
      const taken = new Map<GroupPlacement, number[]>();
      const mine: number[] = [];
      for (const vf of placement.indexes) {
        const prev = owner.get(vf);
        if (prev === undefined) {
          mine.push(vf);
          continue;
        }
        taken.set(prev, [...(taken.get(prev) ?? []), vf]);
      }
      let blocked = false;
      for (const [prev, vfs] of taken) {
        const what = `${vfsText(vfs)} of ${pfLabel(out.pf)}`;
        const are = vfs.length === 1 ? 'is' : 'are';
        if (prev.policy === policy) {
          blocked = true;
          out.errors.push(
            policyIssue(
              'error',
              policy,
              placement.rangeField,
              `${what} ${are} also in spec.vfGroups[${prev.groupIndex}] of this policy — a VF belongs to one group; make the ranges disjoint`,
              pfLabel(out.pf),
            ),
          );
        } else if (prev.policy.priority === policy.priority) {
          blocked = true;
          out.errors.push(
            policyIssue(
              'error',
              policy,
              placement.rangeField,
              `${what} ${are} also configured by ${policyRef(prev.policy, prev.rangeField)} at the same priority ${policy.priority} — make the ranges disjoint, or give the policy that should win a lower priority number`,
              pfLabel(out.pf),
            ),
          );
        } else {
          out.notes.push(
            `${what}: policy "${prev.policy.name}" (priority ${prev.policy.priority}) wins over policy "${policy.name}" (priority ${policy.priority}), whose spec.vfGroups[${groupIndex}] also covers ${vfs.length === 1 ? 'it' : 'them'}`,
          );
        }
      }
      if (blocked || mine.length === 0) return;
      out.placements.push(placement);
      for (const vf of mine) owner.set(vf, placement);
    });
  }
  out.vfs = [...owner.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([vfIndex, placement]) => ({ vfIndex, placement }));
}

/** The VFs one group covers on this PF, or null (with an error) when they cannot all exist. */
function place(
  out: MergedPf,
  policy: LoadedPolicy,
  selection: Selection,
  group: VfGroup,
  groupIndex: number,
  numVfs: PfValue<number>,
): GroupPlacement | null {
  const groupField = `spec.vfGroups[${groupIndex}]`;
  let indexes: number[];
  let rangeField: string;
  let described: string;
  if (group.range !== undefined) {
    const r = parseRange(group.range);
    if (!r.ok) return null; // the schema already reported it
    indexes = r.indexes;
    rangeField = `${groupField}.range`;
    described = `range ${group.range}`;
    if (selection.claim !== null) {
      const claim = new Set(selection.claim);
      const outside = indexes.filter((i) => !claim.has(i));
      if (outside.length > 0) {
        out.errors.push(
          policyIssue(
            'error',
            policy,
            rangeField,
            `${JSON.stringify(group.range)} includes ${vfsText(outside)} of ${pfLabel(out.pf)}, outside ${vfsText(selection.claim)} that ${selection.claimField} limits this policy to — narrow the range or widen the pfNames range`,
            pfLabel(out.pf),
          ),
        );
        return null;
      }
    }
  } else if (selection.claim !== null) {
    indexes = selection.claim;
    rangeField = selection.claimField!;
    described = `${vfsText(indexes)} (from its pfNames range)`;
  } else if (policy.numVfs !== undefined) {
    // A policy's whole-PF group means the VFs it asked for (as the operator's 0..numVfs-1 range).
    indexes = allVfs(policy.numVfs);
    rangeField = 'spec.numVfs';
    described = `${vfsText(indexes)} (its own numVfs ${policy.numVfs})`;
  } else {
    indexes = allVfs(numVfs.value);
    rangeField = groupField;
    described = 'every VF';
  }
  const beyond = indexes.filter((i) => i >= numVfs.value);
  if (beyond.length > 0) {
    const n = numVfs.value;
    const from =
      numVfs.policy === policy
        ? 'its own numVfs'
        : `numVfs from ${policyRef(numVfs.policy, 'spec.numVfs')}`;
    out.errors.push(
      policyIssue(
        'error',
        policy,
        rangeField,
        `${described} goes beyond numVfs ${n} of ${pfLabel(out.pf)} (${from}): ${vfsText(beyond)} would not exist — ${n === 0 ? 'there are no VFs' : `VF indexes run 0-${n - 1}`}; narrow the range or raise numVfs`,
        pfLabel(out.pf),
      ),
    );
    return null;
  }
  if (indexes.length === 0) return null;
  return { policy, groupIndex, group, indexes, rangeField };
}
