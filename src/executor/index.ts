/** The executor: the only code that changes the machine, one explained operation at a time. */
export {
  configureVfs,
  describeReadBack,
  NO_NETWORK_DETAIL,
  SCRUBBED,
  type AttachmentDriver,
  type VfOutcome,
  type VfTarget,
} from './attachment-vf.js';
export { bindDriver, releaseDriver, type BindOptions, type BindResult } from './bind.js';
export {
  removeConfigFiles,
  writeConfigFiles,
  type ConfigRemoval,
  type ConfigWrite,
} from './config-files.js';
export { OperationError } from './errors.js';
export { HostBusyError, HostGate, type HeldGate } from './host-gate.js';
export { explain, type Explanation, type Operation } from './explain.js';
export { setNumVfs, writeNumVfs, type NumVfsChange, type NumVfsOptions } from './numvfs.js';
export {
  minRateSupported,
  ratesNeedLink,
  vlanProtoSupport,
  withoutUnchangedRates,
} from './quirks.js';
export {
  runSteps,
  type ProgressEvent,
  type RunOptions,
  type RunResult,
  type StepOutcome,
} from './run-plan.js';
export { readDriver, readIommuGroup, readNumber, readVirtfns } from './sysfs-read.js';
export {
  applyVfBatch,
  applyVfSettings,
  compareVf,
  type ApplyOptions,
  type VfApplyResult,
  type VfBatchItem,
  type VfReadBack,
  type VfSettings,
} from './vf-settings.js';
export { waitFor, type WaitOptions } from './wait.js';
