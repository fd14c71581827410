/** Who asks: the caller of a ledger or allocation operation, as the audit log names it. */

/** Who asks, for the audit log; `tenant` set means the caller is confined to that tenant. */
export interface Actor {
  name: string;
  tenant: string | null;
}

export interface RequestContext {
  actor: Actor;
  requestId?: string;
  /** Idempotency key: the same key and body answer the first result again. */
  idempotencyKey?: string;
}

/** sriovctl itself, for what it does on its own (reconcile after a restart). */
export const SYSTEM_ACTOR: Actor = { name: 'sriovctl', tenant: null };
