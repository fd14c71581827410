/**
 * Whether a VF can work on a pool's driver on this host, from the inventory alone (pure). The
 * kernel would refuse the others deterministically — vfio-pci cannot take a device without an
 * IOMMU group, and a driver that is not loaded binds nothing — so placement leaves them out before
 * reserving, and pool listings show them as unusable with the reason and the fix.
 */
import type { HostFacts, PfSnapshot, VfSnapshot } from '../inventory/types.js';
import type { PoolSpec } from './types.js';

/** Why a VF cannot be on the pool's driver, and what would make it possible. */
export interface VfIncapacity {
  /** Short, countable ("2 without an IOMMU group ..."): the placement exclusion rule. */
  rule: string;
  fix: string;
}

const NO_IOMMU: VfIncapacity = {
  rule: 'without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
  fix: 'enable the IOMMU (`intel_iommu=on` or `amd_iommu=on` on the kernel command line) and reboot, or use a pool with vfDriver host',
};
const VFIO_MISSING: VfIncapacity = {
  rule: 'for vfio-pci, which is not installed on this host',
  fix: "install the kernel's vfio-pci module (e.g. the linux-modules package), `modprobe vfio-pci`, and list it in /etc/modules-load.d/ so it loads at boot",
};
const VFIO_NOT_LOADED: VfIncapacity = {
  rule: 'for vfio-pci, which is not loaded',
  fix: '`modprobe vfio-pci`, and list it in /etc/modules-load.d/ so it loads at boot',
};

/**
 * Why `vf` (of `pf`) cannot be put on `driver` on the host `host` describes, or null when nothing
 * known stands in the way. VFs without a PCI function (netdevsim) have no driver to bind, so no
 * driver stands in their way.
 */
export function vfDriverIncapacity(
  host: HostFacts,
  _pf: PfSnapshot,
  vf: VfSnapshot,
  driver: PoolSpec['vfDriver'],
): VfIncapacity | null {
  if (driver !== 'vfio-pci' || vf.pciAddress === null) return null;
  if (vf.driver === 'vfio-pci') return null;
  // The IOMMU first: loading vfio-pci does not help without it, and it takes a reboot.
  if (vf.iommuGroup === null) return NO_IOMMU;
  if (!host.vfioPci.loaded) return host.vfioPci.available ? VFIO_NOT_LOADED : VFIO_MISSING;
  return null;
}
