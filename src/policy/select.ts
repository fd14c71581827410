/**
 * Which PFs of an inventory a policy selects. Every selector field that is set must match (AND);
 * within a list field any entry may match (OR). An empty selector selects nothing: a policy that
 * touched every SR-IOV PF on a host by accident would be the worst kind of typo.
 */
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { parsePfName } from '../contract/ranges.js';
import type { LoadedPolicy, PolicySelector } from './schema.js';

/** One PF a policy selects, and the VFs a ranged pfNames entry limits the policy to. */
export interface Selection {
  pf: PfSnapshot;
  /** VF indexes from `pfNames: [ens1f0#0-7]` entries naming this PF; null when not limited. */
  claim: number[] | null;
  /** The selector entry the claim comes from (`spec.selector.pfNames[1]`), for messages. */
  claimField: string | null;
}

/** True when no selector field is set. */
export function isEmptySelector(sel: PolicySelector): boolean {
  return (
    sel.vendor === undefined &&
    sel.deviceID === undefined &&
    sel.pfNames === undefined &&
    sel.rootDevices === undefined &&
    sel.pciAddresses === undefined &&
    sel.drivers === undefined
  );
}

/** The PFs of `inv` that `policy` selects, in inventory order. */
export function selectPfs(policy: LoadedPolicy, inv: Inventory): Selection[] {
  const sel = policy.selector;
  if (isEmptySelector(sel)) return [];
  const out: Selection[] = [];
  for (const pf of inv.pfs) {
    if (sel.vendor !== undefined && pf.vendorId.toLowerCase() !== sel.vendor) continue;
    if (sel.deviceID !== undefined && pf.deviceId.toLowerCase() !== sel.deviceID) continue;
    if (
      sel.rootDevices !== undefined &&
      !(sel.rootDevices as readonly string[]).includes(pf.pciAddress)
    )
      continue;
    if (
      sel.pciAddresses !== undefined &&
      !(sel.pciAddresses as readonly string[]).includes(pf.pciAddress)
    )
      continue;
    if (sel.drivers !== undefined && (pf.driver === null || !sel.drivers.includes(pf.driver))) {
      continue;
    }
    if (sel.pfNames === undefined) {
      out.push({ pf, claim: null, claimField: null });
      continue;
    }
    const hit = pfNameClaim(sel.pfNames, pf.netdev);
    if (hit) out.push({ pf, ...hit });
  }
  return out;
}

/** Matches pfNames entries against a PF netdev; ranges of several entries for one PF add up. */
function pfNameClaim(
  pfNames: string[],
  netdev: string | null,
): { claim: number[] | null; claimField: string | null } | null {
  if (netdev === null) return null;
  let matched = false;
  let whole = false;
  const claim = new Set<number>();
  let claimField: string | null = null;
  pfNames.forEach((entry, i) => {
    const p = parsePfName(entry);
    if (!p.ok || p.name !== netdev) return;
    matched = true;
    if (p.range === null) {
      whole = true;
      return;
    }
    claimField ??= `spec.selector.pfNames[${i}]`;
    for (const v of p.range) claim.add(v);
  });
  if (!matched) return null;
  if (whole) return { claim: null, claimField: null };
  return { claim: [...claim].sort((a, b) => a - b), claimField };
}
