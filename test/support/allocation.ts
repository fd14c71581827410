// A ledger and the allocation service over it, as the daemon composes them.
import { AllocationService, type AllocationOptions } from '../../src/allocation/service.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { LedgerStore } from '../../src/ledger/store.js';

export interface LedgerAndAllocation {
  ledger: Ledger;
  allocation: AllocationService;
}

/** The ledger over `store` and the allocation service over it and the host. */
export function openLedger(
  opts: Omit<AllocationOptions, 'ledger'> & { store: LedgerStore },
): LedgerAndAllocation {
  const { store, ...rest } = opts;
  const ledger = new Ledger({ store, ...(opts.now ? { now: opts.now } : {}) });
  return { ledger, allocation: new AllocationService({ ledger, ...rest }) };
}

/** What createObservability needs of them, as the daemon passes it. */
export function observed(l: LedgerAndAllocation) {
  return {
    ledger: l.ledger,
    events: l.allocation,
    inventory: l.allocation.inventory,
    placement: l.allocation.placementConfig,
  };
}
