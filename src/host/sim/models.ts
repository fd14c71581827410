/**
 * Device models for the simulated kernel: real PCI IDs, SR-IOV capability values and the driver
 * that binds, from ../../../../shared/reference/linux-sriov-abi.md §8. A fixture names a model and may
 * override the per-board values (firmware, VF counts configured in NVM).
 */

export interface SriovCapability {
  /** TotalVFs in the capability (what sriov_totalvfs shows when no driver is bound). */
  totalVfs: number;
  /** VF offset/stride for function 0 of the device; later functions derive theirs (see kernel.ts). */
  offset: number;
  stride: number;
  vfDeviceId: number;
}

export interface DeviceModel {
  id: string;
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number;
  subsystemDeviceId: number;
  classCode: number;
  revision: number;
  /** PF driver that binds by ID table. */
  driver: string;
  /** Host driver that binds its VFs by ID table (null: VFs are only for passthrough). */
  vfDriver: string | null;
  sriov: SriovCapability | null;
  /** Link speed in Mbit/s when the link is up. */
  speedMbps: number;
  /** Number of PCI functions (ports) on the board, for offset derivation of later functions. */
  functions: number;
  /** Whether the PF has a netdev (false for NVMe). */
  netdev: boolean;
  defaultFirmware: string;
  /**
   * The VF driver binds and then gives the VF up again after this long (QEMU's NVMe secondary
   * controllers are offline: "Device not ready; aborting initialisation ... Removing after probe
   * failure status: -19" about 0.5 s after VF creation, measured in the lab).
   */
  vfProbeFailsAfterMs?: number;
}

function m(
  def: Omit<DeviceModel, 'subsystemVendorId' | 'revision'> & Partial<DeviceModel>,
): DeviceModel {
  return { subsystemVendorId: def.vendorId, revision: 1, ...def };
}

export const DEVICE_MODELS: Record<string, DeviceModel> = {
  'intel-82599-sfp': m({
    id: 'intel-82599-sfp',
    vendorId: 0x8086,
    deviceId: 0x10fb,
    subsystemDeviceId: 0x0006,
    classCode: 0x020000,
    driver: 'ixgbe',
    vfDriver: 'ixgbevf',
    sriov: { totalVfs: 64, offset: 128, stride: 2, vfDeviceId: 0x10ed },
    speedMbps: 10000,
    functions: 2,
    netdev: true,
    defaultFirmware: '0x800003df, 1.2074.0',
  }),
  'intel-x710-sfp': m({
    id: 'intel-x710-sfp',
    vendorId: 0x8086,
    deviceId: 0x1572,
    subsystemDeviceId: 0x0007,
    classCode: 0x020000,
    revision: 2,
    driver: 'i40e',
    vfDriver: 'iavf',
    sriov: { totalVfs: 64, offset: 16, stride: 1, vfDeviceId: 0x154c },
    speedMbps: 10000,
    functions: 2,
    netdev: true,
    defaultFirmware: '9.20 0x8000d95e 1.3353.0',
  }),
  'intel-e810-c-qsfp': m({
    id: 'intel-e810-c-qsfp',
    vendorId: 0x8086,
    deviceId: 0x1592,
    subsystemDeviceId: 0x0002,
    classCode: 0x020000,
    revision: 2,
    driver: 'ice',
    vfDriver: 'iavf',
    sriov: { totalVfs: 128, offset: 8, stride: 1, vfDeviceId: 0x1889 },
    speedMbps: 100000,
    functions: 2,
    netdev: true,
    defaultFirmware: '4.20 0x80017785 1.3346.0',
  }),
  'intel-e810-c-qsfp-1port': m({
    id: 'intel-e810-c-qsfp-1port',
    vendorId: 0x8086,
    deviceId: 0x1592,
    subsystemDeviceId: 0x0001,
    classCode: 0x020000,
    revision: 2,
    driver: 'ice',
    vfDriver: 'iavf',
    sriov: { totalVfs: 256, offset: 8, stride: 1, vfDeviceId: 0x1889 },
    speedMbps: 100000,
    functions: 1,
    netdev: true,
    defaultFirmware: '4.20 0x80017785 1.3346.0',
  }),
  'intel-e810-xxv-sfp': m({
    id: 'intel-e810-xxv-sfp',
    vendorId: 0x8086,
    deviceId: 0x159b,
    subsystemDeviceId: 0x0003,
    classCode: 0x020000,
    revision: 2,
    driver: 'ice',
    vfDriver: 'iavf',
    sriov: { totalVfs: 128, offset: 8, stride: 1, vfDeviceId: 0x1889 },
    speedMbps: 25000,
    functions: 2,
    netdev: true,
    defaultFirmware: '4.20 0x80017785 1.3346.0',
  }),
  'mellanox-cx6dx': m({
    id: 'mellanox-cx6dx',
    vendorId: 0x15b3,
    deviceId: 0x101d,
    subsystemDeviceId: 0x0016,
    classCode: 0x020000,
    driver: 'mlx5_core',
    vfDriver: 'mlx5_core',
    // TotalVFs is whatever firmware NUM_OF_VFS says; 16 is the common factory setting.
    sriov: { totalVfs: 16, offset: 2, stride: 1, vfDeviceId: 0x101e },
    speedMbps: 100000,
    functions: 2,
    netdev: true,
    defaultFirmware: '22.36.1010',
  }),
  'broadcom-57414': m({
    id: 'broadcom-57414',
    vendorId: 0x14e4,
    deviceId: 0x16d7,
    subsystemDeviceId: 0x1402,
    classCode: 0x020000,
    driver: 'bnxt_en',
    vfDriver: 'bnxt_en',
    sriov: { totalVfs: 64, offset: 8, stride: 1, vfDeviceId: 0x16dc },
    speedMbps: 25000,
    functions: 2,
    netdev: true,
    defaultFirmware: '224.0.158.0/pkg 224.1.102.0',
  }),
  'intel-i210': m({
    id: 'intel-i210',
    vendorId: 0x8086,
    deviceId: 0x1533,
    subsystemDeviceId: 0x0000,
    classCode: 0x020000,
    revision: 3,
    driver: 'igb',
    vfDriver: null,
    sriov: null,
    speedMbps: 1000,
    functions: 1,
    netdev: true,
    defaultFirmware: '3.16, 0x800004ff',
  }),
  'qemu-nvme': m({
    id: 'qemu-nvme',
    vendorId: 0x1b36,
    deviceId: 0x0010,
    subsystemVendorId: 0x1af4,
    subsystemDeviceId: 0x1100,
    classCode: 0x010802,
    revision: 2,
    driver: 'nvme',
    vfDriver: 'nvme',
    sriov: { totalVfs: 7, offset: 1, stride: 1, vfDeviceId: 0x0010 },
    speedMbps: 0,
    functions: 1,
    netdev: false,
    defaultFirmware: '1.0',
    vfProbeFailsAfterMs: 500,
  }),
};
