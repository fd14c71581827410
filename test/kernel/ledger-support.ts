/**
 * A ledger on the lab guest's real kernel, for lab tests of allocation: an in-memory store, the
 * guest's inventory, one pool over QEMU's NVMe PF with `vfs` settled VFs, and tenant `lab` on it.
 */
import type { AllocationService } from '../../src/allocation/service.js';
import { openLedger } from '../support/allocation.js';
import { setNumVfs } from '../../src/executor/index.js';
import type { Host } from '../../src/host/host.js';
import type { PciAddress } from '../../src/host/names.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { poolSpec, tenantSpec } from '../../src/contract/index.js';
import { settledNvmeVfs } from './support.js';

/** The caller of these tests: an admin without a tenant. */
export const LAB_ROOT: RequestContext = { actor: { name: 'lab', tenant: null } };

export interface NvmeLedger {
  pf: PciAddress;
  ledger: Ledger;
  allocation: AllocationService;
  store: SqliteLedgerStore;
  /** Closes the store and destroys the PF's VFs. */
  close(): Promise<void>;
}

/** A ledger with pool `pool` (default vfio-pci driver) over the NVMe PF and tenant `lab` on it. */
export async function nvmeLedger(host: Host, pool: string, vfs = 2): Promise<NvmeLedger> {
  const pf = await settledNvmeVfs(host, vfs);
  const store = new SqliteLedgerStore({ path: ':memory:' });
  const inventory = new InventoryCache(host);
  const inv = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: inv.host.hostname,
  });
  await ledger.putPool(LAB_ROOT, pool, poolSpec.parse({ selector: { pciAddresses: [pf] } }));
  await ledger.putTenant(LAB_ROOT, 'lab', tenantSpec.parse({ pools: [pool], vlans: '100' }));
  return {
    pf,
    ledger,
    allocation,
    store,
    close: async () => {
      await store.close();
      await setNumVfs(host, pf, 0, { allowReset: true });
    },
  };
}
