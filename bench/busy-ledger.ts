/**
 * A busy daemon's ledger for the metrics benchmarks: one pool, two tenants, and 512 VFs attached
 * through the executor (16 VMs × 32 VFs, a VLAN each), so the per-VF info series carry tenants
 * and consumers as they would on a host in use.
 */
import type { Ledger } from '../src/ledger/ledger.js';
import type { AllocationService } from '../src/allocation/service.js';
import { openLedger } from '../test/support/allocation.js';
import type { Host } from '../src/host/host.js';
import type { InventoryCache } from '../src/inventory/inventory-cache.js';
import { SqliteLedgerStore } from '../src/ledger/sqlite/sqlite-store.js';
import { attachRequest } from '../src/contract/index.js';
import type { PoolSpec } from '../src/ledger/types.js';

export async function busyLedger(
  host: Host,
  inventory: InventoryCache,
  pool: Pick<PoolSpec, 'selector' | 'vfDriver'>,
  /** Guaranteed rate per VF (Mbit/s); none where the PFs' link speed is unknown (netdevsim). */
  minTxRate?: number,
): Promise<{ ledger: Ledger; allocation: AllocationService; store: SqliteLedgerStore }> {
  const inv = await inventory.get();
  const store = new SqliteLedgerStore({ path: ':memory:' });
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
  });
  const root = { actor: { name: 'bench', tenant: null } };
  await ledger.putPool(root, 'bench', pool);
  for (const t of ['team-a', 'team-b'])
    await ledger.putTenant(root, t, { pools: ['bench'], vlans: '100-199', allowTrust: false });
  for (let i = 0; i < 16; i++)
    await allocation.attach(
      root,
      attachRequest.parse({
        tenant: i % 2 ? 'team-b' : 'team-a',
        pool: 'bench',
        consumer: { kind: 'vm', name: `vm-${i}` },
        count: 32,
        vlan: 100 + i,
        ...(minTxRate !== undefined ? { minTxRate } : {}),
      }),
    );
  return { ledger, allocation, store };
}
