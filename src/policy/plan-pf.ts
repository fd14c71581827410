/**
 * The planner's PF-level decisions: bring the PF up, its MTU, the eswitch mode, the VF count (through
 * 0 when it must change) and the wait for new VFs, the PF down last, and the refusals that guard
 * them (VFs in use, the default route). Pure.
 */
import type { PfSnapshot } from '../inventory/types.js';
import type { LedgerVf, PlanOptions, PlanTarget } from './plan-input.js';
import { formatRange } from './ranges.js';
import type { PfAdminState } from './schema.js';
import type { PlanRefusal, Step } from './steps.js';
import { HOST_VF_DRIVER, vfLooksInUse } from './vf-in-use.js';

/** Drivers whose devlink eswitch change is refused while VFs exist (ice). */
const ESWITCH_NEEDS_NO_VFS = new Set(['ice']);

/** Drivers that create VFs only while the PF is up (bnxt_en: the sriov_numvfs write does nothing). */
const VF_CREATION_NEEDS_UP = new Set(['bnxt_en']);

/** What the PF-level comparison decided; the VF-level steps depend on it. */
export interface PfChanges {
  /** The driver the PF's VFs bind to by ID table (ixgbe → ixgbevf); undefined for an unknown PF driver. */
  hostDriver: string | undefined;
  /** What the ledger knows about this PF's VFs, by VF index. */
  known: ReadonlyMap<number, LedgerVf>;
  eswitchChange: boolean;
  /** The VFs go first: the driver changes the eswitch mode only while no VFs exist. */
  resetForEswitch: boolean;
  /** VFs are destroyed or created: every VF is fresh after the PF-level steps. */
  recreate: boolean;
  adminState: PfAdminState;
  /** The PF comes up only because its driver creates VFs only on an up PF. */
  upToCreate: boolean;
}

/** The fields every step of this PF starts from. */
export function stepBase(cur: PfSnapshot) {
  return { pf: cur.pciAddress, netdev: cur.netdev, basis: 'differs' as const };
}

/** Decides what changes at the PF level between the target and the PF's snapshot. */
export function pfChanges(t: PlanTarget, cur: PfSnapshot, opts: PlanOptions): PfChanges {
  const eswitchChange = t.eswitchMode !== undefined && cur.eswitchMode !== t.eswitchMode;
  const resetForEswitch =
    eswitchChange && cur.numVfs > 0 && ESWITCH_NEEDS_NO_VFS.has(cur.driver ?? '');
  const recreate = cur.numVfs !== t.numVfs || resetForEswitch;
  return {
    hostDriver: cur.driver ? HOST_VF_DRIVER[cur.driver] : undefined,
    known: new Map(
      (opts.ledger ?? []).filter((l) => l.pf === cur.pciAddress).map((l) => [l.vfIndex, l]),
    ),
    eswitchChange,
    resetForEswitch,
    recreate,
    adminState: t.adminState ?? 'unchanged',
    // The admin state is the policy's to set; left unchanged, it is touched only when creating VFs
    // needs the PF up.
    upToCreate:
      recreate &&
      t.numVfs > 0 &&
      cur.adminUp === false &&
      VF_CREATION_NEEDS_UP.has(cur.driver ?? ''),
  };
}

/** Bringing the PF up: the policy wants it up, or its driver creates VFs only on an up PF. */
export function pfUpStep(cur: PfSnapshot, c: PfChanges): Step | null {
  if (!cur.netdev || cur.adminUp !== false || (c.adminState !== 'up' && !c.upToCreate)) return null;
  return {
    ...stepBase(cur),
    kind: 'pfUp',
    vfs: [],
    what: `bring ${cur.netdev} up`,
    why:
      c.adminState === 'up'
        ? 'the PF is down; the policy sets adminState: up'
        : `the PF is down and ${cur.driver} creates VFs only on an up PF (the policy leaves adminState ${c.adminState === 'down' ? 'down: it goes down again last' : 'unchanged: it stays up'})`,
  };
}

/** The PF's MTU, where the policy sets one and the PF has a netdev. */
export function pfMtuStep(t: PlanTarget, cur: PfSnapshot): Step | null {
  if (t.mtu === undefined || !cur.netdev || cur.mtu === t.mtu) return null;
  return {
    ...stepBase(cur),
    kind: 'pfMtu',
    from: cur.mtu,
    to: t.mtu,
    vfs: [],
    what: `set MTU of ${cur.netdev} to ${t.mtu}`,
    why: `MTU is ${cur.mtu ?? 'unknown'}, policy wants ${t.mtu}`,
    disruptive: 'most drivers reset the link when the MTU changes',
  };
}

/** The eswitch mode and the VF count, in the order the driver needs, and the wait for new VFs. */
export function vfCountSteps(t: PlanTarget, cur: PfSnapshot, c: PfChanges): Step[] {
  const steps: Step[] = [];
  const base = stepBase(cur);
  const existing = cur.vfs.map((v) => v.vfIndex);
  if (c.resetForEswitch) {
    steps.push({
      ...base,
      kind: 'numVfs',
      from: cur.numVfs,
      to: 0,
      vfs: existing,
      what: `remove the ${cur.numVfs} VFs of ${cur.netdev ?? cur.pciAddress}`,
      why: `${cur.driver} changes the eswitch mode only while no VFs exist`,
      disruptive: `destroys VFs ${formatRange(existing)}`,
    });
  }
  if (c.eswitchChange) {
    steps.push({
      ...base,
      kind: 'eswitchMode',
      from: cur.eswitchMode,
      to: t.eswitchMode!,
      vfs: [],
      what: `set eswitch mode of ${cur.pciAddress} to ${t.eswitchMode}`,
      why: `eswitch mode is ${cur.eswitchMode ?? 'unknown'}, policy wants ${t.eswitchMode}`,
      disruptive: 'changes the datapath of every VF (representors appear or go)',
    });
  }
  if (!c.recreate) return steps;
  const from = c.resetForEswitch ? 0 : cur.numVfs;
  const destroyed = from > 0 ? existing : [];
  steps.push({
    ...base,
    kind: 'numVfs',
    from,
    to: t.numVfs,
    vfs: t.numVfs > 0 ? [...Array(t.numVfs).keys()] : destroyed,
    what:
      from > 0 && t.numVfs > 0
        ? `recreate VFs of ${cur.netdev ?? cur.pciAddress}: ${from} → 0 → ${t.numVfs}`
        : `set VFs of ${cur.netdev ?? cur.pciAddress}: ${from} → ${t.numVfs}`,
    why: `numVfs is ${cur.numVfs}, policy wants ${t.numVfs}`,
    ...(destroyed.length ? { disruptive: `destroys VFs ${formatRange(destroyed)}` } : {}),
  });
  if (t.numVfs > 0) {
    steps.push({
      ...base,
      kind: 'waitVfs',
      count: t.numVfs,
      netdevs: cur.netdev !== null && c.hostDriver !== undefined && c.hostDriver !== 'nvme',
      vfs: [...Array(t.numVfs).keys()],
      what: `wait for ${t.numVfs} VFs${cur.netdev ? ' and their netdevs' : ''}`,
      why: 'VF drivers probe asynchronously and netdevs register late',
    });
  }
  return steps;
}

/** Refuses a VF count change that destroys VFs that look in use, unless forced. */
export function vfCountRefusal(
  cur: PfSnapshot,
  c: PfChanges,
  opts: PlanOptions,
): PlanRefusal | null {
  // The VFs destroyed are those that exist before the count changes (none after an eswitch reset).
  if (!c.recreate || c.resetForEswitch || cur.numVfs === 0 || opts.force) return null;
  const inUse = cur.vfs
    .map((v) => vfLooksInUse(v, c.hostDriver, c.known.get(v.vfIndex)))
    .filter((x): x is string => x !== null);
  if (!inUse.length) return null;
  return {
    pf: cur.pciAddress,
    override: 'force',
    reason: `changing numVfs destroys VFs that look in use: ${inUse.join('; ')}`,
  };
}

/** Bringing the PF down last: the policy wants it down (again, if it came up only to create VFs). */
export function pfDownStep(cur: PfSnapshot, c: PfChanges): Step | null {
  if (!cur.netdev || c.adminState !== 'down' || (cur.adminUp !== true && !c.upToCreate))
    return null;
  return {
    ...stepBase(cur),
    kind: 'pfDown',
    vfs: [],
    what: `bring ${cur.netdev} down`,
    why: c.upToCreate
      ? `the policy sets adminState: down (it was brought up only to create VFs: ${cur.driver} needs it)`
      : 'the PF is up; the policy sets adminState: down',
    disruptive: "takes the PF's link down: its VFs lose their uplink",
  };
}

/** Refuses disruptive steps on the PF that carries the default route, unless allowed. */
export function defaultRouteRefusal(
  cur: PfSnapshot,
  steps: readonly Step[],
  opts: PlanOptions,
): PlanRefusal | null {
  if (!cur.carriesDefaultRoute || opts.allowDefaultRoute || !steps.some((s) => s.disruptive))
    return null;
  return {
    pf: cur.pciAddress,
    override: 'allowDefaultRoute',
    reason: `${cur.netdev ?? cur.pciAddress} carries the default route; disruptive changes could cut this host off the network`,
  };
}
