/**
 * What a kernel refusal means for the operation that got it, and what fixes it. The errno alone
 * ("Device or resource busy") tells an operator nothing about SR-IOV; these texts do.
 */
import type { ErrnoName } from '../host/errors.js';

/** The operations the executor performs, for choosing the right explanation. */
export type Operation =
  | {
      kind: 'numVfs';
      pf: string;
      from: number;
      to: number;
      totalVfs?: number;
      driver?: string | null;
    }
  | { kind: 'bind'; device: string; driver: string }
  | { kind: 'unbind'; device: string; driver: string }
  | { kind: 'vfSetting'; pf: string; vf: number; setting: string; driver?: string | null }
  | { kind: 'eswitch'; pf: string; mode: string };

export interface Explanation {
  /** What went wrong, in SR-IOV terms. */
  explanation: string;
  /** The known fix, when there is one. */
  fix?: string;
}

function numVfs(op: Extract<Operation, { kind: 'numVfs' }>, errno: ErrnoName): Explanation {
  switch (errno) {
    case 'EBUSY':
      return {
        explanation: `${op.pf} already has ${op.from} VFs; the kernel cannot change a non-zero VF count to another non-zero count (${op.from} → ${op.to})`,
        fix: `write 0 first, then ${op.to} — this destroys every existing VF, so stop their users first`,
      };
    case 'ERANGE':
      return {
        explanation: `${op.to} VFs is more than ${op.pf} supports (sriov_totalvfs ${op.totalVfs ?? '?'})`,
        fix:
          op.driver === 'mlx5_core'
            ? 'raise the firmware limit: `mlxconfig -d <pci> set SRIOV_EN=1 NUM_OF_VFS=<n>`, then reboot or reset the firmware'
            : 'request at most sriov_totalvfs VFs; the limit comes from the firmware/NVM (and ixgbe caps it at 63)',
      };
    case 'ENOENT':
      return {
        explanation: `${op.pf} has no driver bound, or its driver (${op.driver ?? 'none'}) cannot configure SR-IOV through sysfs`,
        fix: 'bind the PF to its network driver (ice, i40e, ixgbe, mlx5_core, bnxt_en, ...) before creating VFs',
      };
    case 'ENOMEM':
      if (op.driver === 'netdevsim')
        return {
          explanation: `${op.to} VFs is more than ${op.pf} allows (debugfs max_vfs ${op.totalVfs ?? '4 by default'})`,
          fix: `write a larger limit to /sys/kernel/debug/netdevsim/${op.pf}/max_vfs while no VFs exist`,
        };
      return {
        explanation: `the kernel could not find MMIO space or bus numbers for ${op.to} VFs behind ${op.pf}`,
        fix: 'boot with `pci=realloc` (or `pci=assign-busses`), or enable SR-IOV / "above 4G decoding" BAR space in the BIOS',
      };
    case 'EPERM':
      return {
        explanation: `the driver refused ${op.to} VFs on ${op.pf}: device resources are limited (i40e), VFs are assigned to a VM, or traffic classes/macvlans are configured (ixgbe)`,
        fix: 'request fewer VFs, release the VFs from running VMs, or remove the TC/macvlan offloads first',
      };
    case 'EOPNOTSUPP':
      return {
        explanation: `the driver of ${op.pf} cannot enable ${op.to} VFs (ice: more than it supports, or the device is in safe mode)`,
        fix: 'request fewer VFs; for ice, check `dmesg` for "safe mode" and install the DDP package',
      };
    case 'EINVAL':
      return {
        explanation: `${op.to} is not a VF count the kernel accepts`,
        fix: 'write a decimal number from 0 to sriov_totalvfs',
      };
    case 'EAGAIN':
      return {
        explanation: `the driver of ${op.pf} is busy (a virtchnl operation or reset in progress)`,
        fix: 'retry in a few seconds',
      };
    default:
      return { explanation: `the kernel refused to change the VF count of ${op.pf}` };
  }
}

function bind(op: Extract<Operation, { kind: 'bind' }>, errno: ErrnoName): Explanation {
  switch (errno) {
    case 'ENODEV':
      return {
        explanation: `${op.driver} does not match ${op.device} (not in its ID table, or driver_override names another driver)`,
        fix:
          op.driver === 'vfio-pci'
            ? 'set driver_override to vfio-pci before binding (vfio-pci only binds through driver_override or new_id)'
            : `clear driver_override on ${op.device} or choose the driver its ID table names`,
      };
    case 'EBUSY':
      return {
        explanation: `${op.device} is already bound, or (vfio-pci) it is a PF with VFs enabled, or its IOMMU group is in use by a VM`,
        fix: 'unbind it first; for a PF, set numVfs to 0 before passing it through',
      };
    case 'EINVAL':
      return op.driver === 'vfio-pci'
        ? {
            explanation: `vfio-pci refused ${op.device}: it has no IOMMU group (the IOMMU is off) or is not a normal device`,
            fix: 'enable the IOMMU (`intel_iommu=on` or `amd_iommu=on` on the kernel command line) and reboot',
          }
        : { explanation: `${op.driver} refused ${op.device}` };
    default:
      return {
        explanation: `${op.driver} failed to probe ${op.device}`,
        fix: "check `dmesg` for the driver's message",
      };
  }
}

function vfSetting(op: Extract<Operation, { kind: 'vfSetting' }>, errno: ErrnoName): Explanation {
  const intel = op.driver === 'ixgbe' || op.driver === 'i40e';
  switch (errno) {
    case 'EPROTONOSUPPORT':
      return {
        explanation: `${op.driver ?? 'the driver'} of ${op.pf} does not support 802.1ad (QinQ) VF VLANs`,
        fix: 'use 802.1Q, or on ice enable Double VLAN Mode in the NVM/DDP',
      };
    case 'EOPNOTSUPP':
      return {
        explanation: `${op.driver ?? 'the driver'} of ${op.pf} does not implement ${op.setting} for VFs (in switchdev mode, legacy VF settings go through the representor/devlink)`,
      };
    case 'EAGAIN':
      return {
        explanation: `VF ${op.vf} of ${op.pf} is still resetting after it was created`,
        fix: 'retry after a short wait (sriovctl retries this with backoff)',
      };
    case 'EINVAL':
      return {
        explanation:
          op.setting === 'rate' && intel
            ? `${op.driver} has no VF minimum rate and bounds the maximum by the link speed (ixgbe: link up at 10G, max > 10 Mbit/s)`
            : `${op.pf} refused ${op.setting} for VF ${op.vf}: out of range for this driver, a multicast MAC, or a VF index beyond numVfs`,
      };
    default:
      return { explanation: `the kernel refused ${op.setting} for VF ${op.vf} of ${op.pf}` };
  }
}

/** Explains a kernel errno in the context of the operation that received it. */
export function explain(op: Operation, errno: ErrnoName): Explanation {
  switch (op.kind) {
    case 'numVfs':
      return numVfs(op, errno);
    case 'bind':
      return bind(op, errno);
    case 'unbind':
      return errno === 'ENODEV'
        ? { explanation: `${op.device} is not bound to ${op.driver}` }
        : { explanation: `unbinding ${op.device} from ${op.driver} failed` };
    case 'vfSetting':
      return vfSetting(op, errno);
    case 'eswitch':
      return errno === 'EOPNOTSUPP'
        ? {
            explanation: `the driver of ${op.pf} cannot switch to ${op.mode} now (ice: only while no VFs exist)`,
            fix: 'set numVfs to 0, change the eswitch mode, then create the VFs again',
          }
        : { explanation: `changing the eswitch mode of ${op.pf} to ${op.mode} failed` };
  }
}
