/**
 * Names for the SR-IOV devices sriovctl meets most, used when the host has no pci.ids (minimal
 * container images, the simulator). IDs follow linux-sriov-abi.md §8; names follow pci.ids.
 */

export const BUILTIN_VENDOR_NAMES: Readonly<Record<string, string>> = {
  '8086': 'Intel Corporation',
  '15b3': 'Mellanox Technologies',
  '14e4': 'Broadcom Inc. and subsidiaries',
  '1b36': 'Red Hat, Inc.',
};

/** Keyed `vendor:device`, lowercase hex without 0x. */
export const BUILTIN_DEVICE_NAMES: Readonly<Record<string, string>> = {
  // Intel 82599 / X540 / X550 (ixgbe → ixgbevf)
  '8086:10fb': '82599ES 10-Gigabit SFI/SFP+ Network Connection',
  '8086:10ed': '82599 Ethernet Controller Virtual Function',
  '8086:1528': 'Ethernet Controller 10-Gigabit X540-AT2',
  '8086:1515': 'X540 Ethernet Controller Virtual Function',
  '8086:1563': 'Ethernet Controller 10G X550T',
  '8086:1565': 'X550 Virtual Function',
  '8086:15a8': 'Ethernet Connection X552 Virtual Function',
  '8086:15c5': 'X553 Virtual Function',
  // Intel 700 series (i40e → iavf)
  '8086:1572': 'Ethernet Controller X710 for 10GbE SFP+',
  '8086:1583': 'Ethernet Controller XL710 for 40GbE QSFP+',
  '8086:1584': 'Ethernet Controller XL710 for 40GbE QSFP+',
  '8086:1586': 'Ethernet Controller X710 for 10GBASE-T',
  '8086:158b': 'Ethernet Controller XXV710 for 25GbE SFP28',
  '8086:154c': 'Ethernet Virtual Function 700 Series',
  '8086:1571': 'Ethernet Virtual Function 700 Series (Hyper-V)',
  '8086:37cd': 'Ethernet Virtual Function 700 Series (X722)',
  // Intel E810 (ice → iavf)
  '8086:1592': 'Ethernet Controller E810-C for QSFP',
  '8086:1593': 'Ethernet Controller E810-C for SFP',
  '8086:159b': 'Ethernet Controller E810-XXV for SFP',
  '8086:1889': 'Ethernet Adaptive Virtual Function',
  // Mellanox / NVIDIA ConnectX (mlx5_core for PF and VF)
  '15b3:1013': 'MT27700 Family [ConnectX-4]',
  '15b3:1014': 'MT27700 Family [ConnectX-4 Virtual Function]',
  '15b3:1015': 'MT27710 Family [ConnectX-4 Lx]',
  '15b3:1016': 'MT27710 Family [ConnectX-4 Lx Virtual Function]',
  '15b3:1017': 'MT27800 Family [ConnectX-5]',
  '15b3:1018': 'MT27800 Family [ConnectX-5 Virtual Function]',
  '15b3:1019': 'MT28800 Family [ConnectX-5 Ex]',
  '15b3:101a': 'MT28800 Family [ConnectX-5 Ex Virtual Function]',
  '15b3:101b': 'MT28908 Family [ConnectX-6]',
  '15b3:101c': 'MT28908 Family [ConnectX-6 Virtual Function]',
  '15b3:101d': 'MT2892 Family [ConnectX-6 Dx]',
  '15b3:101e': 'ConnectX Family mlx5Gen Virtual Function',
  '15b3:101f': 'MT2894 Family [ConnectX-6 Lx]',
  '15b3:1021': 'MT2910 Family [ConnectX-7]',
  '15b3:a2d2': 'MT416842 BlueField integrated ConnectX-5 network controller',
  '15b3:a2d3': 'MT416842 BlueField multicore SoC family VF',
  // Broadcom NetXtreme-C/E (bnxt_en for PF and VF)
  '14e4:16d7': 'BCM57414 NetXtreme-E 10Gb/25Gb RDMA Ethernet Controller',
  '14e4:16d8': 'BCM57416 NetXtreme-E Dual-Media 10G RDMA Ethernet Controller',
  '14e4:1750': 'BCM57508 NetXtreme-E 10Gb/25Gb/50Gb/100Gb/200Gb Ethernet',
  '14e4:16dc': 'NetXtreme-E Ethernet Virtual Function',
  '14e4:16c1': 'NetXtreme-E RDMA Virtual Function',
  '14e4:16d3': 'NetXtreme-E Ethernet Virtual Function',
  '14e4:16cb': 'NetXtreme-C Ethernet Virtual Function',
  '14e4:16e1': 'NetXtreme-C RDMA Virtual Function',
  '14e4:16e5': 'NetXtreme-C RDMA Virtual Function',
  '14e4:1806': 'BCM5750X NetXtreme-E Ethernet Virtual Function',
  '14e4:1807': 'BCM5750X NetXtreme-E RDMA Virtual Function',
  // QEMU's emulated NVMe controller (SR-IOV capable with sriov_max_vfs; VFs share the ID)
  '1b36:0010': 'QEMU NVM Express Controller',
};

/**
 * netdevsim devices live on their own bus (/sys/bus/netdevsim), not PCI; callers that show them
 * use these names instead of a PCI lookup.
 */
export const NETDEVSIM_NAMES = {
  vendorName: 'netdevsim',
  deviceName: 'netdevsim simulated network device',
} as const;
