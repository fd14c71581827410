/**
 * IOMMU checks: the platform has one (ACPI DMAR/IVRS), the kernel uses it (groups exist), host
 * devices bypass translation (iommu=pt) and interrupts are remapped. These follow libvirt's
 * virt-host-validate, with the fix spelled out for the vendor at hand.
 */
import type { HostFacts } from '../inventory/types.js';
import type { CheckResult } from './types.js';
import {
  cmdlineEvidence,
  disablingTokens,
  grubFix,
  hasPassthrough,
  iommuOnParams,
  parseCmdline,
  platformVendor,
  type PlatformVendor,
} from './cmdline.js';
import { result } from './result.js';

/** True when the kernel is translating DMA: at least one IOMMU group exists. */
export function iommuActive(h: HostFacts): boolean {
  return h.iommu.groupCount > 0;
}

function acpiEvidence(h: HostFacts): string {
  return h.iommu.acpiTable
    ? `/sys/firmware/acpi/tables/${h.iommu.acpiTable}: present`
    : '/sys/firmware/acpi/tables: no DMAR (Intel) or IVRS (AMD) table';
}

function iommuEvidence(h: HostFacts): string[] {
  const units = h.iommu.units.length > 0 ? h.iommu.units.join(', ') : 'no units';
  return [
    acpiEvidence(h),
    `/sys/class/iommu: ${units}`,
    `/sys/kernel/iommu_groups: ${h.iommu.groupCount} groups`,
    cmdlineEvidence(h.kernelCmdline),
  ];
}

function biosIommuFix(vendor: PlatformVendor | null): string {
  switch (vendor) {
    case 'intel':
      return 'Enable VT-d (Intel Virtualization Technology for Directed I/O) in the BIOS/UEFI setup, then reboot.';
    case 'amd':
      return 'Enable AMD-Vi (IOMMU) in the BIOS/UEFI setup, then reboot.';
    case null:
      return 'Enable the IOMMU in the BIOS/UEFI setup (Intel: VT-d; AMD: AMD-Vi/IOMMU), then reboot.';
  }
}

/** `iommu.enabled`: SR-IOV VFs can be handed to VMs or vfio users only through the IOMMU. */
export function checkIommuEnabled(h: HostFacts): CheckResult {
  const base = { id: 'iommu.enabled', scope: 'host' as const, evidence: iommuEvidence(h) };
  const vendor = platformVendor(h);
  if (iommuActive(h)) {
    return result({ ...base, title: 'IOMMU is enabled', status: 'pass' });
  }
  if (h.iommu.acpiTable === null) {
    // Without the firmware table the kernel has nothing to enable; the BIOS comes first, and the
    // kernel parameters second (Intel's default depends on CONFIG_INTEL_IOMMU_DEFAULT_ON).
    const kernelStep =
      vendor === 'amd' ? '' : ` If it stays off after that: ${grubFix(iommuOnParams(vendor))}`;
    return result({
      ...base,
      title:
        'IOMMU is disabled in the BIOS/UEFI or not supported by this platform (no ACPI DMAR/IVRS table)',
      status: 'fail',
      fix: biosIommuFix(vendor) + kernelStep,
    });
  }
  const off = disablingTokens(h.kernelCmdline);
  if (off.length > 0) {
    return result({
      ...base,
      title: `IOMMU is disabled on the kernel command line (${off.join(' ')})`,
      status: 'fail',
      fix: grubFix(iommuOnParams(vendor), off),
    });
  }
  const params = parseCmdline(h.kernelCmdline);
  const intelAlreadyOn =
    vendor === 'intel' && (params.get('intel_iommu') ?? '').split(',').includes('on');
  if (vendor === 'amd' || intelAlreadyOn) {
    // The parameters are right (AMD-Vi is on by default with IVRS), so the kernel itself failed.
    const cfg = vendor === 'amd' ? 'CONFIG_AMD_IOMMU' : 'CONFIG_INTEL_IOMMU';
    const grep = vendor === 'amd' ? 'AMD-Vi' : '-e DMAR -e IOMMU';
    return result({
      ...base,
      title: 'IOMMU is present but the kernel did not enable it (no IOMMU groups)',
      status: 'fail',
      fix:
        `Check \`dmesg | grep -i ${grep}\` for firmware errors and that the kernel is built with ${cfg}=y ` +
        `(\`grep ${cfg} /boot/config-${h.kernelRelease}\`); update the BIOS/UEFI if the ACPI table is reported broken.`,
    });
  }
  return result({
    ...base,
    title: 'IOMMU appears to be disabled in the kernel (no IOMMU groups)',
    status: 'fail',
    fix: grubFix(iommuOnParams(vendor)),
  });
}

/** `iommu.passthrough`: without iommu=pt every host-owned device pays for DMA translation. */
export function checkIommuPassthrough(h: HostFacts): CheckResult {
  const evidence = [cmdlineEvidence(h.kernelCmdline)];
  if (h.iommu.defaultDomainType !== null) {
    evidence.push(`/sys/kernel/iommu_groups/*/type: ${h.iommu.defaultDomainType}`);
  }
  const base = { id: 'iommu.passthrough', scope: 'host' as const, evidence };
  if (!iommuActive(h)) {
    return result({
      ...base,
      title: 'IOMMU passthrough not evaluated (IOMMU is off)',
      status: 'info',
    });
  }
  if (hasPassthrough(h.kernelCmdline) || h.iommu.defaultDomainType === 'identity') {
    return result({
      ...base,
      title: 'Host-owned devices use passthrough (identity) mappings',
      status: 'pass',
    });
  }
  return result({
    ...base,
    title: 'iommu=pt is not set: host-owned devices (PFs, host VF drivers) pay for DMA translation',
    status: 'info',
    fix: grubFix('iommu=pt'),
  });
}

function irqEvidence(h: HostFacts, vendor: PlatformVendor | null): string {
  const unit = h.iommu.units[0] ?? (vendor === 'amd' ? 'ivhd0' : 'dmar0');
  const source =
    vendor === 'amd'
      ? `/sys/class/iommu/${unit}/amd-iommu/features`
      : `/sys/class/iommu/${unit}/intel-iommu/ecap`;
  const state =
    h.iommu.interruptRemapping === null
      ? 'interrupt remapping support unknown'
      : h.iommu.interruptRemapping
        ? 'interrupt remapping supported'
        : 'interrupt remapping not supported (IR bit clear)';
  return `${source}: ${state}`;
}

/** `iommu.interrupt-remapping`: vfio refuses assignment without it unless unsafe interrupts are allowed. */
export function checkInterruptRemapping(h: HostFacts): CheckResult {
  const vendor = platformVendor(h);
  // With the IOMMU off there are no units to read the capability from; cite that instead.
  const evidence = [iommuActive(h) ? irqEvidence(h, vendor) : '/sys/kernel/iommu_groups: 0 groups'];
  const intremap = parseCmdline(h.kernelCmdline).get('intremap');
  if (intremap !== undefined) evidence.push(`/proc/cmdline: ... intremap=${intremap}`);
  const base = { id: 'iommu.interrupt-remapping', scope: 'host' as const, evidence };
  if (!iommuActive(h)) {
    return result({
      ...base,
      title: 'Interrupt remapping not evaluated (IOMMU is off)',
      status: 'info',
    });
  }
  if (h.iommu.interruptRemapping === true) {
    return result({ ...base, title: 'Interrupt remapping is enabled', status: 'pass' });
  }
  if (h.iommu.interruptRemapping === null) {
    return result({
      ...base,
      title: 'Interrupt remapping could not be determined',
      status: 'info',
    });
  }
  const cmdlineStep =
    intremap === 'off' ? grubFix('intremap=on', ['intremap=off']) : grubFix('intremap=on');
  return result({
    ...base,
    title:
      'Interrupt remapping is off: vfio refuses to assign VFs unless allow_unsafe_interrupts=1 (a guest could inject host interrupts)',
    status: 'warn',
    fix:
      `Enable interrupt remapping in the BIOS/UEFI setup (part of ${vendor === 'amd' ? 'AMD-Vi/IOMMU' : 'VT-d'} ` +
      `on most boards), then ${cmdlineStep[0]!.toLowerCase()}${cmdlineStep.slice(1)}`,
  });
}
