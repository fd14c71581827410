import { describe, expect, it } from 'vitest';
import { checkCpuVirtualization } from '../../../src/doctor/host-cpu.js';
import { checkVfioPci } from '../../../src/doctor/host-vfio.js';
import { hostFacts } from './builders.js';

describe('cpu.virtualization', () => {
  it('passes with vmx', () => {
    const r = checkCpuVirtualization(hostFacts());
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual(['/proc/cpuinfo: flags include vmx (GenuineIntel)']);
  });

  it('warns without vmx/svm: VMs cannot use VFs, and the fix names VT-x for Intel', () => {
    const r = checkCpuVirtualization(hostFacts({ cpuVirtualization: null }));
    expect(r.status).toBe('warn');
    expect(r.title).toContain('VMs cannot use VFs');
    expect(r.fix).toBe(
      'Enable Intel VT-x ("Intel Virtualization Technology") in the BIOS/UEFI setup, then reboot. ' +
        'If this host is itself a VM, enable nested virtualization on its hypervisor instead.',
    );
  });

  it('names AMD-V (SVM Mode) on AMD hosts', () => {
    const r = checkCpuVirtualization(
      hostFacts({
        cpuVirtualization: null,
        cpuVendor: 'AuthenticAMD',
        iommu: { acpiTable: 'IVRS' },
      }),
    );
    expect(r.fix).toMatch(/^Enable AMD-V \("SVM Mode"\)/);
  });
});

describe('vfio.pci', () => {
  it('passes when loaded', () => {
    expect(checkVfioPci(hostFacts()).status).toBe('pass');
  });

  it('warns when available but not loaded, with modprobe and the modules-load.d persistence', () => {
    const r = checkVfioPci(
      hostFacts({
        vfioPci: {
          loaded: false,
          available: true,
          evidence:
            '/lib/modules/6.1.0-18-amd64/kernel/drivers/vfio/pci/vfio-pci.ko: present, not loaded',
        },
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.evidence).toEqual([
      '/lib/modules/6.1.0-18-amd64/kernel/drivers/vfio/pci/vfio-pci.ko: present, not loaded',
    ]);
    expect(r.fix).toBe(
      'Run `modprobe vfio-pci` and persist it across reboots with `echo vfio-pci > /etc/modules-load.d/vfio-pci.conf`.',
    );
  });

  it('fails when the kernel has no vfio-pci at all', () => {
    const r = checkVfioPci(
      hostFacts({
        vfioPci: { loaded: false, available: false, evidence: 'modules.dep: no vfio-pci' },
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.fix).toContain('linux-modules-extra-6.1.0-18-amd64');
    expect(r.fix).toContain('CONFIG_VFIO_PCI');
  });
});
