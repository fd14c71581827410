/** Reading the kernel command line and naming the platform's IOMMU flavour, for the host checks. */
import type { HostFacts } from '../inventory/types.js';

/** The kernel parameters that decide whether and how the IOMMU translates. */
const IOMMU_KEYS = [
  'intel_iommu',
  'amd_iommu',
  'iommu',
  'iommu.passthrough',
  'iommu.strict',
  'intremap',
];

/** Splits /proc/cmdline into `key` → last value (the kernel lets a later repeat win). */
export function parseCmdline(cmdline: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const token of cmdline.trim().split(/\s+/)) {
    if (token.length === 0) continue;
    const eq = token.indexOf('=');
    if (eq < 0) params.set(token, '');
    else params.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return params;
}

/** The IOMMU-related tokens of the command line, as the user would grep them. */
export function iommuTokens(cmdline: string): string[] {
  return cmdline
    .trim()
    .split(/\s+/)
    .filter((t) => IOMMU_KEYS.includes(t.split('=')[0] ?? ''));
}

/** An evidence line for the IOMMU-related part of /proc/cmdline. */
export function cmdlineEvidence(cmdline: string): string {
  const tokens = iommuTokens(cmdline);
  if (tokens.length === 0) return '/proc/cmdline: no intel_iommu=, amd_iommu= or iommu= parameter';
  return `/proc/cmdline: ... ${tokens.join(' ')}`;
}

/** `intel_iommu=off`, `amd_iommu=off`, `iommu=off`: the tokens that switch translation off. */
export function disablingTokens(cmdline: string): string[] {
  const p = parseCmdline(cmdline);
  const out: string[] = [];
  for (const key of ['iommu', 'intel_iommu', 'amd_iommu']) {
    const v = p.get(key);
    // intel_iommu takes a comma list (e.g. `off,sm_off`), so look at each item.
    if (v !== undefined && v.split(',').includes('off')) out.push(`${key}=${v}`);
  }
  return out;
}

/** True when host-owned devices get identity (passthrough) mappings: `iommu=pt` or its alias. */
export function hasPassthrough(cmdline: string): boolean {
  const p = parseCmdline(cmdline);
  return (
    p.get('iommu') === 'pt' ||
    p.get('iommu.passthrough') === '1' ||
    p.get('iommu.passthrough') === 'y'
  );
}

export type PlatformVendor = 'intel' | 'amd';

/**
 * Intel or AMD, from the strongest evidence available: the ACPI table names the IOMMU itself, the
 * CPU flags and vendor string only the CPU (which on x86 always matches the chipset vendor).
 */
export function platformVendor(h: HostFacts): PlatformVendor | null {
  if (h.iommu.acpiTable === 'DMAR') return 'intel';
  if (h.iommu.acpiTable === 'IVRS') return 'amd';
  if (h.cpuVirtualization === 'vmx') return 'intel';
  if (h.cpuVirtualization === 'svm') return 'amd';
  if (/intel/i.test(h.cpuVendor)) return 'intel';
  if (/amd/i.test(h.cpuVendor)) return 'amd';
  return null;
}

/** The kernel parameters that turn the IOMMU on for this vendor (AMD-Vi is on by default). */
export function iommuOnParams(vendor: PlatformVendor | null): string {
  return vendor === 'amd' ? 'iommu=pt' : 'intel_iommu=on iommu=pt';
}

/** The exact boot-loader edit, for GRUB on Debian/Ubuntu and RHEL. */
export function grubFix(add: string, remove: readonly string[] = []): string {
  const edit =
    remove.length > 0
      ? `remove ${remove.map((t) => `\`${t}\``).join(' and ')} from GRUB_CMDLINE_LINUX in /etc/default/grub and add \`${add}\``
      : `add \`${add}\` to GRUB_CMDLINE_LINUX in /etc/default/grub`;
  return (
    `${edit[0]!.toUpperCase()}${edit.slice(1)}, run \`update-grub\` (Debian/Ubuntu) or ` +
    '`grub2-mkconfig -o /boot/grub2/grub.cfg` (RHEL), then reboot.'
  );
}
