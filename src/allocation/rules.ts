/**
 * The rules an attach request meets before placement, shared by attach and its preview so a dry
 * run never promises what attach refuses: the tenant and pool exist (and are the caller's), the
 * consumer is the tenant's own, a requested MAC is free, interface names are chosen.
 */
import type { Inventory } from '../inventory/types.js';
import type { Actor, RequestContext } from '../ledger/actor.js';
import { appendAudit, auditEntry } from '../ledger/audit.js';
import { LedgerError } from '../ledger/errors.js';
import { poolTakesNetworkSettings } from '../ledger/placement.js';
import {
  consumerUnavailable,
  macUnavailable,
  Unavailable,
  type MacHolder,
} from '../ledger/refusals.js';
import type { LedgerReader } from '../ledger/store.js';
import type { AttachRequest, Attachment, Consumer, Pool, Tenant } from '../ledger/types.js';
import type { AllocationDeps } from './deps.js';

/** Refuses a tenant-confined caller acting for another tenant. */
export function confine(ctx: RequestContext, tenant: string): void {
  if (ctx.actor.tenant !== null && ctx.actor.tenant !== tenant)
    throw new LedgerError('forbidden', `this token is confined to tenant ${ctx.actor.tenant}`);
}

/** Interface names for the request: the ones given, or the consumer's lowest free netN. */
export function interfacesFor(req: AttachRequest, held: readonly Attachment[]): string[] {
  if (req.interfaces) return req.interfaces;
  const used = new Set(held.map((a) => a.interface));
  const out: string[] = [];
  for (let n = 0; out.length < (req.count ?? 1); n++) if (!used.has(`net${n}`)) out.push(`net${n}`);
  return out;
}

/** The consumer a request names; its host defaults to this host. */
export function consumerOf(req: AttachRequest, hostname: string): Consumer {
  return {
    kind: req.consumer.kind,
    name: req.consumer.name,
    host: req.consumer.host ?? hostname,
  };
}

/** Whether the pool's VFs take network settings, for the VLAN rule. */
export function networkOf(pool: Pool, inv: Inventory): { pool: Pool; takesSettings: boolean } {
  return { pool, takesSettings: poolTakesNetworkSettings(pool, inv) };
}

/** The request's tenant and pool; `not-found` for a pool the caller's tenant may not use. */
export async function tenantAndPool(
  r: Pick<LedgerReader, 'getTenant' | 'getPool'>,
  req: AttachRequest,
  actor: Actor,
): Promise<{ tenant: Tenant; pool: Pool }> {
  const tenant = await r.getTenant(req.tenant);
  if (!tenant) throw new LedgerError('not-found', `tenant ${req.tenant} does not exist`, 'tenant');
  const pool = await r.getPool(req.pool);
  // A tenant-scoped caller cannot tell another tenant's pool from one that does not exist.
  if (!pool || (actor.tenant !== null && !tenant.pools.includes(pool.name)))
    throw new LedgerError('not-found', `pool ${req.pool} does not exist`, 'pool');
  return { tenant, pool };
}

function sameConsumer(a: Consumer, b: Consumer): boolean {
  return a.kind === b.kind && a.name === b.name && a.host === b.host;
}

/**
 * The attachments `consumer` holds, all of `tenant`'s. A consumer (kind, name, host) belongs to
 * one tenant while it holds anything: another tenant's is refused as unavailable.
 */
export function consumerRows(
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

/** The PFs' own MACs on this host, with the PF's name: never given to a VF. */
export function pfMacs(inv: Inventory): Map<string, string> {
  const m = new Map<string, string>();
  for (const pf of inv.pfs)
    if (pf.mac !== null && pf.mac !== '00:00:00:00:00:00')
      m.set(pf.mac.toLowerCase(), pf.netdev ?? pf.pciAddress);
  return m;
}

/** Refuses a requested MAC that an attachment or the host itself already uses. */
export function checkMac(
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
export function auditRefusal(d: AllocationDeps, ctx: RequestContext, err: unknown): void {
  if (!(err instanceof Unavailable) || err.audit === null) return;
  const note = err.audit;
  const now = d.stamp();
  void d.store
    .mutate(
      (tx) =>
        appendAudit(
          tx,
          auditEntry(ctx, 'attachment.refused', null, note.target, null, note.after),
          now,
        ),
      { durable: false },
    )
    // The refusal stands either way; a store that cannot write says so on the next request.
    .catch(() => undefined);
}
