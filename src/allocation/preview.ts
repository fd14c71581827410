/** What an attach request would get, without attaching anything. */
import type { RequestContext } from '../ledger/actor.js';
import type { PlacementExplanation } from '../ledger/placement.js';
import { place, resolveVlan } from '../ledger/placement.js';
import { Unavailable } from '../ledger/refusals.js';
import type { AttachRequest, Attachment } from '../ledger/types.js';
import { hostRows, type AllocationDeps } from './deps.js';
import {
  auditRefusal,
  checkMac,
  confine,
  consumerOf,
  consumerRows,
  interfacesFor,
  networkOf,
  tenantAndPool,
} from './rules.js';

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

/** What an attach request would get: the same rules as attach, in its order, and placement. */
export async function preview(
  d: AllocationDeps,
  ctx: RequestContext,
  req: AttachRequest,
): Promise<PlacementPreview> {
  confine(ctx, req.tenant);
  const { tenant, pool } = await tenantAndPool(d.store, req, ctx.actor);
  const inv = await d.inventory.get();
  const all = await hostRows(d.store, d.hostname);
  const consumer = consumerOf(req, d.hostname);
  // The same rules attach applies first, in its order, so a dry run never promises what attach
  // refuses (and a probe learns no more from it).
  let held: Attachment[];
  try {
    held = consumerRows(ctx.actor, tenant.name, consumer, all);
    if (req.mac !== undefined) checkMac(ctx.actor, tenant.name, req.mac, all, inv);
  } catch (err) {
    if (!(err instanceof Unavailable)) throw err;
    auditRefusal(d, ctx, err);
    return {
      ok: false,
      reason: err.message,
      code: err.details!.code as string,
      choices: [],
      placement: null,
    };
  }
  const vlan = resolveVlan(req, tenant, networkOf(pool, inv));
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
    interfaces: interfacesFor(req, held),
    attachments: all,
    config: d.placementConfig,
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
