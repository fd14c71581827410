/**
 * Can this PF make VFs at all: the SR-IOV capability is exposed (totalVfs > 0), a driver is bound
 * and implements sriov_configure, and how many VFs the driver or firmware allows.
 */
import type { PfSnapshot } from '../inventory/types.js';
import { devPath, expectedDriver, isMlx5 } from './pf-common.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

/** `pf.sriov-capable`: sriov_totalvfs > 0, i.e. the capability is enabled in firmware and BIOS. */
export function checkSriovCapable(pf: PfSnapshot): CheckResult {
  const base = {
    id: 'pf.sriov-capable',
    scope: pf.pciAddress,
    evidence: [`${devPath(pf)}/sriov_totalvfs: ${pf.totalVfs}`],
  };
  if (pf.totalVfs > 0) {
    return result({ ...base, title: `SR-IOV capable (up to ${pf.totalVfs} VFs)`, status: 'pass' });
  }
  const fix = isMlx5(pf)
    ? `Enable SR-IOV in the adapter firmware: \`mlxconfig -d ${pf.pciAddress} set SRIOV_EN=1 NUM_OF_VFS=8\` ` +
      `(8 = the number of VFs you need), then reboot or run \`mlxfwreset -d ${pf.pciAddress} reset\`.`
    : 'Enable SR-IOV in the BIOS/UEFI setup (the global "SR-IOV Support" option and the NIC\'s own ' +
      'device settings / NVM configuration), then reboot.';
  return result({
    ...base,
    title: 'SR-IOV is disabled for this device (totalVfs 0)',
    status: 'fail',
    fix,
  });
}

/** `pf.driver`: numVfs can only change through a bound driver with sriov_configure (else ENOENT). */
export function checkPfDriver(pf: PfSnapshot): CheckResult {
  const version = pf.driverVersion ? ` (version ${pf.driverVersion})` : '';
  const evidence = [
    `${devPath(pf)}/driver: ${pf.driver ? `-> ${pf.driver}${version}` : 'absent (unbound)'}`,
  ];
  const base = { id: 'pf.driver', scope: pf.pciAddress, evidence };
  const host = expectedDriver(pf);
  if (pf.driver === null) {
    const load = host ? `\`modprobe ${host}\`, then ` : 'load its network driver, then ';
    return result({
      ...base,
      title: 'No driver is bound: writing sriov_numvfs fails with ENOENT',
      status: 'fail',
      fix: `Bind the PF to its network driver: ${load}\`echo ${pf.pciAddress} > /sys/bus/pci/drivers_probe\`.`,
    });
  }
  if (pf.driver === 'vfio-pci' || pf.driver === 'pci-stub') {
    const target = host ?? '<network-driver>';
    return result({
      ...base,
      title: `The PF is bound to ${pf.driver}, not its network driver: VFs cannot be created or configured`,
      status: 'fail',
      fix:
        `Bind the PF back to its network driver: \`echo ${pf.pciAddress} > ${devPath(pf)}/driver/unbind\`, ` +
        `\`echo > ${devPath(pf)}/driver_override\`, then \`echo ${pf.pciAddress} > /sys/bus/pci/drivers/${target}/bind\`.`,
    });
  }
  if (pf.sriovConfigurable === false) {
    return result({
      ...base,
      title: `Driver ${pf.driver} does not implement sriov_configure: writing sriov_numvfs fails with ENOENT`,
      status: 'fail',
      fix:
        `Use a driver that creates VFs through sysfs (the current in-tree ${host ?? pf.driver} or the vendor's driver); ` +
        `old drivers take a module parameter instead: \`modprobe -r ${pf.driver} && modprobe ${pf.driver} max_vfs=N\`.`,
    });
  }
  if (pf.sriovConfigurable === null) {
    return result({
      ...base,
      title: `Driver ${pf.driver} is bound; whether it supports sriov_configure is unknown`,
      status: 'info',
    });
  }
  return result({
    ...base,
    title: `Driver ${pf.driver} is bound and supports sriov_configure`,
    status: 'pass',
  });
}

/** Why this driver reports the totalVfs it does, and how to raise it where that is possible. */
function totalVfsNote(pf: PfSnapshot): { note: string; fix?: string } {
  if (isMlx5(pf)) {
    return {
      note: 'firmware-limited (mlxconfig NUM_OF_VFS)',
      fix:
        `To raise it: \`mlxconfig -d ${pf.pciAddress} set NUM_OF_VFS=<n>\`, then reboot or run ` +
        `\`mlxfwreset -d ${pf.pciAddress} reset\`.`,
    };
  }
  switch (pf.driver) {
    case 'ixgbe':
      return {
        note: 'ixgbe caps it at 63 (the 64th pool belongs to the PF; 32 with 4 TCs, 16 with 8 TCs)',
      };
    case 'i40e':
      return {
        note: 'i40e shares 128 VFs per device across its ports and may allow fewer when resources are short',
      };
    case 'ice':
      return {
        note: 'ice allows up to 256 VFs per device; SR-IOV needs the DDP package (safe mode has none)',
      };
    case 'bnxt_en':
      return { note: 'NVM-configured; bnxt_en creates VFs only while the interface is up' };
    default:
      return { note: 'as reported by the driver' };
  }
}

/** `pf.total-vfs`: informational, how many VFs this PF can have and what limits it. */
export function checkTotalVfs(pf: PfSnapshot): CheckResult {
  const { note, fix } = totalVfsNote(pf);
  return result({
    id: 'pf.total-vfs',
    scope: pf.pciAddress,
    title: `totalVfs ${pf.totalVfs}, numVfs ${pf.numVfs}: ${note}`,
    status: 'info',
    evidence: [
      `${devPath(pf)}/sriov_totalvfs: ${pf.totalVfs}`,
      `${devPath(pf)}/sriov_numvfs: ${pf.numVfs}`,
    ],
    ...(fix ? { fix } : {}),
  });
}
