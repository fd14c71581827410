/**
 * The PF selector fields, one set of rules and messages for every place a user names PFs: a
 * policy's `spec.selector` (and the operator's `nicSelector`) and a pool's `selector` (PUT
 * /pools/{name}, `sriovctl pool create`). An entry no PF could ever match — a name Linux would not
 * accept, with spaces, newlines or shell text in it — is refused here with the fix, instead of
 * giving a selector that silently matches nothing. Messages are the "problem — fix" half; a policy
 * error adds the value in front, an API error the field path. Values come out as plain strings in
 * the kernel's form (the wire has no brands); the policy loader brands what it keeps.
 */
import { z } from 'zod';
import { parsePfName } from './ranges.js';

/** The most entries a selector list takes: more than any host has PFs. */
export const MAX_SELECTOR_ENTRIES = 256;

/** A 4-hex-digit PCI ID; YAML reads unquoted `8086` as a number, so digits-only numbers are taken back. */
export function pciId(what: string) {
  const fix = `a PCI ${what} ID is 4 hex digits without 0x, like ${what === 'vendor' ? '8086 (Intel) or 15b3 (NVIDIA)' : '1592 (E810-C) or 101d (ConnectX-6 Dx)'}`;
  return z
    .union([z.string(), z.number().int().min(0).max(9999)], { error: fix })
    .transform((v) =>
      typeof v === 'number' ? String(v).padStart(4, '0') : v.toLowerCase().replace(/^0x/, ''),
    )
    .pipe(z.string().regex(/^[0-9a-f]{4}$/, { error: fix }));
}

const PCI_FIX = 'a PF PCI address like 0000:3b:00.0';

/** A PF PCI address, normalised to the kernel's form (lowercase, with the domain). */
export const pciAddr = z
  .string({ error: PCI_FIX })
  .transform((v) => v.toLowerCase())
  .pipe(z.string().regex(/^([0-9a-f]{4}:)?[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/, { error: PCI_FIX }))
  .transform((v) => (v.length === 7 ? `0000:${v}` : v));

const PF_ADDRESS_FIX = `${PCI_FIX} (or a netdevsim device like netdevsim10)`;

/** A PF's identity as the inventory has it: a PCI address, or a netdevsim bus device name. */
export const pfAddress = z.union(
  // abort: a failed option counts as failed outright, so the union answers its own message.
  [pciAddr, z.string().regex(/^netdevsim[0-9]{1,10}$/, { abort: true })],
  { error: PF_ADDRESS_FIX },
);

/** A PF netdev name, optionally with VF ranges (`ens1f0#0-7,12`). */
export const pfNameEntry = z
  .string({ error: 'a PF name like ens1f0, optionally with VF ranges: ens1f0#0-7,12' })
  .superRefine((v, ctx) => {
    const r = parsePfName(v);
    if (!r.ok)
      ctx.addIssue({
        code: 'custom',
        message: `is not a PF name — it ${r.problem}; write names like ens1f0 or ens1f0#0-7,12`,
      });
  });

/** A PF driver name (`ice`, `mlx5_core`). */
export const pfDriverName = z
  .string({ error: 'a driver name like ice' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, { error: 'a driver name like ice' });

/** A list of selector entries, bounded. */
function entries<T extends z.ZodType>(entry: T, what: string) {
  return z
    .array(entry, { error: `a list of ${what}` })
    .max(MAX_SELECTOR_ENTRIES, { error: `at most ${MAX_SELECTOR_ENTRIES} ${what}` });
}

/** The selector fields policies and pools share; each is optional. */
export const pfSelectorFields = {
  vendor: pciId('vendor').optional(),
  deviceID: pciId('device').optional(),
  pfNames: entries(pfNameEntry, 'PF names').optional(),
  pciAddresses: entries(pfAddress, 'PF PCI addresses').optional(),
  drivers: entries(pfDriverName, 'PF driver names like [ice, mlx5_core]').optional(),
};

/** The operator's `rootDevices`: PF PCI addresses only (it has no netdevsim devices). */
export const rootDevicesField = entries(pciAddr, 'PF PCI addresses').optional();
