/** The executor: the only code that changes the machine, one explained operation at a time. */
export { bindDriver, releaseDriver, type BindOptions, type BindResult } from './bind.js';
export { OperationError } from './errors.js';
export { HostBusyError, HostGate, type HeldGate } from './host-gate.js';
export { explain, type Explanation, type Operation } from './explain.js';
export { setNumVfs, writeNumVfs, type NumVfsChange, type NumVfsOptions } from './numvfs.js';
export { readDriver, readIommuGroup, readNumber, readVirtfns } from './sysfs-read.js';
export {
  applyVfSettings,
  compareVf,
  type ApplyOptions,
  type VfApplyResult,
  type VfReadBack,
  type VfSettings,
} from './vf-settings.js';
export { waitFor, type WaitOptions } from './wait.js';
