/**
 * Policy files → validated, merged desired state per PF, the plan, drift and read-back (pure), and
 * the apply-policy use case (apply-policy.ts) that hands plans to the executor. The use case stays
 * here, where DESIGN.md puts it, although src/policy ranks below src/ledger and src/boot: what it
 * needs of them (held VFs, recording applied.json, holding the host) it takes as ports that the
 * composition (the CLI, the daemon) implements, so no import goes up.
 */
export {
  autoMac,
  resolvePolicies,
  type DesiredPf,
  type DesiredVf,
  type Resolution,
} from './desired.js';
export { K8S_API_VERSION, K8S_DEFAULT_PRIORITY, K8S_KIND } from './k8s-import.js';
export {
  loadPolicyFiles,
  loadPolicySources,
  type PolicyText,
  parsePolicyDocuments,
  parsePolicyText,
  PolicyLoadError,
  type ParseResult,
} from './load.js';
export { byPriority, mergePf, pfLabel, type MergedPf } from './merge.js';
export { formatRange } from './ranges.js';
export {
  API_VERSION,
  DEFAULT_PRIORITY,
  KIND,
  type LoadedPolicy,
  type PolicyIssue,
  type PolicySelector,
  type PolicySource,
  type Position,
  type VfDriver,
  type VfGroup,
} from './schema.js';
export { selectPfs, type Selection } from './select.js';
