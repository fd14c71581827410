/**
 * The ledger: who owns which VF, which tenants and pools exist, who may ask, and what was done.
 * This class is its catalog — tenants, pools and tokens, each change recorded in the audit log in
 * the same transaction — and the door to its reads: `scoped(actor)` answers what a caller may see.
 * It holds no Host: attaching and detaching VFs is the allocation service's (src/allocation), which
 * writes its rows through this ledger's store. Every transaction callback here is free of side
 * effects (events are sent after the commit), so a store may run it again.
 */
import type { Actor, RequestContext } from './actor.js';
import { appendAudit, auditEntry, type AuditAction } from './audit.js';
import { LedgerError } from './errors.js';
import { Emitter, type CatalogEvent } from './events.js';
import { ScopedReader } from './scoped.js';
import { ConflictError, type LedgerStore } from './store.js';
import { authenticate, createToken, revokeToken } from './tokens.js';
import type { Pool, PoolSpec, Tenant, TenantSpec, TokenInput, TokenRecord } from './types.js';

export type { Actor, RequestContext } from './actor.js';
export type { AuditAction } from './audit.js';
export type { AllocationEvent, CatalogEvent, LedgerEvent, ReconcileReport } from './events.js';

export interface LedgerOptions {
  store: LedgerStore;
  now?: () => Date;
}

export class Ledger {
  /** For use cases and logic (allocation, metrics); surfaces read through `scoped` (eslint). */
  readonly store: LedgerStore;
  private readonly now: () => Date;
  private readonly events = new Emitter<CatalogEvent>();

  constructor(opts: LedgerOptions) {
    this.store = opts.store;
    this.now = opts.now ?? (() => new Date());
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  /** Subscribes to catalog changes (tenants, pools, tokens); returns the unsubscribe. */
  onEvent(fn: (e: CatalogEvent) => void): () => void {
    return this.events.on(fn);
  }

  /** What `actor` may read: its tenant's only when it is confined to one. */
  scoped(actor: Actor): ScopedReader {
    return new ScopedReader(this.store, actor);
  }

  /** Records one audit entry on behalf of `ctx`, in a transaction of its own; `at` default now. */
  async record(
    ctx: RequestContext,
    action: AuditAction,
    tenant: string | null,
    target: string,
    before: unknown,
    after: unknown,
    at?: string,
  ): Promise<void> {
    const now = at ?? this.stamp();
    await this.store.mutate(async (tx) => {
      await appendAudit(tx, auditEntry(ctx, action, tenant, target, before, after), now);
    });
  }

  // Tenants ----------------------------------------------------------------------------------

  /** Creates or replaces a tenant. */
  async putTenant(ctx: RequestContext, name: string, spec: TenantSpec): Promise<Tenant> {
    for (const p of spec.pools) {
      if (!(await this.store.getPool(p)))
        throw new LedgerError(
          'refused',
          `pool ${p} does not exist`,
          'pools',
          'create the pool first',
        );
    }
    const now = this.stamp();
    const t = await this.store.mutate(async (tx) => {
      const before = await tx.getTenant(name);
      const after = await tx.putTenant(name, spec, now);
      await appendAudit(
        tx,
        auditEntry(
          ctx,
          before ? 'tenant.update' : 'tenant.create',
          name,
          `tenant/${name}`,
          before ?? null,
          after,
        ),
        now,
      );
      return after;
    });
    this.events.emit({ kind: 'tenant', name, action: 'put' });
    return t;
  }

  /** Deletes a tenant that holds nothing, and revokes its tokens with it. */
  async deleteTenant(ctx: RequestContext, name: string): Promise<void> {
    const now = this.stamp();
    const revoked = await this.store.mutate(async (tx) => {
      const before = await tx.getTenant(name);
      if (!before) throw new LedgerError('not-found', `tenant ${name} does not exist`);
      const held = await tx.listAttachments({ tenant: name });
      if (held.length)
        throw new LedgerError(
          'conflict',
          `tenant ${name} still holds ${held.length} attachment${held.length === 1 ? '' : 's'}`,
          undefined,
          'detach them first',
        );
      // Its tokens go with it: left behind, they would let their holders into a later tenant of
      // the same name.
      const tokens = (await tx.listTokens()).filter((t) => t.tenant === name);
      for (const t of tokens) {
        await tx.deleteToken(t.id);
        await appendAudit(
          tx,
          auditEntry(ctx, 'token.revoke', name, `token/${t.name}`, t, null),
          now,
        );
      }
      await tx.deleteTenant(name);
      await appendAudit(
        tx,
        auditEntry(ctx, 'tenant.delete', name, `tenant/${name}`, before, null),
        now,
      );
      return tokens;
    });
    for (const t of revoked) this.events.emit({ kind: 'token', action: 'revoked', token: t });
    this.events.emit({ kind: 'tenant', name, action: 'delete' });
  }

  // Tokens -----------------------------------------------------------------------------------

  /** Creates a token (for an existing tenant, when it names one); the secret is in the answer only. */
  async createToken(
    ctx: RequestContext,
    input: TokenInput,
  ): Promise<{ token: TokenRecord; secret: string }> {
    if (input.tenant !== undefined && !(await this.store.getTenant(input.tenant)))
      throw new LedgerError('refused', `tenant ${input.tenant} does not exist`, 'tenant');
    try {
      return await createToken(this.store, input, ctx.actor.name, this.stamp());
    } catch (err) {
      if (err instanceof ConflictError) throw new LedgerError('conflict', err.message, 'name');
      throw err;
    }
  }

  /** The token a secret belongs to, or null. */
  authenticate(secret: string): Promise<TokenRecord | null> {
    return authenticate(this.store, secret);
  }

  /** Every token (never their secrets). */
  listTokens(): Promise<TokenRecord[]> {
    return this.store.listTokens();
  }

  /** Whether a token still exists (it was not revoked). */
  async tokenExists(id: string): Promise<boolean> {
    return (await this.store.listTokens()).some((t) => t.id === id);
  }

  /**
   * Revokes a token. Its event ends what it still holds open (event streams) before this
   * resolves: a revoked token is refused from the answer on, not from its next request on.
   */
  async revokeToken(ctx: RequestContext, id: string): Promise<TokenRecord> {
    const t = await revokeToken(
      this.store,
      id,
      ctx.actor.name,
      this.stamp(),
      ctx.requestId ?? null,
    );
    if (!t) throw new LedgerError('not-found', `token ${id} does not exist`);
    this.events.emit({ kind: 'token', action: 'revoked', token: t });
    return t;
  }

  // Pools ------------------------------------------------------------------------------------

  /** Creates or replaces a pool. */
  async putPool(ctx: RequestContext, name: string, spec: PoolSpec): Promise<Pool> {
    const now = this.stamp();
    const p = await this.store.mutate(async (tx) => {
      const before = await tx.getPool(name);
      const after = await tx.putPool(name, spec, now);
      await appendAudit(
        tx,
        auditEntry(
          ctx,
          before ? 'pool.update' : 'pool.create',
          null,
          `pool/${name}`,
          before ?? null,
          after,
        ),
        now,
      );
      return after;
    });
    this.events.emit({ kind: 'pool', name, action: 'put' });
    return p;
  }

  /** Deletes a pool no attachment and no tenant uses. */
  async deletePool(ctx: RequestContext, name: string): Promise<void> {
    const now = this.stamp();
    await this.store.mutate(async (tx) => {
      const before = await tx.getPool(name);
      if (!before) throw new LedgerError('not-found', `pool ${name} does not exist`);
      const held = await tx.listAttachments({ pool: name });
      if (held.length)
        throw new LedgerError(
          'conflict',
          `pool ${name} has ${held.length} attachment${held.length === 1 ? '' : 's'}`,
          undefined,
          'detach them first',
        );
      const users = (await tx.listTenants()).filter((t) => t.pools.includes(name));
      if (users.length)
        throw new LedgerError(
          'conflict',
          `pool ${name} is allowed to tenant${users.length === 1 ? '' : 's'} ${users.map((t) => t.name).join(', ')}`,
          undefined,
          'remove it from those tenants first',
        );
      await tx.deletePool(name);
      await appendAudit(
        tx,
        auditEntry(ctx, 'pool.delete', null, `pool/${name}`, before, null),
        now,
      );
    });
    this.events.emit({ kind: 'pool', name, action: 'delete' });
  }
}
