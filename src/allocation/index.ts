/** The allocation use case: attach, preview, detach, reconcile (see service.ts). */
export {
  AllocationService,
  DEFAULT_KERNEL_TIMEOUT_MS,
  failedWayOut,
  type AllocationOptions,
  type AttachResult,
  type PlacementPreview,
} from './service.js';
