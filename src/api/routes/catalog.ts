/** Tenants and pools: admins define them; everyone else reads what their scope allows. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  nameParam,
  poolSpec,
  tenantSpec,
  type ListOf,
  type Pool,
  type PoolVf,
  type Tenant,
} from '../../contract/index.js';
import { LedgerError } from '../../ledger/errors.js';
import type { Ledger } from '../../ledger/ledger.js';
import { poolMembers } from '../../ledger/placement.js';
import { vfDriverIncapacity } from '../../ledger/vf-capability.js';
import { actorOf, requireRole } from '../auth.js';

export function catalogRoutes(ledger: Ledger): FastifyPluginAsync {
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
        const all = await ledger.store.listTenants();
        const t = req.principal.tenant;
        return { items: t === null ? all : all.filter((x) => x.name === t) };
      },
    );

    app.get(
      '/tenants/:name',
      { schema: { tags: ['tenants'], summary: 'One tenant', params: nameParam } },
      async (req): Promise<Tenant> => {
        const t = await ledger.store.getTenant(req.params.name);
        if (!t || (req.principal.tenant !== null && req.principal.tenant !== t.name))
          throw new LedgerError('not-found', `tenant ${req.params.name} does not exist`);
        return t;
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

    /** Pools a principal may see: all, or those its tenant may use. */
    const visiblePools = async (tenant: string | null) => {
      const all = await ledger.store.listPools();
      if (tenant === null) return all;
      const t = await ledger.store.getTenant(tenant);
      return all.filter((p) => t?.pools.includes(p.name));
    };

    app.get(
      '/pools',
      {
        schema: {
          tags: ['pools'],
          summary: 'List pools (a tenant token sees the ones it may use)',
        },
      },
      async (req): Promise<ListOf<Pool>> => ({ items: await visiblePools(req.principal.tenant) }),
    );

    app.get(
      '/pools/:name',
      { schema: { tags: ['pools'], summary: 'One pool', params: nameParam } },
      async (req): Promise<Pool> => {
        const p = (await visiblePools(req.principal.tenant)).find(
          (x) => x.name === req.params.name,
        );
        if (!p) throw new LedgerError('not-found', `pool ${req.params.name} does not exist`);
        return p;
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
        const p = (await visiblePools(req.principal.tenant)).find(
          (x) => x.name === req.params.name,
        );
        if (!p) throw new LedgerError('not-found', `pool ${req.params.name} does not exist`);
        const inv = await ledger.inventory.get();
        const held = new Map(
          (await ledger.store.listAttachments()).map((a) => [`${a.pf}#${a.vfIndex}`, a]),
        );
        const scope = req.principal.tenant;
        return {
          items: poolMembers(p, inv).map(({ pf, vf }) => {
            const a = held.get(`${pf.pciAddress}#${vf.vfIndex}`);
            const visible = a && (scope === null || a.tenant === scope);
            const why = a ? null : vfDriverIncapacity(inv.host, pf, vf, p.vfDriver);
            return {
              pf: pf.pciAddress,
              pfNetdev: pf.netdev,
              vfIndex: vf.vfIndex,
              pciAddress: vf.pciAddress,
              numaNode: vf.numaNode,
              driver: vf.driver,
              status: a ? 'taken' : why ? 'unusable' : 'free',
              ...(why ? { unusable: { reason: why.rule, fix: why.fix } } : {}),
              ...(visible
                ? { attachment: a.id, tenant: a.tenant, consumer: a.consumer, state: a.state }
                : {}),
            };
          }),
        };
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
