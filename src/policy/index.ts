/** Policy files → validated, merged desired state per PF (pure logic; nothing here writes). */
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
