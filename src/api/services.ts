/** What the routes call: the ledger's catalog and scoped reads, and the allocation service. */
import type { AllocationService } from '../allocation/service.js';
import type { Ledger } from '../ledger/ledger.js';

export interface Services {
  /** Tenants, pools, tokens, and reads scoped to a caller (`ledger.scoped(actor)`). */
  ledger: Ledger;
  /** Attach, preview, detach, reconcile. */
  allocation: AllocationService;
}
