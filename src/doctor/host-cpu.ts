/** CPU virtualization: without VT-x/AMD-V there is no KVM, so no VM can be given a VF. */
import type { HostFacts } from '../inventory/types.js';
import { platformVendor } from './cmdline.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

/** `cpu.virtualization`: the vmx (Intel) or svm (AMD) flag in /proc/cpuinfo. */
export function checkCpuVirtualization(h: HostFacts): CheckResult {
  const vendorLabel = h.cpuVendor.length > 0 ? ` (${h.cpuVendor})` : '';
  const base = { id: 'cpu.virtualization', scope: 'host' as const };
  if (h.cpuVirtualization !== null) {
    return result({
      ...base,
      title: `CPU virtualization is available (${h.cpuVirtualization})`,
      status: 'pass',
      evidence: [`/proc/cpuinfo: flags include ${h.cpuVirtualization}${vendorLabel}`],
    });
  }
  const vendor = platformVendor(h);
  const bios =
    vendor === 'amd'
      ? 'Enable AMD-V ("SVM Mode") in the BIOS/UEFI setup, then reboot.'
      : vendor === 'intel'
        ? 'Enable Intel VT-x ("Intel Virtualization Technology") in the BIOS/UEFI setup, then reboot.'
        : 'Enable CPU virtualization (Intel VT-x or AMD-V/SVM) in the BIOS/UEFI setup, then reboot.';
  return result({
    ...base,
    title:
      'CPU virtualization (vmx/svm) is missing: VMs cannot use VFs; containers and DPDK on the host still can',
    status: 'warn',
    evidence: [`/proc/cpuinfo: no vmx or svm flag${vendorLabel}`],
    fix: `${bios} If this host is itself a VM, enable nested virtualization on its hypervisor instead.`,
  });
}
