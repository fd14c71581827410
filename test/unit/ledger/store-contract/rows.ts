// Rows the store tests write: a tenant and a pool for attachments to refer to, attachments on one
// PF, tokens. Shared by the contract suite and the SQLite-only tests.
import { poolSpec, tenantSpec } from '../../../../src/contract/index.js';
import type { LedgerWriter } from '../../../../src/ledger/store.js';
import type { Attachment } from '../../../../src/ledger/types.js';
import { attachment } from '../support.js';

export const NOW = '2024-05-01T12:00:00.000Z';

/** A tenant and a pool for attachment rows to refer to (they must exist). */
export async function seed(tx: LedgerWriter): Promise<void> {
  await tx.putTenant('team-a', tenantSpec.parse({ vlans: '100', pools: ['gold'] }), NOW);
  await tx.putTenant('team-b', tenantSpec.parse({ vlans: '200' }), NOW);
  await tx.putPool('gold', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }), NOW);
}

/** An attachment of team-a from pool gold on VF `vfIndex` of 0000:3b:00.0. */
export function row(vfIndex: number, over: Partial<Attachment> = {}): Attachment {
  return attachment('0000:3b:00.0', vfIndex, {
    tenant: 'team-a',
    pool: 'gold',
    pfNetdev: 'ens1f0',
    ...over,
  });
}

/** A viewer token. */
export const token = (id: string, name: string, hash: string) => ({
  id,
  name,
  role: 'viewer' as const,
  tenant: null,
  createdAt: NOW,
  hash,
});
