/** Allocation's events (attachments, reconcile passes), sent after their transaction commits. */
import { Emitter, type AllocationEvent } from '../ledger/events.js';

export type { AllocationEvent, LedgerEvent, ReconcileReport } from '../ledger/events.js';

/** The emitter of allocation events. */
export class AllocationEvents extends Emitter<AllocationEvent> {}
