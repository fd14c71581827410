/** Naming helpers shared by the per-PF checks. */
import type { PfSnapshot } from '../inventory/types.js';

/** The PF's sysfs directory, the source path most evidence lines cite. */
export function devPath(pf: PfSnapshot): string {
  return `/sys/bus/pci/devices/${pf.pciAddress}`;
}

/** The name a command takes: the netdev when there is one, else a placeholder the user fills in. */
export function ifnameOf(pf: PfSnapshot): string {
  return pf.netdev ?? '<pf-netdev>';
}

/** True for Mellanox/NVIDIA ConnectX (mlx5): VF limits live in the card's firmware configuration. */
export function isMlx5(pf: PfSnapshot): boolean {
  return pf.driver === 'mlx5_core' || pf.vendorId === '15b3';
}

/** The in-tree PF driver for the common SR-IOV NICs, so a fix can name the module to load. */
export function expectedDriver(pf: PfSnapshot): string | null {
  if (pf.vendorId === '15b3') return 'mlx5_core';
  if (pf.vendorId === '14e4') return 'bnxt_en';
  if (pf.vendorId !== '8086') return null;
  if (['1591', '1592', '1593', '1599', '159b'].includes(pf.deviceId)) return 'ice';
  if (
    [
      '1572',
      '1574',
      '1580',
      '1581',
      '1583',
      '1584',
      '1585',
      '1586',
      '1587',
      '1588',
      '1589',
      '158a',
      '158b',
      '37d0',
      '37d1',
      '37d2',
      '37d3',
    ].includes(pf.deviceId)
  ) {
    return 'i40e';
  }
  if (['10fb', '10f8', '1528', '1563', '15ab', '15ad'].includes(pf.deviceId)) return 'ixgbe';
  return null;
}
