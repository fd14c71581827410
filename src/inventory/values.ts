/**
 * Parsers for the values sysfs and procfs print. Each takes the raw text and the path it came from,
 * and throws a MalformedHostError naming that path and the expected format, so a garbage value
 * becomes a DiscoveryIssue that tells the reader exactly which file to look at.
 */
import { MalformedHostError } from '../host/errors.js';
import { isPciAddress, type PciAddress } from '../host/names.js';

/** What the file held, trimmed and shortened so an issue line stays readable. */
function shown(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}...` : t);
}

/** Strips the single trailing newline sysfs prints; anything else around the value is an error. */
function oneLine(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

const SYSFS_HEX_RE = /^0x([0-9a-f]+)$/;

/**
 * Parses a `0x%04x` ID (vendor, device, subsystem_*) or a `0x%06x` class into bare lowercase hex
 * padded to `width` digits (`0x8086\n` → `8086`).
 */
export function parseHexId(text: string, path: string, width = 4): string {
  const m = SYSFS_HEX_RE.exec(oneLine(text).toLowerCase());
  if (!m || m[1]!.length > width) {
    throw new MalformedHostError(path, `a hex ID like 0x${'0'.repeat(width)}`, shown(text));
  }
  return m[1]!.padStart(width, '0');
}

/** Parses `sriov_vf_device`, which the kernel prints as `%x`: no 0x and no zero padding (`154c\n`). */
export function parseBareHexId(text: string, path: string): string {
  const v = oneLine(text).toLowerCase();
  if (!/^[0-9a-f]{1,4}$/.test(v)) {
    throw new MalformedHostError(path, 'a bare hex device ID like 154c (no 0x)', shown(text));
  }
  return v.padStart(4, '0');
}

/** Parses an unsigned decimal (`%u`), e.g. sriov_numvfs, mtu. */
export function parseDecimal(text: string, path: string): number {
  const v = oneLine(text);
  if (!/^[0-9]{1,10}$/.test(v)) {
    throw new MalformedHostError(path, 'an unsigned decimal number', shown(text));
  }
  return Number(v);
}

/** Parses a signed decimal (`%d`), e.g. numa_node (`-1` = no NUMA information) or speed. */
export function parseSignedDecimal(text: string, path: string): number {
  const v = oneLine(text);
  if (!/^-?[0-9]{1,10}$/.test(v)) {
    throw new MalformedHostError(path, 'a decimal number', shown(text));
  }
  return Number(v);
}

/** Parses a `%u` flag that must be 0 or 1 (sriov_drivers_autoprobe). */
export function parseZeroOne(text: string, path: string): boolean {
  const v = oneLine(text);
  if (v !== '0' && v !== '1') throw new MalformedHostError(path, '0 or 1', shown(text));
  return v === '1';
}

/** Parses a module bool parameter as sysfs prints it (`Y\n` / `N\n`; some print 1/0). */
export function parseModuleBool(text: string, path: string): boolean {
  const v = oneLine(text);
  if (v === 'Y' || v === '1') return true;
  if (v === 'N' || v === '0') return false;
  throw new MalformedHostError(path, 'Y or N', shown(text));
}

/** Parses driver_override: `(null)\n` when unset, else the driver name. */
export function parseDriverOverride(text: string, path: string): string | null {
  const v = oneLine(text);
  if (v === '(null)' || v === '') return null;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(v)) {
    throw new MalformedHostError(path, '(null) or a driver name', shown(text));
  }
  return v;
}

/** The last component of a symlink target (`../../../bus/pci/drivers/i40e` → `i40e`). */
export function linkBasename(target: string): string {
  const parts = target.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? '';
}

/** Parses a `driver` link: it must point into a `drivers/<name>` directory. */
export function parseDriverLink(target: string, path: string): string {
  const m = /(?:^|\/)drivers\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\/?$/.exec(target);
  if (!m) throw new MalformedHostError(path, 'a link to .../bus/pci/drivers/<name>', shown(target));
  return m[1]!;
}

/** Parses an `iommu_group` link (`../../../../kernel/iommu_groups/27`) into the group number. */
export function parseIommuGroupLink(target: string, path: string): number {
  const m = /(?:^|\/)iommu_groups\/([0-9]{1,9})\/?$/.exec(target);
  if (!m) {
    throw new MalformedHostError(path, 'a link to .../kernel/iommu_groups/<N>', shown(target));
  }
  return Number(m[1]);
}

/** Parses a `virtfnN` link (`../0000:3b:02.0`) into the VF's PCI address. */
export function parseVirtfnLink(target: string, path: string): PciAddress {
  const base = linkBasename(target).toLowerCase();
  if (!isPciAddress(base)) {
    throw new MalformedHostError(
      path,
      'a link to a sibling PCI device like ../0000:3b:02.0',
      shown(target),
    );
  }
  return base;
}

/** Parses a MAC address as /sys/class/net/<if>/address prints it (lowercase, colon separated). */
export function parseMac(text: string, path: string): string {
  const v = oneLine(text).toLowerCase();
  // InfiniBand and other link types print longer addresses; keep any colon-separated hex form.
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5,19}$/.test(v)) {
    throw new MalformedHostError(path, 'a hardware address like 3c:fd:fe:a0:00:01', shown(text));
  }
  return v;
}

/** Parses an Intel IOMMU register (`cap`, `ecap`), which sysfs prints as bare hex (`f050da`). */
export function parseHexRegister(text: string, path: string): bigint {
  const v = oneLine(text).toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,16}$/.test(v)) {
    throw new MalformedHostError(path, 'a hex register value like f050da', shown(text));
  }
  return BigInt(`0x${v}`);
}
