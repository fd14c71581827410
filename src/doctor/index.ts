/** Preflight checks (id, status, evidence, fix) as pure functions of an inventory snapshot. */
export { runDoctor, hostChecks, pfChecks, NO_SRIOV_DEVICES, type StoredFacts } from './run.js';
export { checkBootModules, type BootModuleFacts, type BootModuleNeed } from './boot-modules.js';
export { worstOf, worse } from './result.js';
export type { CheckResult, CheckStatus, DoctorReport } from './types.js';
