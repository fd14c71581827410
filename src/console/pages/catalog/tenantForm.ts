/** The tenant form's state (text as typed) and the spec PUT /tenants/{name} takes. */
import type { Tenant, TenantSpec } from '../../../contract/index.js';
import { numberField, textField } from '../../lib/form-fields.js';

export interface TenantForm {
  name: string;
  description: string;
  pools: string[];
  vlans: string;
  maxVfs: string;
  maxGuaranteedMbps: string;
  allowTrust: boolean;
}

/** The form for a new tenant, or filled from an existing one. */
export function tenantFormFrom(t?: Tenant): TenantForm {
  return {
    name: t?.name ?? '',
    description: t?.description ?? '',
    pools: t?.pools ?? [],
    vlans: t?.vlans ?? '',
    maxVfs: t?.maxVfs !== undefined ? String(t.maxVfs) : '',
    maxGuaranteedMbps: t?.maxGuaranteedMbps !== undefined ? String(t.maxGuaranteedMbps) : '',
    allowTrust: t?.allowTrust ?? false,
  };
}

/**
 * The spec as the API takes it: empty limits are left out (no limit); a limit that is not a
 * number goes as null, which the API refuses with the field's name.
 */
export function tenantSpecOf(f: TenantForm): TenantSpec {
  const description = textField(f.description);
  const maxVfs = numberField(f.maxVfs);
  const maxGuaranteedMbps = numberField(f.maxGuaranteedMbps);
  return {
    ...(description !== undefined ? { description } : {}),
    pools: f.pools,
    vlans: f.vlans.trim(),
    ...(maxVfs !== undefined ? { maxVfs: maxVfs as number } : {}),
    ...(maxGuaranteedMbps !== undefined ? { maxGuaranteedMbps: maxGuaranteedMbps as number } : {}),
    allowTrust: f.allowTrust,
  };
}

/** What POST /tenants/check checks: the spec and the name. */
export function tenantDraftOf(f: TenantForm): TenantSpec & { name: string } {
  return { name: f.name.trim(), ...tenantSpecOf(f) };
}
