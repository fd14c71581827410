/**
 * What changes in the ledger, as events: the catalog's (tenants, pools, tokens) and allocation's
 * (attachments, reconcile passes). Plain data, so the metrics and the surfaces read them without
 * importing the allocation service.
 */
import type { Attachment, TokenRecord } from './types.js';

/** What a reconcile pass did, attachment ids per outcome. */
export interface ReconcileReport {
  completed: string[];
  rolledBack: string[];
  scrubbed: string[];
  reapplied: string[];
  orphaned: string[];
  failed: { id: string; reason: string }[];
}

/** A change to the catalog (tenants, pools, tokens). */
export type CatalogEvent =
  | { kind: 'tenant'; name: string; action: 'put' | 'delete' }
  | { kind: 'pool'; name: string; action: 'put' | 'delete' }
  /** A token was revoked (by itself or with its tenant): whatever it holds open must end. */
  | { kind: 'token'; action: 'revoked'; token: TokenRecord };

/** A change allocation made (attach, detach, reconcile). */
export type AllocationEvent =
  | {
      kind: 'attachment';
      id: string;
      tenant: string;
      /** `failed`: a detach could not scrub the VF; it stays out of the pool. */
      action: 'attached' | 'detached' | 'failed';
      /** The row as of the event (for `detached`, as it was before it went). */
      attachment: Attachment;
    }
  /** `durationMs`: how long the pass took (for the metrics). */
  | { kind: 'reconcile'; report: ReconcileReport; durationMs?: number };

export type LedgerEvent = CatalogEvent | AllocationEvent;

/** A set of listeners; emitting is synchronous, in subscription order. */
export class Emitter<E> {
  private readonly listeners = new Set<(e: E) => void>();

  /** Subscribes; returns the unsubscribe. */
  on(fn: (e: E) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(e: E): void {
    for (const fn of this.listeners) fn(e);
  }
}
