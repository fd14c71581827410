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
import { LedgerError } from '../../ledger/errors.js';
import type { Ledger } from '../../ledger/ledger.js';
import { createToken } from '../../ledger/tokens.js';
import { actorOf, requireRole } from '../auth.js';

export function adminRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();
    const now = () => new Date().toISOString();

    app.get(
      '/whoami',
      { schema: { tags: ['auth'], summary: 'The caller' } },
      async (req): Promise<WhoAmI> => ({
        name: req.principal.name,
        role: req.principal.role,
        tenant: req.principal.tenant,
        host: ledger.hostname,
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
        const scope = req.principal.tenant;
        if (scope !== null && req.query.tenant !== undefined && req.query.tenant !== scope)
          throw new LedgerError('forbidden', `this token is confined to tenant ${scope}`, 'tenant');
        const tenant = scope ?? req.query.tenant;
        // One more than asked says whether there is a next page.
        const items = await ledger.store.listAudit({
          limit: req.query.limit + 1,
          ...(tenant !== undefined ? { tenant } : {}),
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
      async (): Promise<ListOf<TokenRecord>> => ({ items: await ledger.store.listTokens() }),
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
        if (req.body.tenant !== undefined && !(await ledger.store.getTenant(req.body.tenant)))
          throw new LedgerError('refused', `tenant ${req.body.tenant} does not exist`, 'tenant');
        try {
          const r: CreatedToken = await createToken(
            ledger.store,
            req.body,
            req.principal.name,
            now(),
          );
          return reply.code(201).send(r);
        } catch (err) {
          if (err instanceof Error && err.name === 'ConflictError')
            throw new LedgerError('conflict', err.message, 'name');
          throw err;
        }
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
      async (): Promise<ReconcileReport> => ledger.reconcile(),
    );
  };
}
