/** Doctor results: one entry per check and scope, with evidence and the exact fix. */
import type { PfId } from '../host/names.js';

/** Ordered from best to worst; the CLI's exit code follows the worst one. */
export type CheckStatus = 'pass' | 'info' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier, e.g. `iommu.enabled`, `pf.default-route`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** `host` for machine-wide checks, else the PF it is about. */
  scope: 'host' | PfId;
  /** What was observed, as short facts with their source paths. */
  evidence: string[];
  /** The exact fix, present whenever status is warn or fail. */
  fix?: string;
}

export interface DoctorReport {
  results: CheckResult[];
  worst: CheckStatus;
}
