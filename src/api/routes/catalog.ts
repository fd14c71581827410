/** Tenants and pools: admins define them; everyone else reads what their scope allows. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  formDraft,
  nameParam,
  poolInput,
  poolSelector,
  poolSpec,
  resourceName,
  tenantInput,
  tenantSpec,
  type FormCheck,
  type ListOf,
  type Pool,
  type PoolPreview,
  type PoolVf,
  type Tenant,
} from '../../contract/index.js';
import type { Services } from '../services.js';
import { poolMembers } from '../../ledger/placement.js';
import { formatRange } from '../../policy/ranges.js';
import { vfDriverIncapacity } from '../../ledger/vf-capability.js';
import { actorOf, requireRole } from '../auth.js';
import { fieldIssues } from '../form-check.js';

/** A pool form as typed: its name may be missing (the preview does not need it). */
const poolDraft = poolInput.extend({ name: resourceName.optional() });

export function catalogRoutes({ ledger, allocation }: Services): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();
    const ctx = (req: { principal: Parameters<typeof actorOf>[0]; id: string }) => ({
      actor: actorOf(req.principal),
      requestId: req.id,
    });

    app.get(
      '/tenants',
      { schema: { tags: ['tenants'], summary: 'List tenants (a tenant token sees its own)' } },
      async (req): Promise<ListOf<Tenant>> => {
        return { items: await ledger.scoped(actorOf(req.principal)).tenants() };
      },
    );

    app.get(
      '/tenants/:name',
      { schema: { tags: ['tenants'], summary: 'One tenant', params: nameParam } },
      async (req): Promise<Tenant> => {
        return ledger.scoped(actorOf(req.principal)).tenantNamed(req.params.name);
      },
    );

    app.post(
      '/tenants/check',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['tenants'],
          summary:
            "A tenant form as typed: its problems by PUT /tenants/{name}'s rules, and pools that do not exist (nothing is written)",
          body: formDraft,
        },
      },
      async (req): Promise<FormCheck> => {
        const errors = fieldIssues(tenantInput, req.body);
        const named = req.body.pools;
        if (Array.isArray(named)) {
          const known = new Set(
            (await ledger.scoped(actorOf(req.principal)).pools()).map((p) => p.name),
          );
          named.forEach((n, i) => {
            if (
              typeof n === 'string' &&
              !known.has(n) &&
              !errors.some((e) => e.field === `pools.${i}`)
            )
              errors.push({
                field: `pools.${i}`,
                message: `there is no pool ${n}; create it first`,
              });
          });
        }
        return { errors };
      },
    );

    app.put(
      '/tenants/:name',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['tenants'],
          summary: 'Create or replace a tenant',
          params: nameParam,
          body: tenantSpec,
        },
      },
      async (req): Promise<Tenant> => ledger.putTenant(ctx(req), req.params.name, req.body),
    );

    app.delete(
      '/tenants/:name',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['tenants'],
          summary: 'Delete a tenant that holds nothing',
          params: nameParam,
        },
      },
      async (req, reply) => {
        await ledger.deleteTenant(ctx(req), req.params.name);
        return reply.code(204).send();
      },
    );

    app.get(
      '/pools',
      {
        schema: {
          tags: ['pools'],
          summary: 'List pools (a tenant token sees the ones it may use)',
        },
      },
      async (req): Promise<ListOf<Pool>> => ({
        items: await ledger.scoped(actorOf(req.principal)).pools(),
      }),
    );

    app.get(
      '/pools/:name',
      { schema: { tags: ['pools'], summary: 'One pool', params: nameParam } },
      async (req): Promise<Pool> => {
        return ledger.scoped(actorOf(req.principal)).poolNamed(req.params.name);
      },
    );

    app.get(
      '/pools/:name/vfs',
      {
        schema: {
          tags: ['pools'],
          summary:
            "The pool's VFs and who holds them (other tenants' VFs show only as taken); VFs the pool's driver cannot work with on this host are unusable, with the reason and the fix",
          params: nameParam,
        },
      },
      async (req): Promise<ListOf<PoolVf>> => {
        const reader = ledger.scoped(actorOf(req.principal));
        const p = await reader.poolNamed(req.params.name);
        const inv = await allocation.inventory.get();
        const held = await reader.vfHolders(allocation.hostname);
        return {
          items: poolMembers(p, inv).map(({ pf, vf }) => {
            const h = held.get(`${pf.pciAddress}#${vf.vfIndex}`);
            const a = h?.visible ? h.attachment : undefined;
            const why = h ? null : vfDriverIncapacity(inv.host, pf, vf, p.vfDriver);
            return {
              pf: pf.pciAddress,
              pfNetdev: pf.netdev,
              vfIndex: vf.vfIndex,
              pciAddress: vf.pciAddress,
              numaNode: vf.numaNode,
              driver: vf.driver,
              status: h ? 'taken' : why ? 'unusable' : 'free',
              ...(why ? { unusable: { reason: why.rule, fix: why.fix } } : {}),
              ...(a
                ? { attachment: a.id, tenant: a.tenant, consumer: a.consumer, state: a.state }
                : {}),
            };
          }),
        };
      },
    );

    app.post(
      '/pools/preview',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['pools'],
          summary:
            "A pool form as typed: its problems by PUT /pools/{name}'s rules, and the VFs its selector would select on this host now, per PF (nothing is written)",
          body: formDraft,
        },
      },
      async (req): Promise<PoolPreview> => {
        const errors = fieldIssues(poolDraft, req.body);
        const selector = poolSelector.safeParse(req.body.selector);
        if (!selector.success) return { errors, matches: null };
        const inv = await allocation.inventory.get();
        // A pool that is never stored: its name only keys poolMembers' cache, apart from real pools.
        const draft: Pool = {
          name: '\0preview',
          selector: selector.data,
          vfDriver: 'vfio-pci',
          createdAt: '',
          updatedAt: '',
        };
        const byPf = new Map<string, { pfNetdev: string | null; indexes: number[] }>();
        for (const { pf, vf } of poolMembers(draft, inv)) {
          let e = byPf.get(pf.pciAddress);
          if (!e) byPf.set(pf.pciAddress, (e = { pfNetdev: pf.netdev, indexes: [] }));
          e.indexes.push(vf.vfIndex);
        }
        const pfs = [...byPf].map(([pf, e]) => ({
          pf,
          pfNetdev: e.pfNetdev,
          count: e.indexes.length,
          vfIndexes: formatRange(e.indexes),
        }));
        return { errors, matches: { total: pfs.reduce((n, p) => n + p.count, 0), pfs } };
      },
    );

    app.put(
      '/pools/:name',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['pools'],
          summary: 'Create or replace a pool',
          params: nameParam,
          body: poolSpec,
        },
      },
      async (req): Promise<Pool> => ledger.putPool(ctx(req), req.params.name, req.body),
    );

    app.delete(
      '/pools/:name',
      {
        preHandler: requireRole('admin'),
        schema: { tags: ['pools'], summary: 'Delete an unused pool', params: nameParam },
      },
      async (req, reply) => {
        await ledger.deletePool(ctx(req), req.params.name);
        return reply.code(204).send();
      },
    );
  };
}
