/**
 * The value rules of the API's fields, each with the message that says the fix: resource names,
 * consumer and interface names, MACs, rates, VLAN sets and VF ranges. Requests are validated with
 * them wherever they enter (HTTP bodies, CLI flags); answers satisfy them too.
 */
import { z } from 'zod';
import { parseRange } from './ranges.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** DNS-label names for tenants and pools: safe in URLs, logs and metric labels. */
export const resourceName = z
  .string()
  .regex(NAME_RE, 'a lowercase DNS label: a-z, 0-9 and "-", at most 63 characters, e.g. "team-a"');

/** Linux interface-style names for a consumer's interfaces (net0, eth1, ens5). */
export const interfaceName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, 'a letter then up to 14 of a-z, 0-9, "_", ".", "-"');

/** A VM, pod or process name: printable, no path or line separators. */
export const consumerName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-zA-Z0-9]([a-zA-Z0-9_.:/-]*[a-zA-Z0-9])?$/,
    'letters, digits and "_.:/-" (e.g. "vm-42" or "default/web-0")',
  );

/** The host a consumer runs on. */
export const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/, 'a host name (letters, digits, "." and "-")');

/** VF indexes as ranges (`0-63`), as the range grammar reads them. */
export const rangeText = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const r = parseRange(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  });

/** The largest VLAN ID (4095 is reserved). */
export const VLAN_MAX = 4094;

/** VLAN IDs as ranges (`100-199,300`); 0 stands for untagged. */
export const vlanSet = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const r = parseRange(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
    else if (r.indexes.some((n) => n > VLAN_MAX))
      ctx.addIssue({ code: 'custom', message: `VLAN IDs go from 0 (untagged) to ${VLAN_MAX}` });
  });

/** A unicast Ethernet MAC in the kernel's form (lowercase, colon-separated). */
export const macText = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'six lowercase hex pairs separated by ":"')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be unicast (first octet even)')
  .refine((m) => m !== '00:00:00:00:00:00', 'must not be all zeros');

/** A VF transmit rate in Mbit/s, as the kernel takes it; 0 means none. */
export const txRate = z.number().int().min(0).max(4_000_000);

/** A VF's link state as the PF forces it: follow the PF (auto), always up, always down. */
export const linkState = z.enum(['auto', 'enable', 'disable']);
export type LinkState = z.infer<typeof linkState>;

/** A timestamp as the API writes them (ISO 8601, UTC). */
export const timestamp = z.string();

/** `{ items: [...] }`: how the API answers a list. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item) });
}

/** The answer to a list request. */
export interface ListOf<T> {
  items: T[];
}
