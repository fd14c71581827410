/**
 * Validated names that may reach a sysfs path or an `ip -batch` line. Every constructor here refuses
 * anything that could escape a path (`/`, `..`) or a batch line (whitespace, newlines, quotes).
 */
import { UnsafeInputError } from './errors.js';

declare const brand: unique symbol;
/** A value of type T that a constructor here (or in vf-settings.ts) validated as a B. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A PCI address in the kernel's canonical form `dddd:bb:dd.f`, lowercase hex. */
export type PciAddress = Brand<string, 'PciAddress'>;
/** A network interface name the kernel would accept (dev_valid_name). */
export type IfName = Brand<string, 'IfName'>;
/** A colon-separated lowercase Ethernet MAC address. */
export type MacAddress = Brand<string, 'MacAddress'>;
/** A kernel driver name, as under /sys/bus/pci/drivers. */
export type DriverName = Brand<string, 'DriverName'>;

/** A netdevsim bus device name, `netdevsim<ID>` (netdevsim devices are not on the PCI bus). */
export type NetdevsimDevice = Brand<string, 'NetdevsimDevice'>;
/**
 * A PF's identity in the inventory: its PCI address, or for a netdevsim device its bus device name.
 * The two forms cannot collide (a PCI address always contains ':').
 */
export type PfId = PciAddress | NetdevsimDevice;

const NSIM_RE = /^netdevsim[0-9]{1,10}$/;

/** Validates a netdevsim bus device name (`netdevsim10`). */
export function netdevsimDevice(value: string, field = 'device'): NetdevsimDevice {
  if (!NSIM_RE.test(value))
    throw new UnsafeInputError(field, value, 'a device name like netdevsim10');
  return value as NetdevsimDevice;
}

/** True for a netdevsim bus device name (so a PfId that is not a PCI address). */
export function isNetdevsimDevice(value: string): value is NetdevsimDevice {
  return NSIM_RE.test(value);
}

const PCI_RE = /^([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/;
const PCI_SHORT_RE = /^([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/;

/** Parses `0000:3b:00.0` (or `3b:00.0`, domain 0) into a PciAddress; refuses anything else. */
export function pciAddress(value: string, field = 'pciAddress'): PciAddress {
  const v = value.toLowerCase();
  if (PCI_RE.test(v)) return v as PciAddress;
  if (PCI_SHORT_RE.test(v)) return `0000:${v}` as PciAddress;
  throw new UnsafeInputError(field, value, 'a PCI address like 0000:3b:00.0');
}

export function isPciAddress(value: string): value is PciAddress {
  return PCI_RE.test(value);
}

/** Splits a PCI address into its numeric parts. */
export function pciParts(addr: PciAddress): {
  domain: number;
  bus: number;
  dev: number;
  fn: number;
} {
  const m = PCI_RE.exec(addr);
  if (!m) throw new UnsafeInputError('pciAddress', addr, 'a PCI address like 0000:3b:00.0');
  return {
    domain: parseInt(m[1]!, 16),
    bus: parseInt(m[2]!, 16),
    dev: parseInt(m[3]!, 16),
    fn: parseInt(m[4]!, 16),
  };
}

/** Formats numeric PCI parts back into a canonical address. */
export function formatPci(domain: number, bus: number, dev: number, fn: number): PciAddress {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(domain, 4)}:${h(bus, 2)}:${h(dev, 2)}.${fn}` as PciAddress;
}

// dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace. We also refuse quotes
// and backslashes because the name ends up on an iproute2 batch line.
const IFNAME_RE = /^[A-Za-z0-9_.@+-]{1,15}$/;

/** Validates an interface name the way the kernel does, plus batch-line safety. */
export function ifName(value: string, field = 'ifname'): IfName {
  if (!IFNAME_RE.test(value) || value === '.' || value === '..' || value.includes('..')) {
    throw new UnsafeInputError(
      field,
      value,
      'an interface name of 1-15 characters from [A-Za-z0-9_.@+-], without ".."',
    );
  }
  return value as IfName;
}

/**
 * A devlink instance handle as devlink prints it: `pci/<address>` for PCI devices, or
 * `netdevsim/netdevsim<ID>` for netdevsim (whose devices sit on their own bus, not PCI).
 */
export type DevlinkHandle = Brand<string, 'DevlinkHandle'>;

const DEVLINK_HANDLE_RE =
  /^(pci\/[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]|netdevsim\/netdevsim[0-9]{1,10})$/;

/** Validates a devlink handle (`pci/0000:3b:00.0` or `netdevsim/netdevsim10`). */
export function devlinkHandle(value: string, field = 'devlinkHandle'): DevlinkHandle {
  if (!DEVLINK_HANDLE_RE.test(value)) {
    throw new UnsafeInputError(
      field,
      value,
      'a devlink handle like pci/0000:3b:00.0 or netdevsim/netdevsim10',
    );
  }
  return value as DevlinkHandle;
}

/**
 * The devlink handle for what the host seam's devlink methods accept: a bare PCI address (the
 * original form, meaning `pci/<address>`) or a handle. Re-validates either, since the value becomes
 * an argv word.
 */
export function devlinkHandleOf(
  dev: PciAddress | DevlinkHandle,
  field = 'devlinkHandle',
): DevlinkHandle {
  if (dev.includes('/')) return devlinkHandle(dev, field);
  return `pci/${pciAddress(dev, field)}` as DevlinkHandle;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Parses a MAC address (any case, ':' or '-' separated) into lowercase colon form. */
export function macAddress(value: string, field = 'mac'): MacAddress {
  const v = value.trim().toLowerCase().replaceAll('-', ':');
  if (!MAC_RE.test(v))
    throw new UnsafeInputError(field, value, 'a MAC address like 02:00:00:00:00:01');
  return v as MacAddress;
}

export const ZERO_MAC = '00:00:00:00:00:00' as MacAddress;

/** True for a group (multicast/broadcast) address: bit 0 of the first octet. */
export function isMulticastMac(mac: MacAddress): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

const DRIVER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Validates a driver name before it becomes a path component or a driver_override value. */
export function driverName(value: string, field = 'driver'): DriverName {
  if (!DRIVER_RE.test(value) || value.includes('..')) {
    throw new UnsafeInputError(field, value, 'a driver name like vfio-pci or iavf');
  }
  return value as DriverName;
}

/** Whether `s` holds a C0 control character or DEL (a newline ends a line, a NUL a C string). */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks a path relative to a filesystem root: absolute, no empty, "." or ".." components, no
 * control characters. Returns the normalised path.
 */
export function safeAbsPath(path: string, field = 'path'): string {
  // Control characters (newline above all) never belong in a path we open.
  if (!path.startsWith('/') || hasControlCharacter(path)) {
    throw new UnsafeInputError(field, path, 'an absolute path without control characters');
  }
  const parts = path.split('/').filter((p) => p.length > 0);
  for (const p of parts) {
    if (p === '.' || p === '..') {
      throw new UnsafeInputError(field, path, 'a path without "." or ".." components');
    }
  }
  return '/' + parts.join('/');
}
