/**
 * Whether a PF driver implements `sriov_configure`, i.e. whether writing sriov_numvfs can work.
 * sysfs does not expose this (the core answers ENOENT only when you try), so it is a table of
 * drivers whose source has the hook, plus vfio-pci's opt-in module parameter.
 */
import type { HostReader } from '../host/host.js';
import { failedReadIssue, parseOr } from './issues.js';
import { isAbsent, tryReadFile } from './seam-reads.js';
import type { DiscoveryIssue } from './types.js';
import { parseModuleBool } from './values.js';

/** Drivers with a `.sriov_configure` in Linux 6.1. */
const CONFIGURABLE = new Set([
  'ixgbe',
  'i40e',
  'ice',
  'igb',
  'fm10k',
  'mlx5_core',
  'mlx4_core',
  'bnxt_en',
  'qede',
  'qlcnic',
  'bnx2x',
  'be2net',
  'cxgb4',
  'sfc',
  'nfp',
  'hns3',
  'hinic',
  'ionic',
  'liquidio',
  'octeontx2-af',
  'octeontx2-pf',
  'nvme',
  'pci-pf-stub',
  'virtio-pci',
  'qat_4xxx',
  'qat_c62x',
  'qat_dh895xcc',
]);

/** Drivers that bind SR-IOV devices but cannot change numVfs (VF drivers, stubs, uio). */
const NOT_CONFIGURABLE = new Set([
  'pci-stub',
  'uio_pci_generic',
  'igb_uio',
  'ixgbevf',
  'iavf',
  'i40evf',
  'igbvf',
]);

export const VFIO_ENABLE_SRIOV_PATH = '/sys/module/vfio_pci/parameters/enable_sriov';

/**
 * The table's answer for a driver name: true, false, or null when unknown. vfio-pci is
 * `'vfio-pci'` because it depends on its enable_sriov parameter (see readVfioEnableSriov).
 */
export function sriovConfigurableByName(driver: string | null): boolean | null | 'vfio-pci' {
  if (driver === null) return false; // no driver bound: the core answers ENOENT
  if (driver === 'vfio-pci') return 'vfio-pci';
  if (CONFIGURABLE.has(driver)) return true;
  if (NOT_CONFIGURABLE.has(driver)) return false;
  return null;
}

/**
 * vfio-pci's `enable_sriov` parameter (default off). False when vfio_pci is not loaded; null (with
 * an issue) when the file is unreadable or malformed.
 */
export async function readVfioEnableSriov(
  host: HostReader,
  issues: DiscoveryIssue[],
): Promise<boolean | null> {
  const read = await tryReadFile(host, VFIO_ENABLE_SRIOV_PATH);
  if (!read.ok) {
    // vfio_pci built without the parameter (older kernels) behaves as "off".
    if (isAbsent(read)) return false;
    issues.push(failedReadIssue(VFIO_ENABLE_SRIOV_PATH, read));
    return null;
  }
  return parseOr(issues, parseModuleBool, read.value, VFIO_ENABLE_SRIOV_PATH, null);
}
