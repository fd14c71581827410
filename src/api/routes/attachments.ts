/** Attachments: attach (with placement), preview a placement, read, detach. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  attachmentQuery,
  attachRequest,
  detachQuery,
  idempotencyHeaders,
  idParam,
  type Attachment,
  type AttachResult,
  type ListOf,
  type PlacementPreview,
} from '../../contract/index.js';
import { LedgerError } from '../../ledger/errors.js';
import type { RequestContext } from '../../ledger/ledger.js';
import type { Services } from '../services.js';
import { actorOf, atLeast, requireRole } from '../auth.js';

function context(req: FastifyRequest, key?: string): RequestContext {
  return {
    actor: actorOf(req.principal),
    requestId: req.id,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
  };
}

export function attachmentRoutes({ ledger, allocation }: Services): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/attachments',
      {
        schema: {
          tags: ['attachments'],
          summary: 'List attachments (a tenant token sees its own)',
          querystring: attachmentQuery,
        },
      },
      async (req): Promise<ListOf<Attachment>> => {
        const items = await ledger.scoped(actorOf(req.principal)).attachments({
          ...(req.query.pool !== undefined ? { pool: req.query.pool } : {}),
          ...(req.query.state !== undefined ? { state: req.query.state } : {}),
          ...(req.query.consumer !== undefined ? { consumerName: req.query.consumer } : {}),
          ...(req.query.tenant !== undefined ? { tenant: req.query.tenant } : {}),
        });
        return { items };
      },
    );

    app.get(
      '/attachments/:id',
      { schema: { tags: ['attachments'], summary: 'One attachment', params: idParam } },
      async (req): Promise<Attachment> => {
        return ledger.scoped(actorOf(req.principal)).attachment(req.params.id);
      },
    );

    app.post(
      '/attachments',
      {
        preHandler: requireRole('operator'),
        schema: {
          tags: ['attachments'],
          summary: 'Attach VFs to a consumer: place, configure, record',
          description:
            'Chooses VFs from the pool (NUMA, spread or pack, QoS admission, quotas), configures them through the PF (MAC, VLAN, rates, spoofchk, trust, link state), binds the pool driver, and answers after the ledger is durable. Send an Idempotency-Key to retry safely.',
          headers: idempotencyHeaders,
          body: attachRequest,
        },
      },
      async (req, reply) => {
        const r: AttachResult = await allocation.attach(
          context(req, req.headers['idempotency-key']),
          req.body,
        );
        return reply.code(201).send(r);
      },
    );

    app.post(
      '/placements',
      {
        preHandler: requireRole('operator'),
        schema: {
          tags: ['attachments'],
          summary: 'What an attach would get, and why, without attaching',
          body: attachRequest,
        },
      },
      async (req): Promise<PlacementPreview> => allocation.preview(context(req), req.body),
    );

    app.delete(
      '/attachments/:id',
      {
        preHandler: requireRole('operator'),
        schema: {
          tags: ['attachments'],
          summary: 'Detach: scrub the VF and return it to its pool',
          description:
            "Answers the attachment as it was. Send an Idempotency-Key to make a retry answer the same instead of 404. A `failed` attachment (the kernel refused or did not answer a scrub) is scrubbed again; `?force=true` (admin) releases it even when the scrub fails, and the answer's `detail` says so.",
          headers: idempotencyHeaders,
          params: idParam,
          querystring: detachQuery,
        },
      },
      async (req): Promise<Attachment> => {
        const force = req.query.force === 'true';
        if (force && !atLeast(req.principal, 'admin'))
          throw new LedgerError(
            'forbidden',
            `${req.principal.name} is ${req.principal.role}; releasing a VF without a scrub (force) needs admin`,
            'force',
            'detach without force to retry the scrub, or ask an admin',
          );
        return allocation.detach(context(req, req.headers['idempotency-key']), req.params.id, {
          force,
        });
      },
    );
  };
}
