/**
 * The ledger: who owns which VF and what it must look like. Every mutation is recorded in the
 * audit log in the same transaction. Attach reserves VFs durably *before* touching the kernel
 * (state `attaching`), configures them, then marks them `attached`; detach marks `detaching`,
 * scrubs, then deletes. So a crash at any point leaves rows that say what to finish, and
 * `reconcile` finishes it: no VF is ever owned twice and no answered attachment is lost.
 */
import { createHash } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';
import { HostBusyError, HostGate, type HeldGate } from '../executor/host-gate.js';
import { HostTimeoutError } from '../host/errors.js';
import {
  configureVfs,
  describeReadBack,
  NO_NETWORK_DETAIL,
  SCRUBBED,
  type VfTarget,
} from '../executor/attachment-vf.js';
import type { Host } from '../host/host.js';
import { diffVfSettings } from '../host/vf-settings.js';
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { LedgerError } from './errors.js';
import { revokeToken } from './tokens.js';
import type { InventoryCache } from './inventory-cache.js';
import { uniqueConsumerMac } from './mac.js';
import {
  conflictRefusal,
  consumerUnavailable,
  macUnavailable,
  Unavailable,
  type MacHolder,
} from './refusals.js';
import {
  place,
  poolTakesNetworkSettings,
  resolveVlan,
  type PlacementConfig,
  type PlacementExplanation,
} from './placement.js';
import { ConflictError, type LedgerStore, type LedgerWriter, type NewAuditEntry } from './store.js';
import {
  attachmentVfSettings,
  type AttachRequest,
  type Attachment,
  type Consumer,
  type Pool,
  type PoolSpec,
  type Tenant,
  type TenantSpec,
  type TokenRecord,
} from './types.js';

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

export interface AttachResult {
  attachments: Attachment[];
  placement: PlacementExplanation;
  /** How each VF was chosen, in the order of `attachments`. */
  reasons: string[];
}

export interface PlacementPreview {
  ok: boolean;
  reason?: string;
  code?: string;
  /** What would make the request fit, when placement knows (enable the IOMMU, ...). */
  fix?: string;
  choices: {
    pf: string;
    pfNetdev: string | null;
    vfIndex: number;
    numaNode: number;
    why: string;
  }[];
  placement: PlacementExplanation | null;
}

export interface ReconcileReport {
  completed: string[];
  rolledBack: string[];
  scrubbed: string[];
  reapplied: string[];
  orphaned: string[];
  failed: { id: string; reason: string }[];
}

export interface LedgerOptions {
  store: LedgerStore;
  host: Host;
  inventory: InventoryCache;
  /** This host's name: attachments record it, consumers default to it. */
  hostname: string;
  placement?: Partial<PlacementConfig>;
  now?: () => Date;
  /**
   * The deadline of each kernel operation (a netlink batch, a sysfs write); default
   * DEFAULT_KERNEL_TIMEOUT_MS. One that misses it fails its request, and its VF stays out of the
   * pool until the operation returns and a reconcile has compared the VF with the kernel.
   */
  timeoutMs?: number;
  /** Called with what a background reconcile (after a late kernel answer) could not do. */
  onBackgroundError?: (err: unknown) => void;
  /**
   * Shared with the host-wide operations (policy apply, drift repair) of the same daemon: attach,
   * detach and reconcile are refused while one of them holds the host. Default: a gate of its own.
   */
  gate?: HostGate;
}

/** The default deadline of one kernel operation the ledger starts. */
export const DEFAULT_KERNEL_TIMEOUT_MS = 30_000;

/** A kernel operation that missed its deadline and has not returned yet. */
interface Abandoned {
  /** What it was: `ip -batch`, `write /sys/...`. */
  what: string;
  since: string;
}

/** How often a background reconcile retries while a host-wide operation holds the host. */
const LATE_RECONCILE_ATTEMPTS = 120;

/** A VF the kernel did not configure: where, why, and what may fix it. */
interface ConfigureFailure {
  id: string;
  where: string;
  reason: string;
  fix?: string;
  /** The kernel operation missed its deadline (the row was abandoned). */
  timedOut: boolean;
  errno: string | null;
}

/** How to name a VF in messages: `VF 3 of ens1f0`, or of its PF address when it has no netdev. */
function vfName(a: Pick<Attachment, 'vfIndex' | 'pfNetdev' | 'pf'>): string {
  return `VF ${a.vfIndex} of ${a.pfNetdev ?? a.pf}`;
}

/** What an operator can do about a `failed` row; every text that makes or reports one says it. */
export function failedWayOut(id: string): string {
  return `detach it again to retry the scrub (DELETE /attachments/${id}, sriovctl detach ${id}), or as an admin release it without one (?force=true, sriovctl detach --force ${id})`;
}

/** The error text of a kernel operation that failed, and whether it timed out. */
function failureOf(err: unknown): { reason: string; timeout: HostTimeoutError | null } {
  const reason = err instanceof Error ? err.message : String(err);
  return { reason, timeout: err instanceof HostTimeoutError ? err : null };
}

/** An audit entry for a change made on behalf of `ctx`. */
function auditEntry(
  ctx: RequestContext,
  action: string,
  tenant: string | null,
  target: string,
  before: unknown,
  after: unknown,
): NewAuditEntry {
  return {
    actor: ctx.actor.name,
    action,
    tenant,
    target,
    before,
    after,
    requestId: ctx.requestId ?? null,
  };
}

const hashBody = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * The request as its Idempotency-Key remembers it: without the default vlanProto, so a retry of a
 * request made before attachments had one still matches.
 */
function hashedRequest(req: AttachRequest): unknown {
  if (req.vlanProto !== '802.1Q') return req;
  const { vlanProto: _default, ...rest } = req;
  return rest;
}

export class Ledger {
  readonly store: LedgerStore;
  readonly host: Host;
  readonly inventory: InventoryCache;
  readonly hostname: string;
  readonly placementConfig: PlacementConfig;
  private readonly now: () => Date;
  private readonly timeoutMs: number;
  private readonly onBackgroundError: (err: unknown) => void;
  /**
   * Attachments whose kernel operation timed out and has not returned: the kernel may still apply
   * it, so nothing may scrub or hand out their VF before it has returned and a reconcile has
   * compared the VF with the kernel (which then runs by itself).
   */
  private readonly abandoned = new Map<string, Abandoned>();
  /** The background reconcile queued or running (after a late kernel answer). */
  private lateReconcile: Promise<void> | null = null;
  /** One is queued and has not started: later answers are covered by it. */
  private lateQueued = false;
  private readonly listeners = new Set<(e: LedgerEvent) => void>();
  /**
   * Attachments a request is working on right now (attaching, detaching, reconciling). A second
   * request for one of them is refused, and reconcile leaves them to the request that holds them:
   * otherwise a detach could scrub a VF twice, or a reconcile roll back an attach under its feet.
   */
  private readonly inFlight = new Set<string>();
  /** Attach, detach and reconcile run shared; a policy apply or repair holds it alone. */
  readonly gate: HostGate;

  constructor(opts: LedgerOptions) {
    this.gate = opts.gate ?? new HostGate();
    this.store = opts.store;
    this.host = opts.host;
    this.inventory = opts.inventory;
    this.hostname = opts.hostname;
    this.placementConfig = { oversubscription: opts.placement?.oversubscription ?? 1.0 };
    this.now = opts.now ?? (() => new Date());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_KERNEL_TIMEOUT_MS;
    this.onBackgroundError = opts.onBackgroundError ?? (() => undefined);
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  /** Subscribes to ledger changes (for the events stream); returns the unsubscribe. */
  onEvent(fn: (e: LedgerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: LedgerEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private confine(ctx: RequestContext, tenant: string): void {
    if (ctx.actor.tenant !== null && ctx.actor.tenant !== tenant)
      throw new LedgerError('forbidden', `this token is confined to tenant ${ctx.actor.tenant}`);
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
      await tx.appendAudit(
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
    this.emit({ kind: 'tenant', name, action: 'put' });
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
        await tx.appendAudit(
          auditEntry(ctx, 'token.revoke', name, `token/${t.name}`, t, null),
          now,
        );
      }
      await tx.deleteTenant(name);
      await tx.appendAudit(
        auditEntry(ctx, 'tenant.delete', name, `tenant/${name}`, before, null),
        now,
      );
      return tokens;
    });
    for (const t of revoked) this.emit({ kind: 'token', action: 'revoked', token: t });
    this.emit({ kind: 'tenant', name, action: 'delete' });
  }

  // Tokens -----------------------------------------------------------------------------------

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
    this.emit({ kind: 'token', action: 'revoked', token: t });
    return t;
  }

  // Pools ------------------------------------------------------------------------------------

  async putPool(ctx: RequestContext, name: string, spec: PoolSpec): Promise<Pool> {
    const now = this.stamp();
    const p = await this.store.mutate(async (tx) => {
      const before = await tx.getPool(name);
      const after = await tx.putPool(name, spec, now);
      await tx.appendAudit(
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
    this.emit({ kind: 'pool', name, action: 'put' });
    return p;
  }

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
      await tx.appendAudit(auditEntry(ctx, 'pool.delete', null, `pool/${name}`, before, null), now);
    });
    this.emit({ kind: 'pool', name, action: 'delete' });
  }

  // Attach -----------------------------------------------------------------------------------

  /** Interface names for the request: the ones given, or the consumer's lowest free netN. */
  private interfacesFor(req: AttachRequest, held: readonly Attachment[]): string[] {
    if (req.interfaces) return req.interfaces;
    const used = new Set(held.map((a) => a.interface));
    const out: string[] = [];
    for (let n = 0; out.length < (req.count ?? 1); n++)
      if (!used.has(`net${n}`)) out.push(`net${n}`);
    return out;
  }

  private consumerOf(req: AttachRequest): Consumer {
    return {
      kind: req.consumer.kind,
      name: req.consumer.name,
      host: req.consumer.host ?? this.hostname,
    };
  }

  /** What an attach request would get, without attaching anything. */
  async preview(ctx: RequestContext, req: AttachRequest): Promise<PlacementPreview> {
    this.confine(ctx, req.tenant);
    const { tenant, pool } = await this.tenantAndPool(this.store, req, ctx.actor);
    const inv = await this.inventory.get();
    const all = await this.store.listAttachments();
    const consumer = this.consumerOf(req);
    // The same rules attach applies first, in its order, so a dry run never promises what attach
    // refuses (and a probe learns no more from it).
    let held: Attachment[];
    try {
      held = this.consumerRows(ctx.actor, tenant.name, consumer, all);
      if (req.mac !== undefined) this.checkMac(ctx.actor, tenant.name, req.mac, all, inv);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      this.auditRefusal(ctx, err);
      return {
        ok: false,
        reason: err.message,
        code: err.details!.code as string,
        choices: [],
        placement: null,
      };
    }
    const vlan = resolveVlan(req, tenant, this.networkOf(pool, inv));
    if (!vlan.ok)
      return {
        ok: false,
        reason: vlan.reason,
        code: vlan.code,
        choices: [],
        placement: null,
      };
    const r = place({
      inv,
      pool,
      tenant,
      request: req,
      interfaces: this.interfacesFor(req, held),
      attachments: all,
      config: this.placementConfig,
    });
    if (!r.ok)
      return {
        ok: false,
        reason: r.reason,
        code: r.code,
        ...(r.fix ? { fix: r.fix } : {}),
        choices: [],
        placement: r.explanation ?? null,
      };
    return {
      ok: true,
      choices: r.choices.map((c) => ({
        pf: c.pf.pciAddress,
        pfNetdev: c.pf.netdev,
        vfIndex: c.vf.vfIndex,
        numaNode: c.vf.numaNode,
        why: c.why,
      })),
      placement: r.explanation,
    };
  }

  /** Whether the pool's VFs take network settings, for the VLAN rule. */
  private networkOf(pool: Pool, inv: Inventory): { pool: Pool; takesSettings: boolean } {
    return { pool, takesSettings: poolTakesNetworkSettings(pool, inv) };
  }

  private async tenantAndPool(
    r: Pick<LedgerWriter, 'getTenant' | 'getPool'>,
    req: AttachRequest,
    actor: Actor,
  ): Promise<{ tenant: Tenant; pool: Pool }> {
    const tenant = await r.getTenant(req.tenant);
    if (!tenant)
      throw new LedgerError('not-found', `tenant ${req.tenant} does not exist`, 'tenant');
    const pool = await r.getPool(req.pool);
    // A tenant-scoped caller cannot tell another tenant's pool from one that does not exist.
    if (!pool || (actor.tenant !== null && !tenant.pools.includes(pool.name)))
      throw new LedgerError('not-found', `pool ${req.pool} does not exist`, 'pool');
    return { tenant, pool };
  }

  /**
   * The attachments `consumer` holds, all of `tenant`'s. A consumer (kind, name, host) belongs to
   * one tenant while it holds anything: another tenant's is refused as unavailable.
   */
  private consumerRows(
    caller: Actor,
    tenant: string,
    consumer: Consumer,
    all: readonly Attachment[],
  ): Attachment[] {
    const rows = all.filter((a) => sameConsumer(a.consumer, consumer));
    const theirs = rows.filter((a) => a.tenant !== tenant);
    if (theirs.length) throw consumerUnavailable(caller, tenant, consumer, theirs);
    return rows;
  }

  /** Refuses a requested MAC that an attachment or the host itself already uses. */
  private checkMac(
    caller: Actor,
    tenant: string,
    mac: string,
    all: readonly Attachment[],
    inv: Inventory,
  ): void {
    const a = all.find((x) => x.mac === mac);
    const pf = pfMacs(inv).get(mac);
    const holder: MacHolder | undefined = a ? { attachment: a } : pf ? { pf } : undefined;
    if (holder) throw macUnavailable(caller, tenant, mac, holder);
  }

  /**
   * Records a refusal that concerned another tenant's consumer or MAC, for the host's admins
   * (tenant null: neither tenant sees it). Not waited for, so the refusal takes as long to arrive
   * as any other and its timing tells nothing either.
   */
  private auditRefusal(ctx: RequestContext, err: unknown): void {
    if (!(err instanceof Unavailable) || err.audit === null) return;
    const note = err.audit;
    const now = this.stamp();
    void this.store
      .mutate(
        (tx) =>
          tx.appendAudit(
            auditEntry(ctx, 'attachment.refused', null, note.target, null, note.after),
            now,
          ),
        { durable: false },
      )
      // The refusal stands either way; a store that cannot write says so on the next request.
      .catch(() => undefined);
  }

  /** Places, reserves, configures and records VFs for a consumer. */
  async attach(ctx: RequestContext, req: AttachRequest): Promise<AttachResult> {
    this.confine(ctx, req.tenant);
    return this.claiming((claimed) => this.attachClaiming(ctx, req, claimed)).catch(
      (err: unknown) => {
        this.auditRefusal(ctx, err);
        throw err;
      },
    );
  }

  /**
   * Runs a ledger operation on the host gate with a set of its claims (ids it added to inFlight),
   * released when it ends however it ends.
   */
  private claiming<T>(fn: (claimed: Set<string>) => Promise<T>, held?: HeldGate): Promise<T> {
    return this.gate.runShared(async () => {
      const claimed = new Set<string>();
      try {
        return await fn(claimed);
      } finally {
        for (const id of claimed) this.inFlight.delete(id);
      }
    }, held);
  }

  private async attachClaiming(
    ctx: RequestContext,
    req: AttachRequest,
    claimed: Set<string>,
  ): Promise<AttachResult> {
    const inv = await this.inventory.get();
    const key = ctx.idempotencyKey;
    const requestHash = key ? hashBody(hashedRequest(req)) : '';
    const now = this.stamp();

    // Not waited to disk: the reservation guards kernel changes, which a power loss undoes too
    // (see LedgerStore.mutate); the answer waits for the durable unit that marks it attached.
    const reserved = await this.store.mutate(
      async (tx) => {
        if (key) {
          const seen = await tx.getIdempotency(ctx.actor.name, key);
          if (seen) return { replay: seen } as const;
          await tx.putIdempotency(
            { actor: ctx.actor.name, key, requestHash, status: 'pending', response: null },
            now,
          );
        }
        const { tenant, pool } = await this.tenantAndPool(tx, req, ctx.actor);
        const all = await tx.listAttachments();
        const consumer = this.consumerOf(req);
        // First: whatever is refused after this concerns the tenant's own consumer only.
        const held = this.consumerRows(ctx.actor, tenant.name, consumer, all);
        if (req.mac !== undefined) this.checkMac(ctx.actor, tenant.name, req.mac, all, inv);
        const vlan = resolveVlan(req, tenant, this.networkOf(pool, inv));
        if (!vlan.ok)
          throw new LedgerError('refused', vlan.reason, vlan.field, undefined, { code: vlan.code });
        const interfaces = this.interfacesFor(req, held);
        for (const i of interfaces) {
          const dup = held.find((a) => a.interface === i);
          if (dup)
            throw new LedgerError(
              'conflict',
              `${consumer.kind} ${consumer.name} already has VF ${dup.vfIndex} of ${dup.pfNetdev} on ${i} (attachment ${dup.id})`,
              'interfaces',
              'detach it first or use another interface name',
            );
        }
        const r = place({
          inv,
          pool,
          tenant,
          request: req,
          interfaces,
          attachments: all,
          config: this.placementConfig,
        });
        if (!r.ok)
          throw new LedgerError('refused', r.reason, r.field, r.fix, {
            code: r.code,
            ...(r.explanation ? { placement: r.explanation } : {}),
          });
        // Derived MACs avoid every MAC on the host, the PFs' own included.
        const macs = new Set([
          ...all.flatMap((a) => (a.mac === null ? [] : [a.mac])),
          ...pfMacs(inv).keys(),
        ]);
        const macKey = await tx.macKey();
        const rows: Attachment[] = [];
        for (const c of r.choices) {
          // A VF without a network (its PF has no netdev) has no MAC; placement refused one asked.
          let mac: string | null = null;
          if (c.pf.netdev !== null) {
            mac =
              req.mac ??
              uniqueConsumerMac(
                macKey,
                { tenant: tenant.name, consumer, iface: c.interface },
                macs,
              );
            macs.add(mac);
          }
          const a: Attachment = {
            // Time-ordered (UUIDv7): new ids land at the end of the ledger's indexes (and the
            // audit log's target index), so a commit rewrites a few pages, not one per id.
            id: timeOrderedUuid(),
            tenant: tenant.name,
            pool: pool.name,
            consumer,
            interface: c.interface,
            host: this.hostname,
            pf: c.pf.pciAddress,
            pfNetdev: c.pf.netdev,
            vfIndex: c.vf.vfIndex,
            vfPciAddress: c.vf.pciAddress,
            numaNode: c.vf.numaNode,
            mac,
            vlan: vlan.vlan,
            qos: req.qos,
            vlanProto: req.vlanProto,
            minTxRate: req.minTxRate,
            maxTxRate: req.maxTxRate,
            trust: req.trust,
            // Spoof checking stays on unless the tenant may have trust and the request says off.
            spoofchk: tenant.allowTrust ? (req.spoofchk ?? !req.trust) : true,
            linkState: req.linkState,
            state: 'attaching',
            detail: null,
            requestKey: key ?? null,
            requestedBy: ctx.actor.name,
            createdAt: now,
            updatedAt: now,
          };
          // Claimed before the row exists, so no reader ever sees it unclaimed.
          this.inFlight.add(a.id);
          claimed.add(a.id);
          try {
            await tx.insertAttachment(a);
          } catch (err) {
            if (err instanceof ConflictError) throw conflictRefusal(ctx.actor, a, err, all);
            throw err;
          }
          rows.push(a);
        }
        return { rows, pool, explanation: r.explanation, reasons: r.choices.map((c) => c.why) };
      },
      { durable: false },
    );
    if ('replay' in reserved) return this.replay<AttachResult>(reserved.replay, requestHash);

    const failures = await this.configure(reserved.rows, reserved.pool.vfDriver, inv);
    if (failures.length) {
      const stuck = await this.rollBack(ctx, reserved.rows);
      if (key) await this.store.mutate((tx) => tx.deleteIdempotency(ctx.actor.name, key));
      const first = failures[0]!;
      throw new LedgerError(
        'host-failed',
        first.timedOut
          ? `the kernel did not answer in time configuring ${first.where}: ${first.reason}`
          : `the kernel refused to configure ${first.where}: ${first.reason}`,
        undefined,
        [first.fix, this.rolledBackText(stuck)].filter((t) => t !== undefined).join('; '),
        { errno: first.errno },
      );
    }

    const done = this.stamp();
    const result = await this.store.mutate(async (tx) => {
      const attachments: Attachment[] = [];
      for (const a of reserved.rows) {
        const after = await tx.updateAttachment(
          a.id,
          { state: 'attached', detail: a.detail },
          done,
        );
        attachments.push(after!);
        await tx.appendAudit(
          auditEntry(ctx, 'attachment.create', a.tenant, `attachment/${a.id}`, null, after),
          done,
        );
      }
      const res: AttachResult = {
        attachments,
        placement: reserved.explanation,
        reasons: reserved.reasons,
      };
      if (key)
        await tx.putIdempotency(
          {
            actor: ctx.actor.name,
            key,
            requestHash,
            status: 'done',
            response: { status: 201, body: res },
          },
          done,
        );
      return res;
    });
    for (const a of result.attachments)
      this.emit({
        kind: 'attachment',
        id: a.id,
        tenant: a.tenant,
        action: 'attached',
        attachment: a,
      });
    return result;
  }

  /** What a rollback left: the VFs it could not release, and the way out for each. */
  private rolledBackText(stuck: readonly Attachment[]): string {
    if (stuck.length === 0)
      return 'nothing was attached; the VFs were scrubbed and returned to the pool';
    const n = stuck.length === 1 ? '1 VF' : `${stuck.length} VFs`;
    const ids = stuck.map((a) => a.id).join(', ');
    if (stuck.some((a) => this.abandoned.has(a.id)))
      return `nothing was attached; ${n} stay out of the pool (state failed, attachment ${ids}) until the kernel answers and a reconcile scrubs and releases them; or as an admin release them without a scrub (sriovctl detach --force <id>)`;
    return `nothing was attached; ${n} could not be scrubbed and stay out of the pool (state failed, attachment ${ids}): detach each again to retry the scrub (sriovctl detach <id>), or as an admin release it without one (sriovctl detach --force <id>)`;
  }

  /** The first answer to a request sent again with the same Idempotency-Key. */
  private replay<T>(
    seen: { requestHash: string; status: string; response: { body: unknown } | null },
    requestHash: string,
  ): T {
    if (seen.requestHash !== requestHash)
      throw new LedgerError(
        'conflict',
        'this Idempotency-Key was used for a different request',
        undefined,
        'use a new key for a new request',
      );
    if (seen.status !== 'done' || !seen.response)
      throw new LedgerError(
        'conflict',
        'a request with this Idempotency-Key is still in progress',
        undefined,
        'retry in a moment',
      );
    return seen.response.body as T;
  }

  /**
   * Configures reserved rows PF by PF; sets each row's `detail` to its read-back. Returns the
   * failures (with the VF and the kernel's reason). Rows whose kernel operation timed out are
   * also abandoned (see `abandon`).
   */
  private async configure(
    rows: Attachment[],
    vfDriver: PoolSpec['vfDriver'],
    inv: Inventory,
  ): Promise<ConfigureFailure[]> {
    const failures: ConfigureFailure[] = [];
    for (const [, group] of groupBy(rows, (a) => a.pf)) {
      const pf = inv.pfs.find((p) => p.pciAddress === group[0]!.pf);
      const targets: VfTarget[] = group.map((a) => ({
        pfNetdev: a.pfNetdev,
        vfIndex: a.vfIndex,
        vfPciAddress: a.vfPciAddress,
        settings: attachmentVfSettings(a),
      }));
      let outcomes;
      try {
        outcomes = await configureVfs(
          this.host,
          pf?.driver ?? null,
          targets,
          vfDriver,
          this.timeoutMs,
        );
      } catch (err) {
        const f = failureOf(err);
        if (f.timeout) this.abandon(group, f.timeout);
        for (const a of group)
          failures.push({
            id: a.id,
            where: vfName(a),
            reason: f.reason,
            timedOut: f.timeout !== null,
            errno: f.timeout ? 'ETIMEDOUT' : null,
          });
        continue;
      }
      // The snapshot's VF drivers are now out of date, but placement does not read them; reconcile
      // rediscovers before comparing.
      outcomes.forEach((o, i) => {
        const a = group[i]!;
        if (o.ok) a.detail = a.pfNetdev === null ? NO_NETWORK_DETAIL : describeReadBack(o.readBack);
        else
          failures.push({
            id: a.id,
            where: vfName(a),
            reason: o.error?.message ?? 'refused',
            ...(o.error?.hint ? { fix: o.error.hint } : {}),
            timedOut: false,
            errno: o.error?.errno ?? null,
          });
      });
    }
    return failures;
  }

  /**
   * A kernel operation for `rows` missed its deadline. It is not cancelled (a netlink batch or a
   * sysfs write blocked in the kernel may still land), so their VFs are held — not scrubbed, not
   * handed out — until it returns; then a reconcile compares them with the kernel and scrubs and
   * releases the failed ones.
   */
  private abandon(rows: readonly Attachment[], t: HostTimeoutError): void {
    // Without a handle on the work (a wait that gave up), nothing of it is left running.
    if (t.settled === undefined) return;
    const entry: Abandoned = { what: t.message, since: this.stamp() };
    for (const a of rows) this.abandoned.set(a.id, entry);
    void t.settled.then(() => {
      for (const a of rows) if (this.abandoned.get(a.id) === entry) this.abandoned.delete(a.id);
      this.reconcileLater();
    });
  }

  /** Reconciles in the background, once at a time; waits and retries while the host is busy. */
  private reconcileLater(): void {
    if (this.lateQueued) return;
    this.lateQueued = true;
    const run = async () => {
      this.lateQueued = false;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.reconcile();
          return;
        } catch (err) {
          if (!(err instanceof HostBusyError) || attempt >= LATE_RECONCILE_ATTEMPTS) {
            this.onBackgroundError(err);
            return;
          }
          await new Promise((r) => setTimeout(r, err.retryAfterS * 1000).unref());
        }
      }
    };
    const next = (this.lateReconcile ?? Promise.resolve()).then(run);
    this.lateReconcile = next;
    void next.finally(() => {
      if (this.lateReconcile === next) this.lateReconcile = null;
    });
  }

  /** Resolves once no background reconcile (after a late kernel answer) is queued or running. */
  async idle(): Promise<void> {
    while (this.lateReconcile) await this.lateReconcile;
  }

  /** The `detail` of a row held because its kernel operation timed out. */
  private timedOutDetail(a: Attachment): string {
    const t = this.abandoned.get(a.id);
    return `the kernel did not answer in time (${t?.what ?? 'a kernel operation timed out'}) and may still apply the change: a reconcile scrubs and releases the VF once it answers; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${a.id})`;
  }

  /**
   * Scrubs and releases rows whose attach failed. Rows that cannot be scrubbed, and rows whose
   * kernel operation timed out (it may still land, so a scrub now could be undone), stay `failed`;
   * returns those.
   */
  private async rollBack(ctx: RequestContext, rows: Attachment[]): Promise<Attachment[]> {
    const pools = new Map<string, Pool | null>();
    for (const a of rows)
      if (!pools.has(a.pool)) pools.set(a.pool, await this.store.getPool(a.pool));
    const scrub = await this.scrub(
      rows.filter((a) => !this.abandoned.has(a.id)),
      (a) => pools.get(a.pool)?.vfDriver ?? 'vfio-pci',
    );
    const now = this.stamp();
    const stuck: Attachment[] = [];
    await this.store.mutate(async (tx) => {
      for (const a of rows) {
        const err = scrub.get(a.id);
        const detail = this.abandoned.has(a.id)
          ? this.timedOutDetail(a)
          : err !== undefined
            ? `scrub failed: ${err}; ${failedWayOut(a.id)}`
            : null;
        if (detail !== null) {
          await tx.updateAttachment(a.id, { state: 'failed', detail }, now);
          stuck.push(a);
        } else await tx.deleteAttachment(a.id);
        await tx.appendAudit(
          auditEntry(
            ctx,
            'attachment.rollback',
            a.tenant,
            `attachment/${a.id}`,
            a,
            detail !== null ? { state: 'failed', detail } : null,
          ),
          now,
        );
      }
    });
    return stuck;
  }

  /**
   * Scrubs VFs of attachments; returns the error text per attachment id that failed. A VF whose
   * settings were scrubbed (verified by read-back) but that the pool's driver then refused counts
   * as scrubbed: no consumer setting is left on it and the bind returned it to the driver it had,
   * so it is released instead of stranded (placement keeps such VFs out of later attaches).
   */
  private async scrub(
    rows: readonly Attachment[],
    driverOf: (a: Attachment) => PoolSpec['vfDriver'],
  ): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    const inv = await this.inventory.get();
    for (const [, group] of groupBy(rows, (a) => `${a.pf}\0${driverOf(a)}`)) {
      const pf = inv.pfs.find((p) => p.pciAddress === group[0]!.pf);
      const present = group.filter((a) => vfExists(pf, a.vfIndex));
      try {
        const outcomes = await configureVfs(
          this.host,
          pf?.driver ?? null,
          present.map((a) => ({
            pfNetdev: a.pfNetdev,
            vfIndex: a.vfIndex,
            vfPciAddress: a.vfPciAddress,
            settings: SCRUBBED,
          })),
          driverOf(group[0]!),
          this.timeoutMs,
        );
        outcomes.forEach((o, i) => {
          if (!o.ok && o.failedAt !== 'driver')
            failed.set(present[i]!.id, o.error?.message ?? 'refused');
        });
      } catch (err) {
        const f = failureOf(err);
        if (f.timeout) this.abandon(present, f.timeout);
        for (const a of present) failed.set(a.id, f.reason);
      }
    }
    return failed;
  }

  // Detach -----------------------------------------------------------------------------------

  /**
   * Scrubs the attachment's VF and releases it. With `force` (for admins: the surface checks the
   * role), a VF the kernel will not scrub — or whose timed-out kernel operation has not returned —
   * is released anyway, unscrubbed; the next attach sets every setting it needs.
   */
  async detach(
    ctx: RequestContext,
    id: string,
    opts: { force?: boolean } = {},
  ): Promise<Attachment> {
    return this.claiming((claimed) => this.detachClaiming(ctx, id, claimed, opts.force === true));
  }

  private async detachClaiming(
    ctx: RequestContext,
    id: string,
    claimed: Set<string>,
    force: boolean,
  ): Promise<Attachment> {
    const now = this.stamp();
    const key = ctx.idempotencyKey;
    const requestHash = key ? hashBody(force ? { detach: id, force } : { detach: id }) : '';
    // Not waited to disk, like the attach reservation; the answer waits for the durable delete.
    const a = await this.store.mutate(
      async (tx) => {
        if (key) {
          const seen = await tx.getIdempotency(ctx.actor.name, key);
          // A detach cut off by a crash was finished by reconcile, which cannot know its key: the
          // row being gone is what says it is done, and the answer was recorded up front.
          if (seen?.status === 'pending' && seen.response && !(await tx.getAttachment(id))) {
            const done = { ...seen, status: 'done' as const };
            if (seen.requestHash === requestHash) await tx.putIdempotency(done, now);
            return { replay: done } as const;
          }
          if (seen) return { replay: seen } as const;
        }
        const a = await tx.getAttachment(id);
        if (!a || (ctx.actor.tenant !== null && a.tenant !== ctx.actor.tenant))
          throw new LedgerError('not-found', `attachment ${id} does not exist`);
        if (a.state === 'attaching')
          throw new LedgerError(
            'conflict',
            `attachment ${id} is still being attached`,
            undefined,
            'retry in a moment',
          );
        if (this.inFlight.has(id))
          throw new LedgerError(
            'conflict',
            `attachment ${id} is already being detached or reconciled`,
            undefined,
            'retry in a moment',
          );
        const pending = this.abandoned.get(id);
        if (pending && !force)
          throw new LedgerError(
            'conflict',
            `a kernel operation on ${vfName(a)} timed out (${pending.what}) at ${pending.since} and has not returned; it may still change the VF, so it cannot be scrubbed yet`,
            undefined,
            `a reconcile scrubs and releases it once the kernel answers; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${id})`,
          );
        this.inFlight.add(id);
        claimed.add(id);
        if (a.state !== 'detaching') await tx.updateAttachment(id, { state: 'detaching' }, now);
        if (key)
          await tx.putIdempotency(
            {
              actor: ctx.actor.name,
              key,
              requestHash,
              status: 'pending',
              response: { status: 200, body: a },
            },
            now,
          );
        return a;
      },
      { durable: false },
    );
    if ('replay' in a) return this.replay<Attachment>(a.replay, requestHash);
    const pool = await this.store.getPool(a.pool);
    // Forced over a kernel operation that has not returned: scrubbing now could be undone by it.
    const err = this.abandoned.has(id)
      ? `not scrubbed: ${this.abandoned.get(id)!.what}, and it has not returned`
      : (await this.scrub([a], () => pool?.vfDriver ?? 'vfio-pci')).get(a.id);
    const done = this.stamp();
    if (err !== undefined && !force) {
      const detail = this.abandoned.has(id)
        ? this.timedOutDetail(a)
        : `scrub failed: ${err}; ${failedWayOut(id)}`;
      const after = await this.store.mutate(async (tx) => {
        if (key) await tx.deleteIdempotency(ctx.actor.name, key);
        const row = await tx.updateAttachment(id, { state: 'failed', detail }, done);
        await tx.appendAudit(
          auditEntry(ctx, 'attachment.scrub-failed', a.tenant, `attachment/${id}`, a, {
            state: 'failed',
            detail,
          }),
          done,
        );
        return row;
      });
      this.emit({
        kind: 'attachment',
        id,
        tenant: a.tenant,
        action: 'failed',
        attachment: after ?? a,
      });
      throw new LedgerError(
        'host-failed',
        this.abandoned.has(id)
          ? `the kernel did not answer in time scrubbing ${vfName(a)}: ${err}`
          : `the kernel refused to scrub ${vfName(a)}: ${err}`,
        undefined,
        this.abandoned.has(id)
          ? `the VF stays out of the pool (state failed) until the kernel answers and a reconcile scrubs and releases it; or as an admin release it now without a scrub (?force=true, sriovctl detach --force ${id})`
          : `the VF stays out of the pool (state failed): ${failedWayOut(id)}`,
        this.abandoned.has(id) ? { errno: 'ETIMEDOUT' } : undefined,
      );
    }
    // The answer is the row as it was; released unscrubbed, its detail says so.
    const answer: Attachment =
      err === undefined ? a : { ...a, detail: `released without a scrub (forced): ${err}` };
    await this.store.mutate(async (tx) => {
      await tx.deleteAttachment(id);
      if (key)
        await tx.putIdempotency(
          {
            actor: ctx.actor.name,
            key,
            requestHash,
            status: 'done',
            response: { status: 200, body: answer },
          },
          done,
        );
      await tx.appendAudit(
        err === undefined
          ? auditEntry(ctx, 'attachment.delete', a.tenant, `attachment/${id}`, a, null)
          : // Released unscrubbed: the entry keeps why, for whoever gets the VF next.
            auditEntry(ctx, 'attachment.force-release', a.tenant, `attachment/${id}`, a, {
              released: true,
              scrubbed: false,
              detail: err,
            }),
        done,
      );
    });
    this.emit({ kind: 'attachment', id, tenant: a.tenant, action: 'detached', attachment: answer });
    return answer;
  }

  // Reconcile --------------------------------------------------------------------------------

  /**
   * Brings kernel and ledger together after a restart, reboot or crash: finishes attaches that
   * were answered or can still be claimed (an idempotency key), rolls back the others, finishes
   * detaches, re-applies attached VFs whose kernel settings differ, and marks attachments whose
   * VF is gone as `orphaned` (kept: the consumer still thinks it has it).
   */
  async reconcile(opts: { held?: HeldGate } = {}): Promise<ReconcileReport> {
    return this.claiming((claimed) => this.reconcileClaiming(claimed), opts.held);
  }

  private async reconcileClaiming(claimed: Set<string>): Promise<ReconcileReport> {
    const started = performance.now();
    const ctx: RequestContext = { actor: { name: 'sriovctl', tenant: null } };
    const report: ReconcileReport = {
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    };
    const inv = await this.inventory.refresh();
    // Rows a request is working on are that request's to finish (a running daemon reconciles on
    // demand, not only at start); the rest are claimed until this pass is done. Rows whose kernel
    // operation timed out wait for it to return: what the kernel shows now may still change.
    const listed = (await this.store.listAttachments()).filter((a) => !this.inFlight.has(a.id));
    const all = listed.filter((a) => !this.abandoned.has(a.id));
    for (const a of listed) {
      const t = this.abandoned.get(a.id);
      if (t)
        report.failed.push({
          id: a.id,
          reason: `waiting for a kernel operation that timed out at ${t.since} to return (${t.what})`,
        });
    }
    for (const a of all) {
      this.inFlight.add(a.id);
      claimed.add(a.id);
    }
    const pools = new Map((await this.store.listPools()).map((p) => [p.name, p]));
    const driverOf = (a: Attachment) => pools.get(a.pool)?.vfDriver ?? 'vfio-pci';
    const pfOf = (a: Attachment) => inv.pfs.find((p) => p.pciAddress === a.pf);

    const present = all.filter((a) => vfExists(pfOf(a), a.vfIndex));
    // A release is finished even when its VF vanished (there is nothing left to scrub): orphaning
    // it would hand the VF back, when it returns, to a consumer that gave it up or never got it.
    const toFinishDetach = all.filter((a) => a.state === 'detaching' || a.state === 'failed');
    const toRollBack = all.filter((a) => a.state === 'attaching' && a.requestKey === null);
    const toComplete = present.filter((a) => a.state === 'attaching' && a.requestKey !== null);
    const gone = all.filter(
      (a) =>
        !vfExists(pfOf(a), a.vfIndex) &&
        (a.state === 'attached' || (a.state === 'attaching' && a.requestKey !== null)),
    );
    const toCheck = present.filter((a) => a.state === 'attached' || a.state === 'orphaned');

    const now = this.stamp();
    // Finish detaches and roll back unclaimable attaches: scrub, then delete.
    const release = [...toFinishDetach, ...toRollBack];
    const scrubFailed = await this.scrub(release, driverOf);
    // Attaches that a retry can still claim, and attached VFs that drifted: re-apply.
    const reapply = [
      ...toComplete,
      ...toCheck.filter((a) => {
        const vf = pfOf(a)?.vfs.find((v) => v.vfIndex === a.vfIndex);
        if (a.state === 'orphaned' || !vf) return true;
        // A VF without a network has only its driver to compare.
        if (a.pfNetdev === null) return driverDiffers(a, vf.driver, driverOf(a));
        // A VF the kernel's list leaves out cannot be compared: it is set again without comparing.
        return !vf.config || differs(a, vf.config, vf.driver, driverOf(a));
      }),
    ];
    const reapplyFailed = new Map<string, string>();
    for (const [, group] of groupBy(reapply, (a) => driverOf(a))) {
      const failures = await this.configure(group, driverOf(group[0]!), inv);
      for (const f of failures) reapplyFailed.set(f.id, f.reason);
    }

    await this.store.mutate(async (tx) => {
      const audit = (a: Attachment, action: string, after: unknown) =>
        tx.appendAudit(
          {
            actor: ctx.actor.name,
            action,
            tenant: a.tenant,
            target: `attachment/${a.id}`,
            before: a,
            after,
            requestId: null,
          },
          now,
        );
      for (const a of release) {
        const err = scrubFailed.get(a.id);
        if (err) {
          const detail = this.abandoned.has(a.id)
            ? this.timedOutDetail(a)
            : `scrub failed: ${err}; ${failedWayOut(a.id)}`;
          await tx.updateAttachment(a.id, { state: 'failed', detail }, now);
          await audit(a, 'attachment.scrub-failed', { state: 'failed', detail: err });
          report.failed.push({ id: a.id, reason: err });
          continue;
        }
        await tx.deleteAttachment(a.id);
        await audit(a, a.state === 'attaching' ? 'attachment.rollback' : 'attachment.delete', null);
        (a.state === 'attaching' ? report.rolledBack : report.scrubbed).push(a.id);
      }
      /** Rows of requests a retry can claim, one per request. */
      const claimed = new Map<string, Attachment>();
      for (const a of reapply) {
        const err = reapplyFailed.get(a.id);
        if (err) {
          const after = await tx.updateAttachment(a.id, { detail: `re-apply failed: ${err}` }, now);
          await audit(a, 'attachment.reapply-failed', after);
          report.failed.push({ id: a.id, reason: err });
          continue;
        }
        const after = await tx.updateAttachment(a.id, { state: 'attached', detail: a.detail }, now);
        if (a.state === 'attaching') {
          report.completed.push(a.id);
          await audit(a, 'attachment.create', after);
          if (a.requestKey) claimed.set(`${a.requestedBy}\0${a.requestKey}`, a);
        } else {
          report.reapplied.push(a.id);
          await audit(a, 'attachment.reapply', after);
        }
      }
      // The answer a retry gets, written once all rows of the request are attached: written per
      // row, a request for two VFs would be answered with the first one only.
      for (const a of claimed.values()) {
        const idem = await tx.getIdempotency(a.requestedBy, a.requestKey!);
        if (idem?.status !== 'pending') continue;
        const mine = (await tx.listAttachments()).filter(
          (r) =>
            r.requestKey === a.requestKey &&
            r.requestedBy === a.requestedBy &&
            r.state === 'attached',
        );
        await tx.putIdempotency(
          {
            ...idem,
            status: 'done',
            response: {
              status: 201,
              body: {
                attachments: mine,
                placement: null,
                reasons: mine.map(() => 'completed by reconcile after a restart'),
              },
            },
          },
          now,
        );
      }
      for (const a of gone) {
        const after = await tx.updateAttachment(
          a.id,
          {
            state: 'orphaned',
            detail: `${vfName(a)} no longer exists (numVfs lowered or device gone)`,
          },
          now,
        );
        report.orphaned.push(a.id);
        await audit(a, 'attachment.orphaned', after);
      }
    });
    this.emit({ kind: 'reconcile', report, durationMs: performance.now() - started });
    return report;
  }
}

export type LedgerEvent =
  | { kind: 'tenant'; name: string; action: 'put' | 'delete' }
  | { kind: 'pool'; name: string; action: 'put' | 'delete' }
  /** A token was revoked (by itself or with its tenant): whatever it holds open must end. */
  | { kind: 'token'; action: 'revoked'; token: TokenRecord }
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

/** The PFs' own MACs on this host, with the PF's name: never given to a VF. */
function pfMacs(inv: Inventory): Map<string, string> {
  const m = new Map<string, string>();
  for (const pf of inv.pfs)
    if (pf.mac !== null && pf.mac !== '00:00:00:00:00:00')
      m.set(pf.mac.toLowerCase(), pf.netdev ?? pf.pciAddress);
  return m;
}

function sameConsumer(a: Consumer, b: Consumer): boolean {
  return a.kind === b.kind && a.name === b.name && a.host === b.host;
}

function vfExists(pf: PfSnapshot | undefined, vfIndex: number): boolean {
  return pf !== undefined && pf.vfs.some((v) => v.vfIndex === vfIndex);
}

/** Whether a VF of a vfio-pci pool left vfio-pci (a host-driver pool's VF may be on any). */
function driverDiffers(
  a: Attachment,
  driver: string | null,
  vfDriver: PoolSpec['vfDriver'],
): boolean {
  return vfDriver === 'vfio-pci' && a.vfPciAddress !== null && driver !== 'vfio-pci';
}

/**
 * Whether the kernel's view of a VF differs from the attachment (settings or driver), by the one
 * comparison of VF settings: a field the driver does not report is unknown, not a difference.
 */
function differs(
  a: Attachment,
  k: NonNullable<PfSnapshot['vfs'][number]['config']>,
  driver: string | null,
  vfDriver: PoolSpec['vfDriver'],
): boolean {
  if (driverDiffers(a, driver, vfDriver)) return true;
  return diffVfSettings(attachmentVfSettings(a), k).verdict === 'differs';
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}
