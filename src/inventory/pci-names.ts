/**
 * Human names for PCI vendor and device IDs, from the system's pci.ids (read through the seam) with
 * a built-in fallback. pci.ids is ~1.3 MB and discovery needs a handful of IDs, so it is searched
 * for exactly those IDs with indexOf instead of being parsed into a map of every device.
 */
import type { HostReader } from '../host/host.js';
import { BUILTIN_DEVICE_NAMES, BUILTIN_VENDOR_NAMES } from './pci-names-builtin.js';
import { tryReadFile } from './seam-reads.js';

/** Where distributions install pci.ids (Debian/Ubuntu, then Fedora/RHEL/Arch). */
export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'] as const;

export interface PciId {
  vendorId: string;
  deviceId: string;
}

export interface PciNames {
  vendorName: string;
  deviceName: string;
  source: 'pci.ids' | 'builtin' | 'unknown';
}

/** A parsed view of one pci.ids text that answers lookups without indexing the whole file. */
export interface PciIdsIndex {
  vendorName(vendorId: string): string | null;
  deviceName(vendorId: string, deviceId: string): string | null;
}

interface VendorBlock {
  name: string;
  /** Offsets of the vendor's device lines in the text: [start, end). */
  start: number;
  end: number;
}

// A vendor line is `vvvv  Name`; device lines start with one tab; the class section starts with `C `.
const NEXT_TOP_LEVEL_RE = /\n[0-9a-fA-FC]/g;

/** Builds a lookup over pci.ids text; each vendor block is located once, on first use. */
export function pciIdsIndex(text: string): PciIdsIndex {
  // Searching for "\n" + id means the first line needs a leading newline too.
  const body = text.startsWith('\n') ? text : `\n${text}`;
  const blocks = new Map<string, VendorBlock | null>();

  const vendorBlock = (vendorId: string): VendorBlock | null => {
    const id = vendorId.toLowerCase();
    const cached = blocks.get(id);
    if (cached !== undefined) return cached;
    let found: VendorBlock | null = null;
    const at = body.indexOf(`\n${id}  `);
    if (at >= 0) {
      const lineEnd = body.indexOf('\n', at + 1);
      const nameEnd = lineEnd < 0 ? body.length : lineEnd;
      NEXT_TOP_LEVEL_RE.lastIndex = nameEnd;
      const next = NEXT_TOP_LEVEL_RE.exec(body);
      found = {
        name: body.slice(at + 1 + id.length + 2, nameEnd).trim(),
        start: nameEnd,
        end: next ? next.index : body.length,
      };
    }
    blocks.set(id, found);
    return found;
  };

  return {
    vendorName: (vendorId) => vendorBlock(vendorId)?.name ?? null,
    deviceName: (vendorId, deviceId) => {
      const block = vendorBlock(vendorId);
      if (!block) return null;
      const needle = `\n\t${deviceId.toLowerCase()}  `;
      const at = body.indexOf(needle, block.start);
      if (at < 0 || at >= block.end) return null;
      const lineEnd = body.indexOf('\n', at + 1);
      return body.slice(at + needle.length, lineEnd < 0 ? body.length : lineEnd).trim();
    },
  };
}

/** Names from the built-in table only. */
export function builtinPciNames(id: PciId): PciNames {
  const vendorName = BUILTIN_VENDOR_NAMES[id.vendorId];
  const deviceName = BUILTIN_DEVICE_NAMES[`${id.vendorId}:${id.deviceId}`];
  if (vendorName !== undefined && deviceName !== undefined) {
    return { vendorName, deviceName, source: 'builtin' };
  }
  return {
    vendorName: vendorName ?? `vendor ${id.vendorId}`,
    deviceName: deviceName ?? `device ${id.deviceId}`,
    source: vendorName !== undefined || deviceName !== undefined ? 'builtin' : 'unknown',
  };
}

/** Looks up names in a pci.ids index, filling gaps from the built-in table. */
export function lookupPciNames(index: PciIdsIndex | null, id: PciId): PciNames {
  const fallback = builtinPciNames(id);
  if (!index) return fallback;
  const vendorName = index.vendorName(id.vendorId);
  const deviceName = vendorName === null ? null : index.deviceName(id.vendorId, id.deviceId);
  if (vendorName !== null && deviceName !== null)
    return { vendorName, deviceName, source: 'pci.ids' };
  return {
    vendorName: vendorName ?? fallback.vendorName,
    deviceName: deviceName ?? fallback.deviceName,
    source: vendorName !== null ? 'pci.ids' : fallback.source,
  };
}

/**
 * Reads pci.ids through the seam (`path`, else the distribution locations) and returns an index,
 * or null when no copy is readable; the built-in table then answers.
 */
export async function loadPciIds(host: HostReader, path?: string): Promise<PciIdsIndex | null> {
  for (const candidate of path !== undefined ? [path] : PCI_IDS_PATHS) {
    const read = await tryReadFile(host, candidate);
    if (read.ok) return pciIdsIndex(read.value);
  }
  return null;
}

/** Resolves names for a set of IDs with one read of pci.ids. */
export async function resolvePciNames(
  host: HostReader,
  ids: readonly PciId[],
  pciIdsPath?: string,
): Promise<Map<string, PciNames>> {
  const out = new Map<string, PciNames>();
  if (ids.length === 0) return out;
  const index = await loadPciIds(host, pciIdsPath);
  for (const id of ids) out.set(`${id.vendorId}:${id.deviceId}`, lookupPciNames(index, id));
  return out;
}
