/**
 * What the planner takes: a desired PF, what the allocation ledger knows about VFs (as data), and
 * the operator's overrides.
 */
import type { EswitchMode } from '../host/host.js';
import type { PfId } from '../host/names.js';
import type { VfSettings } from '../host/vf-settings.js';
import type { PfAdminState } from './schema.js';
import type { VfDriverTarget } from './steps.js';

/** What the planner needs of a desired PF (the resolved policies give exactly this). */
export interface PlanTarget {
  pciAddress: PfId;
  numVfs: number;
  mtu?: number | undefined;
  eswitchMode?: EswitchMode | undefined;
  /** The PF's administrative state; absent or `unchanged`: left alone unless creating VFs needs it up. */
  adminState?: PfAdminState | undefined;
  /** What the daemon does about drift on this PF (the planner ignores it). */
  drift?: 'report' | 'repair' | undefined;
  vfs: readonly {
    vfIndex: number;
    driver: VfDriverTarget;
    settings: VfSettings;
    mtu?: number | undefined;
  }[];
}

/** What an allocation ledger knows about one VF: free in one of its pools, or held. */
export interface LedgerVf {
  /** The PF's PCI address (or netdevsim<ID>). */
  pf: string;
  vfIndex: number;
  /** null: in a pool and held by nobody; otherwise who holds it, for messages. */
  heldBy: string | null;
}

export interface PlanOptions {
  /** Allow disruptive steps on the PF that carries the default route. */
  allowDefaultRoute?: boolean;
  /** Allow destroying or rebinding VFs that look in use. */
  force?: boolean;
  /**
   * What the daemon's ledger knows about VFs. Where it knows a VF, that replaces the driver
   * heuristic of vfLooksInUse: a free VF on vfio-pci is not in use, a held one is whatever its driver.
   */
  ledger?: readonly LedgerVf[];
}
