/** vfio-pci: the driver a VF is bound to before it is handed to a VM or a DPDK process. */
import type { HostFacts } from '../inventory/types.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

/** `vfio.pci`: loaded, loadable, or missing from this kernel. */
export function checkVfioPci(h: HostFacts): CheckResult {
  const base = { id: 'vfio.pci', scope: 'host' as const, evidence: [h.vfioPci.evidence] };
  if (h.vfioPci.loaded) {
    return result({ ...base, title: 'vfio-pci is loaded', status: 'pass' });
  }
  if (h.vfioPci.available) {
    return result({
      ...base,
      title: 'vfio-pci is available but not loaded: VFs cannot be bound to it yet',
      status: 'warn',
      fix: 'Run `modprobe vfio-pci` and persist it across reboots with `echo vfio-pci > /etc/modules-load.d/vfio-pci.conf`.',
    });
  }
  const rel = h.kernelRelease;
  return result({
    ...base,
    title: 'vfio-pci is not available in this kernel: VFs cannot be assigned to VMs or DPDK',
    status: 'fail',
    fix:
      `Install the kernel modules that ship vfio-pci.ko for kernel ${rel} (Ubuntu: \`apt install linux-modules-extra-${rel}\`; ` +
      `RHEL: \`dnf install kernel-modules-${rel}\`) or use a kernel built with CONFIG_VFIO_PCI, then run \`modprobe vfio-pci\`.`,
  });
}
