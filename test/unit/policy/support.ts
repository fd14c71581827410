/** Shared helpers for the policy tests: realistic inventories from the simulator, policy builders. */
import { stringify } from 'yaml';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { parsePolicyText, resolvePolicies, type LoadedPolicy } from '../../../src/policy/index.js';

const cache = new Map<string, Promise<Inventory>>();

/** The discovered inventory of a shipped simulator fixture (discovered once per test file). */
export function inventory(fixture: string): Promise<Inventory> {
  let inv = cache.get(fixture);
  if (!inv) {
    inv = loadSimHost(fixture, { timing: 'off' }).then((h) => discover(h));
    cache.set(fixture, inv);
  }
  return inv;
}

/** A NodePolicy document as YAML text, from its name and spec. */
export function nodePolicy(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'sriovctl.io/v1alpha1',
    kind: 'NodePolicy',
    metadata: { name },
    spec,
  });
}

/** Parses NodePolicy documents given as (name, spec) pairs, each in its own file `<name>.yaml`. */
export function policies(...docs: [string, Record<string, unknown>][]): LoadedPolicy[] {
  return docs.flatMap(([name, spec]) => parsePolicyText(nodePolicy(name, spec), `${name}.yaml`));
}

/** Resolves policies against a fixture's inventory. */
export async function resolve(fixture: string, ...docs: [string, Record<string, unknown>][]) {
  return resolvePolicies(policies(...docs), await inventory(fixture));
}

/** The text of every issue, for exact comparisons. */
export function texts(issues: { text: string }[]): string[] {
  return issues.map((i) => i.text);
}
