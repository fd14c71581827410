/** Who am I, the audit log, tokens and reconcile. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  auditQuery,
  tokenIdParam,
  tokenInput,
  type AuditPage,
  type CreatedToken,
  type ListOf,
  type ReconcileReport,
  type TokenRecord,
  type WhoAmI,
} from '../../contract/index.js';
import type { Services } from '../services.js';
import { actorOf, requireRole } from '../auth.js';

export function adminRoutes({ ledger, allocation }: Services): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/whoami',
      { schema: { tags: ['auth'], summary: 'The caller' } },
      async (req): Promise<WhoAmI> => ({
        name: req.principal.name,
        role: req.principal.role,
        tenant: req.principal.tenant,
        host: allocation.hostname,
        simulated: allocation.host.description.kind === 'sim',
        // The fixture's name, never the path it was loaded from (a file on the daemon's machine).
        fixture:
          allocation.host.description.kind === 'sim' ? allocation.host.description.name : null,
      }),
    );

    app.get(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'The audit log, newest first (a tenant token sees its tenant only)',
          querystring: auditQuery,
        },
      },
      async (req): Promise<AuditPage> => {
        // One more than asked says whether there is a next page.
        const items = await ledger.scoped(actorOf(req.principal)).audit({
          limit: req.query.limit + 1,
          ...(req.query.tenant !== undefined ? { tenant: req.query.tenant } : {}),
          ...(req.query.action !== undefined ? { action: req.query.action } : {}),
          ...(req.query.target !== undefined ? { target: req.query.target } : {}),
          ...(req.query.before !== undefined ? { before: req.query.before } : {}),
        });
        const more = items.length > req.query.limit;
        if (more) items.pop();
        return { items, next: more ? items.at(-1)!.seq : null };
      },
    );

    app.get(
      '/tokens',
      {
        preHandler: requireRole('admin'),
        schema: { tags: ['auth'], summary: 'List tokens (never their secrets)' },
      },
      async (): Promise<ListOf<TokenRecord>> => ({ items: await ledger.listTokens() }),
    );

    app.post(
      '/tokens',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['auth'],
          summary: 'Create a token; the secret is in this answer only',
          body: tokenInput,
        },
      },
      async (req, reply) => {
        const r: CreatedToken = await ledger.createToken(
          { actor: actorOf(req.principal), requestId: req.id },
          req.body,
        );
        return reply.code(201).send(r);
      },
    );

    app.delete(
      '/tokens/:id',
      {
        preHandler: requireRole('admin'),
        schema: { tags: ['auth'], summary: 'Revoke a token', params: tokenIdParam },
      },
      async (req, reply) => {
        await ledger.revokeToken(
          { actor: actorOf(req.principal), requestId: req.id },
          req.params.id,
        );
        return reply.code(204).send();
      },
    );

    app.post(
      '/reconcile',
      {
        preHandler: requireRole('admin'),
        schema: { tags: ['attachments'], summary: 'Compare ledger and kernel now and converge' },
      },
      async (): Promise<ReconcileReport> => allocation.reconcile(),
    );
  };
}
