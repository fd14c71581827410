/** The pool form's state (text as typed) and the spec PUT /pools/{name} takes. */
import type { Pool, PoolSpec } from '../../../contract/index.js';
import { listField, textField } from '../../lib/form-fields.js';

export const SELECTOR_KEYS = [
  'pfNames',
  'pciAddresses',
  'vendor',
  'deviceID',
  'drivers',
  'vfRange',
] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];

export interface PoolForm extends Record<SelectorKey, string> {
  name: string;
  description: string;
  vfDriver: 'vfio-pci' | 'host';
}

/** The form for a new pool, or filled from an existing one. */
export function poolFormFrom(p?: Pool): PoolForm {
  const s = p?.selector;
  return {
    name: p?.name ?? '',
    description: p?.description ?? '',
    vfDriver: p?.vfDriver ?? 'vfio-pci',
    pfNames: s?.pfNames?.join(' ') ?? '',
    pciAddresses: s?.pciAddresses?.join(' ') ?? '',
    vendor: s?.vendor ?? '',
    deviceID: s?.deviceID ?? '',
    drivers: s?.drivers?.join(' ') ?? '',
    vfRange: s?.vfRange ?? '',
  };
}

/** The spec as the API takes it: empty fields are left out. */
export function poolSpecOf(f: PoolForm): PoolSpec {
  const selector: Record<string, unknown> = {
    pfNames: listField(f.pfNames, true),
    pciAddresses: listField(f.pciAddresses),
    vendor: textField(f.vendor),
    deviceID: textField(f.deviceID),
    drivers: listField(f.drivers),
    vfRange: textField(f.vfRange),
  };
  for (const k of Object.keys(selector)) if (selector[k] === undefined) delete selector[k];
  const description = textField(f.description);
  // The API checks it (POST /pools/preview as it is typed, PUT on save).
  return {
    ...(description !== undefined ? { description } : {}),
    selector: selector as PoolSpec['selector'],
    vfDriver: f.vfDriver,
  };
}

/** What POST /pools/preview checks: the spec and the name. */
export function poolDraftOf(f: PoolForm): PoolSpec & { name: string } {
  return { name: f.name.trim(), ...poolSpecOf(f) };
}
