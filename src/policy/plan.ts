/**
 * The planner: the difference between the desired state and a discovered host, as ordered steps in
 * the order real drivers need (linux-sriov-abi.md; issue 4): PF up and MTU, eswitch mode, the VF
 * count (through 0 when it must change), wait for the VFs, admin MACs while the VFs are still on
 * their host driver, driver changes, the remaining VF settings, and PF down last. Each step says
 * whether it is planned because the host differs or because the current values cannot be read
 * (steps.ts, StepBasis). Pure: snapshot in (plus what the ledger knows, as data), plan out.
 */
import type { PfSnapshot, Inventory } from '../inventory/types.js';
import type { PlanOptions, PlanTarget } from './plan-input.js';
import {
  defaultRouteRefusal,
  pfChanges,
  pfDownStep,
  pfMtuStep,
  pfUpStep,
  vfCountRefusal,
  vfCountSteps,
} from './plan-pf.js';
import { vfSteps } from './plan-vf-steps.js';
import { compareVfs } from './plan-vfs.js';
import type { Plan, PlanRefusal, Step } from './steps.js';

export type { LedgerVf, PlanOptions, PlanTarget } from './plan-input.js';

/** The steps for one PF, in the order drivers need; refusals and notes are added to. */
function planPf(
  t: PlanTarget,
  cur: PfSnapshot,
  opts: PlanOptions,
  refusals: PlanRefusal[],
  notes: string[],
): Step[] {
  const c = pfChanges(t, cur, opts);
  const steps = [pfUpStep(cur, c), pfMtuStep(t, cur), ...vfCountSteps(t, cur, c)].filter(
    (s): s is Step => s !== null,
  );
  const countRefusal = vfCountRefusal(cur, c, opts);
  if (countRefusal) refusals.push(countRefusal);
  const vfs = compareVfs(t, cur, c, opts);
  refusals.push(...vfs.refusals);
  steps.push(...vfSteps(cur, vfs, notes));
  const down = pfDownStep(cur, c);
  if (down) steps.push(down);
  const routeRefusal = defaultRouteRefusal(cur, steps, opts);
  if (routeRefusal) refusals.push(routeRefusal);
  return steps;
}

/** Plans the changes that bring `inv` to the desired state. */
export function planChanges(
  desired: readonly PlanTarget[],
  inv: Inventory,
  opts: PlanOptions = {},
): Plan {
  const steps: Step[] = [];
  const refusals: PlanRefusal[] = [];
  const notes: string[] = [];
  for (const t of desired) {
    const cur = inv.pfs.find((p) => p.pciAddress === t.pciAddress);
    if (!cur) {
      notes.push(`${t.pciAddress} is not on this host; nothing planned for it`);
      continue;
    }
    steps.push(...planPf(t, cur, opts, refusals, notes));
  }
  return { steps, refusals, notes };
}
