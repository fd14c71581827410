/**
 * Whether a VF is in use, decided from the snapshot and what the ledger knows: the planner refuses
 * to destroy or rebind a VF in use unless forced.
 */
import type { VfSnapshot } from '../inventory/types.js';
import type { LedgerVf } from './plan-input.js';

/** The host VF driver each PF driver's VFs bind to by ID table. */
export const HOST_VF_DRIVER: Record<string, string> = {
  ixgbe: 'ixgbevf',
  i40e: 'iavf',
  ice: 'iavf',
  mlx5_core: 'mlx5_core',
  bnxt_en: 'bnxt_en',
  nvme: 'nvme',
};

/**
 * Whether a VF is in use: what the ledger says when it knows the VF (`known`), otherwise whether
 * it looks in use by a consumer sriovctl cannot see: bound to vfio-pci (a VM may hold it), or bound
 * to its host driver with its netdev gone from the host namespace (moved into a container).
 */
export function vfLooksInUse(
  vf: VfSnapshot,
  hostDriver: string | undefined,
  known?: LedgerVf,
): string | null {
  if (known) return known.heldBy === null ? null : `VF ${vf.vfIndex} is held by ${known.heldBy}`;
  if (vf.driver === 'vfio-pci')
    return `VF ${vf.vfIndex} is bound to vfio-pci (a VM may be using it)`;
  if (
    vf.driver !== null &&
    vf.driver === hostDriver &&
    vf.netdev === null &&
    hostDriver !== 'nvme'
  ) {
    return `VF ${vf.vfIndex} has no netdev in the host namespace (moved into a container?)`;
  }
  return null;
}
