/**
 * The host as the console sees it: the inventory, doctor's checks, capacity per PF and NUMA node,
 * and live traffic. The first three are host-wide (viewer and up, never tenant tokens: a tenant
 * must not learn about other tenants' VFs); traffic is scoped — a tenant token sees the VFs of its
 * own attachments and no PF totals.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type {
  Capacity,
  DoctorReport,
  Inventory as InventoryAnswer,
  TrafficView,
} from '../../contract/index.js';
import { computeCapacity } from '../../metrics/capacity.js';
import { runDoctor } from '../../doctor/index.js';
import { gatherBootModuleFacts } from '../../boot/boot-modules.js';
import type { Inventory } from '../../inventory/types.js';
import { LedgerError } from '../../ledger/errors.js';
import type { ScopedReader } from '../../ledger/scoped.js';
import type { TrafficRates, TrafficSampler, VfRate } from '../../metrics/traffic.js';
import { actorOf, requireRole } from '../auth.js';
import type { Services } from '../services.js';

export interface HostRouteDeps extends Services {
  sampler: TrafficSampler;
  /** A fresh-enough inventory for display; default: rediscover on every request. */
  inventory?: () => Promise<Inventory>;
}

const round = (v: VfRate): VfRate => ({
  pf: v.pf,
  vf: v.vf,
  rxBytesPerS: Math.round(v.rxBytesPerS),
  txBytesPerS: Math.round(v.txBytesPerS),
  rxPacketsPerS: Math.round(v.rxPacketsPerS),
  txPacketsPerS: Math.round(v.txPacketsPerS),
  rxDroppedPerS: Math.round(v.rxDroppedPerS),
  txDroppedPerS: Math.round(v.txDroppedPerS),
});

/**
 * Rates as a principal may see them: everything for host-wide principals; for a tenant, the VFs
 * its attachments hold and nothing else.
 */
export async function trafficFor(
  rates: TrafficRates | null,
  reader: ScopedReader,
  hostname: string,
): Promise<TrafficView> {
  const tenant = reader.tenant;
  if (!rates)
    return { at: Date.now(), intervalMs: 0, ...(tenant === null ? { pfs: [] } : {}), vfs: [] };
  if (tenant === null)
    return {
      at: rates.at,
      intervalMs: rates.intervalMs,
      pfs: rates.pfs.map((p) => ({
        ...p,
        rxBytesPerS: Math.round(p.rxBytesPerS),
        txBytesPerS: Math.round(p.txBytesPerS),
      })),
      vfs: rates.vfs.map(round),
    };
  // Traffic is per PF netdev: a VF without a network has none.
  const mine = new Set(
    (await reader.attachments({ host: hostname }))
      .filter((a) => a.pfNetdev !== null)
      .map((a) => `${a.pfNetdev}#${a.vfIndex}`),
  );
  return {
    at: rates.at,
    intervalMs: rates.intervalMs,
    vfs: rates.vfs.filter((v) => mine.has(`${v.pf}#${v.vf}`)).map(round),
  };
}

/** Refuses tenant-scoped principals: host-wide views would show other tenants' VFs. */
export async function hostWide(req: FastifyRequest): Promise<void> {
  const t = req.principal.tenant;
  if (t !== null)
    throw new LedgerError(
      'forbidden',
      `${req.principal.name} is confined to tenant ${t}; host-wide views need a token without a tenant`,
      undefined,
      'use GET /api/v1/attachments and /api/v1/traffic, which show your tenant',
    );
}

export function hostRoutes(deps: HostRouteDeps): FastifyPluginAsync {
  const { ledger, allocation, sampler } = deps;
  const inventory = deps.inventory ?? (() => allocation.inventory.refresh());
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();
    const viewer = [requireRole('viewer'), hostWide];

    app.get(
      '/inventory',
      {
        preHandler: viewer,
        schema: { tags: ['host'], summary: "The host's SR-IOV inventory (PFs, VFs, host facts)" },
      },
      async (): Promise<InventoryAnswer> => inventory(),
    );

    app.get(
      '/doctor',
      {
        preHandler: viewer,
        schema: { tags: ['host'], summary: 'Preflight checks with evidence and the fix' },
      },
      async (): Promise<DoctorReport> => {
        const inv = await inventory();
        // boot.modules reads the installed policies and modules-load.d, as `sriovctl doctor` does.
        const bootModules = await gatherBootModuleFacts(allocation.host, {
          release: inv.host.kernelRelease,
          cmdline: inv.host.kernelCmdline,
        });
        const r = runDoctor(inv, { bootModules });
        return { results: r.results, worst: r.worst };
      },
    );

    app.get(
      '/capacity',
      {
        preHandler: viewer,
        schema: {
          tags: ['host'],
          summary:
            'VFs and guaranteed bandwidth per PF and NUMA node: total, pooled, allocated, free',
        },
      },
      async (req): Promise<Capacity> => {
        const { pfs, numa } = computeCapacity({
          inv: await inventory(),
          pools: await ledger.scoped(actorOf(req.principal)).pools(),
          tenants: [],
          attachments: await ledger
            .scoped(actorOf(req.principal))
            .attachments({ host: allocation.hostname }),
          config: allocation.placementConfig,
        });
        return { pfs, numa };
      },
    );

    app.get(
      '/traffic',
      {
        schema: {
          tags: ['host'],
          summary: 'Per-VF and per-PF rates (a tenant token sees its own VFs only)',
        },
      },
      async (req): Promise<TrafficView> => {
        let rates = sampler.rates();
        if (!rates) {
          // Not sampling in the background (no daemon): a first dump now, rates from the next.
          await sampler.sample();
          rates = sampler.rates();
        }
        return trafficFor(rates, ledger.scoped(actorOf(req.principal)), allocation.hostname);
      },
    );
  };
}
