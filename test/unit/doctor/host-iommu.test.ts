import { describe, expect, it } from 'vitest';
import {
  checkInterruptRemapping,
  checkIommuEnabled,
  checkIommuPassthrough,
} from '../../../src/doctor/host-iommu.js';
import { hostFacts } from './builders.js';

const GRUB_INTEL =
  'Add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` (Debian/Ubuntu) ' +
  'or `grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.';

describe('iommu.enabled', () => {
  it('passes when the kernel has IOMMU groups, citing table, units, groups and cmdline', () => {
    const r = checkIommuEnabled(hostFacts());
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual([
      '/sys/firmware/acpi/tables/DMAR: present',
      '/sys/class/iommu: dmar0, dmar1',
      '/sys/kernel/iommu_groups: 180 groups',
      '/proc/cmdline: ... intel_iommu=on iommu=pt',
    ]);
    expect(r.fix).toBeUndefined();
  });

  it('fails on Intel with a DMAR table but no groups, with the GRUB fix for intel_iommu=on iommu=pt', () => {
    const r = checkIommuEnabled(
      hostFacts({
        kernelCmdline: 'BOOT_IMAGE=/vmlinuz ro quiet',
        iommu: { groupCount: 0, units: [] },
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('/sys/kernel/iommu_groups: 0 groups');
    expect(r.evidence).toContain('/proc/cmdline: no intel_iommu=, amd_iommu= or iommu= parameter');
    expect(r.fix).toBe(GRUB_INTEL);
  });

  it('fails with "enable VT-d in the BIOS" when there is no ACPI DMAR table on an Intel host', () => {
    const r = checkIommuEnabled(
      hostFacts({ iommu: { acpiTable: null, groupCount: 0, units: [] } }),
    );
    expect(r.status).toBe('fail');
    expect(r.evidence[0]).toBe('/sys/firmware/acpi/tables: no DMAR (Intel) or IVRS (AMD) table');
    expect(r.fix).toBe(
      'Enable VT-d (Intel Virtualization Technology for Directed I/O) in the BIOS/UEFI setup, then reboot. ' +
        `If it stays off after that: ${GRUB_INTEL}`,
    );
  });

  it('tells an AMD host to enable AMD-Vi in the BIOS when there is no IVRS table', () => {
    const r = checkIommuEnabled(
      hostFacts({
        cpuVendor: 'AuthenticAMD',
        cpuVirtualization: 'svm',
        kernelCmdline: 'ro quiet',
        iommu: { acpiTable: null, groupCount: 0, units: [] },
      }),
    );
    expect(r.fix).toBe('Enable AMD-Vi (IOMMU) in the BIOS/UEFI setup, then reboot.');
  });

  it('names the disabling token when the command line turns the IOMMU off', () => {
    const r = checkIommuEnabled(
      hostFacts({ kernelCmdline: 'ro quiet intel_iommu=off', iommu: { groupCount: 0, units: [] } }),
    );
    expect(r.status).toBe('fail');
    expect(r.title).toContain('intel_iommu=off');
    expect(r.fix).toBe(
      'Remove `intel_iommu=off` from GRUB_CMDLINE_LINUX in /etc/default/grub and add `intel_iommu=on iommu=pt`, ' +
        'run `update-grub` (Debian/Ubuntu) or `grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.',
    );
  });

  it('treats iommu=off on AMD as the culprit and only asks for iommu=pt (AMD-Vi is on by default)', () => {
    const r = checkIommuEnabled(
      hostFacts({
        cpuVendor: 'AuthenticAMD',
        cpuVirtualization: 'svm',
        kernelCmdline: 'ro iommu=off',
        iommu: { acpiTable: 'IVRS', groupCount: 0, units: [] },
      }),
    );
    expect(r.fix).toMatch(
      /^Remove `iommu=off` from GRUB_CMDLINE_LINUX in \/etc\/default\/grub and add `iommu=pt`/,
    );
  });

  it('points at the kernel build when intel_iommu=on is already set yet no groups exist', () => {
    const r = checkIommuEnabled(hostFacts({ iommu: { groupCount: 0, units: [] } }));
    expect(r.status).toBe('fail');
    expect(r.fix).toContain('CONFIG_INTEL_IOMMU=y');
    expect(r.fix).toContain('/boot/config-6.1.0-18-amd64');
  });
});

describe('iommu.passthrough', () => {
  it('passes with iommu=pt', () => {
    expect(checkIommuPassthrough(hostFacts()).status).toBe('pass');
  });

  it('is info, not a warning, without iommu=pt: it costs host-device performance, not correctness', () => {
    const r = checkIommuPassthrough(
      hostFacts({ kernelCmdline: 'ro intel_iommu=on', iommu: { defaultDomainType: 'DMA-FQ' } }),
    );
    expect(r.status).toBe('info');
    expect(r.evidence).toEqual([
      '/proc/cmdline: ... intel_iommu=on',
      '/sys/kernel/iommu_groups/*/type: DMA-FQ',
    ]);
    expect(r.fix).toBe(
      'Add `iommu=pt` to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` (Debian/Ubuntu) or ' +
        '`grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.',
    );
  });
});

describe('iommu.interrupt-remapping', () => {
  it('passes when the IR capability is present', () => {
    expect(checkInterruptRemapping(hostFacts()).status).toBe('pass');
  });

  it('warns when interrupt remapping is off, explaining allow_unsafe_interrupts and giving the BIOS + intremap fix', () => {
    const r = checkInterruptRemapping(hostFacts({ iommu: { interruptRemapping: false } }));
    expect(r.status).toBe('warn');
    expect(r.title).toContain('allow_unsafe_interrupts');
    expect(r.evidence).toEqual([
      '/sys/class/iommu/dmar0/intel-iommu/ecap: interrupt remapping not supported (IR bit clear)',
    ]);
    expect(r.fix).toBe(
      'Enable interrupt remapping in the BIOS/UEFI setup (part of VT-d on most boards), then add `intremap=on` ' +
        'to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub` (Debian/Ubuntu) or ' +
        '`grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.',
    );
  });

  it('asks to remove intremap=off when the command line disables it', () => {
    const r = checkInterruptRemapping(
      hostFacts({
        kernelCmdline: 'ro intel_iommu=on intremap=off',
        iommu: { interruptRemapping: false },
      }),
    );
    expect(r.evidence).toContain('/proc/cmdline: ... intremap=off');
    expect(r.fix).toContain('remove `intremap=off` from GRUB_CMDLINE_LINUX');
  });

  it('is not evaluated while the IOMMU is off', () => {
    const r = checkInterruptRemapping(
      hostFacts({ iommu: { groupCount: 0, interruptRemapping: null } }),
    );
    expect(r.status).toBe('info');
  });
});
