/**
 * Attach: place, reserve, configure, record. The reservation (rows in state `attaching`) is
 * committed before the kernel is touched, so a crash at any point leaves rows that say what to
 * finish (see reconcile.ts). The rows' ids are made and claimed before the reservation's
 * transaction, so no reader ever sees a row unclaimed and the transaction has no side effect: a
 * store may run it again and it writes the same rows.
 */
import { v7 as timeOrderedUuid } from 'uuid';
import type { RequestContext } from '../ledger/actor.js';
import { appendAudit, auditEntry } from '../ledger/audit.js';
import { LedgerError } from '../ledger/errors.js';
import { hashBody, hashedRequest, keyRecord, replay } from '../ledger/idempotency.js';
import { uniqueConsumerMac } from '../ledger/mac.js';
import { place, resolveVlan, type PlacementExplanation } from '../ledger/placement.js';
import { conflictRefusal } from '../ledger/refusals.js';
import { ConflictError } from '../ledger/store.js';
import type { AttachRequest, Attachment } from '../ledger/types.js';
import type { Claim } from './claims.js';
import { hostRows, type AllocationDeps } from './deps.js';
import { rollBack, rolledBackText } from './rollback.js';
import {
  checkMac,
  consumerOf,
  consumerRows,
  interfacesFor,
  networkOf,
  pfMacs,
  tenantAndPool,
} from './rules.js';
import { configure } from './vf-work.js';

export interface AttachResult {
  attachments: Attachment[];
  placement: PlacementExplanation;
  /** How each VF was chosen, in the order of `attachments`. */
  reasons: string[];
}

/** How many VFs a request asks for (one row each). */
function rowsAsked(req: AttachRequest): number {
  return req.interfaces?.length ?? req.count ?? 1;
}

/** Places, reserves, configures and records VFs for a consumer, under `claim`. */
export async function attach(
  d: AllocationDeps,
  ctx: RequestContext,
  req: AttachRequest,
  claim: Claim,
): Promise<AttachResult> {
  const inv = await d.inventory.get();
  const key = ctx.idempotencyKey;
  const requestHash = key ? hashBody(hashedRequest(req)) : '';
  const now = d.stamp();
  // Time-ordered (UUIDv7): new ids land at the end of the ledger's indexes (and the audit log's
  // target index), so a commit rewrites a few pages, not one per id. Claimed before the rows
  // exist, so no reader ever sees one unclaimed.
  const ids = Array.from({ length: rowsAsked(req) }, () => timeOrderedUuid());
  for (const id of ids) claim.take(id);

  // Not waited to disk: the reservation guards kernel changes, which a power loss undoes too
  // (see LedgerStore.mutate); the answer waits for the durable unit that marks it attached.
  const reserved = await d.store.mutate(
    async (tx) => {
      if (key) {
        const seen = await tx.getIdempotency(ctx.actor.name, key);
        if (seen) return { replay: seen } as const;
        await tx.putIdempotency(keyRecord(ctx, key, requestHash, null), now);
      }
      const { tenant, pool } = await tenantAndPool(tx, req, ctx.actor);
      const all = await hostRows(tx, d.hostname);
      const consumer = consumerOf(req, d.hostname);
      // First: whatever is refused after this concerns the tenant's own consumer only.
      const held = consumerRows(ctx.actor, tenant.name, consumer, all);
      if (req.mac !== undefined) checkMac(ctx.actor, tenant.name, req.mac, all, inv);
      const vlan = resolveVlan(req, tenant, networkOf(pool, inv));
      if (!vlan.ok)
        throw new LedgerError('refused', vlan.reason, vlan.field, undefined, { code: vlan.code });
      const interfaces = interfacesFor(req, held);
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
        config: d.placementConfig,
      });
      if (!r.ok)
        throw new LedgerError('refused', r.reason, r.field, r.fix, {
          code: r.code,
          ...(r.explanation ? { placement: r.explanation } : {}),
        });
      if (r.choices.length > ids.length)
        throw new Error(
          `placement chose ${r.choices.length} VFs for a request of ${ids.length} (a bug)`,
        );
      // Derived MACs avoid every MAC on the host, the PFs' own included.
      const macs = new Set([
        ...all.flatMap((a) => (a.mac === null ? [] : [a.mac])),
        ...pfMacs(inv).keys(),
      ]);
      const macKey = await tx.macKey();
      const rows: Attachment[] = [];
      for (const [i, c] of r.choices.entries()) {
        // A VF without a network (its PF has no netdev) has no MAC; placement refused one asked.
        let mac: string | null = null;
        if (c.pf.netdev !== null) {
          mac =
            req.mac ??
            uniqueConsumerMac(macKey, { tenant: tenant.name, consumer, iface: c.interface }, macs);
          macs.add(mac);
        }
        const a: Attachment = {
          id: ids[i]!,
          tenant: tenant.name,
          pool: pool.name,
          consumer,
          interface: c.interface,
          host: d.hostname,
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
  if ('replay' in reserved) return replay<AttachResult>(reserved.replay, requestHash);

  const failures = await configure(d, reserved.rows, reserved.pool.vfDriver, inv);
  if (failures.length) {
    const stuck = await rollBack(d, ctx, reserved.rows);
    if (key) await d.store.mutate((tx) => tx.deleteIdempotency(ctx.actor.name, key));
    const first = failures[0]!;
    throw new LedgerError(
      'host-failed',
      first.timedOut
        ? `the kernel did not answer in time configuring ${first.where}: ${first.reason}`
        : `the kernel refused to configure ${first.where}: ${first.reason}`,
      undefined,
      [first.fix, rolledBackText(d, stuck)].filter((t) => t !== undefined).join('; '),
      { errno: first.errno },
    );
  }

  const done = d.stamp();
  const result = await d.store.mutate(async (tx) => {
    const attachments: Attachment[] = [];
    for (const a of reserved.rows) {
      const after = await tx.updateAttachment(a.id, { state: 'attached', detail: a.detail }, done);
      attachments.push(after!);
      await appendAudit(
        tx,
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
      await tx.putIdempotency(keyRecord(ctx, key, requestHash, { status: 201, body: res }), done);
    return res;
  });
  for (const a of result.attachments)
    d.events.emit({
      kind: 'attachment',
      id: a.id,
      tenant: a.tenant,
      action: 'attached',
      attachment: a,
    });
  return result;
}
