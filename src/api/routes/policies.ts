/**
 * Policies from the console (admin only): plan policy text against this host — with the
 * attachments each step would touch — and apply it as a background operation whose progress
 * streams on GET /events (`apply.start`, `apply.step`, `apply.done`).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  applyBody,
  policyBody,
  problemOf,
  type ApplyStarted,
  type PlanAnswer,
} from '../../contract/index.js';
import { PolicyTextError, type PolicyOps } from '../../daemon/policy-ops.js';
import { actorOf, requireRole } from '../auth.js';
import { sendProblem } from '../problem.js';

/** Policy problems as a 400 with one error per problem, located in the text. */
function invalidPolicy(req: FastifyRequest, reply: FastifyReply, e: PolicyTextError) {
  const errors = e.issues.map((i) => ({
    field: `${i.file}:${i.line}:${i.col}${i.field ? ` ${i.field}` : ''}`,
    message: i.message,
  }));
  return sendProblem(
    reply,
    problemOf('invalid-policy', e.issues.map((i) => i.text).join('; '), {
      instance: req.url,
      ...(errors[0] ? { field: errors[0].field } : {}),
      fix: 'correct the policy at the places shown (examples/policies/README.md documents each field)',
      errors,
    }),
  );
}

export function policyRoutes(ops: PolicyOps): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/policies/plan',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['policies'],
          summary:
            'The ordered steps that would bring this host to the policy, and whom they touch',
          body: policyBody,
        },
      },
      async (req, reply) => {
        try {
          const answer: PlanAnswer = await ops.plan(req.body);
          return answer;
        } catch (e) {
          if (e instanceof PolicyTextError) return invalidPolicy(req, reply, e);
          throw e;
        }
      },
    );

    app.post(
      '/policies/apply',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['policies'],
          summary: 'Apply a policy in the background; progress on GET /events (apply.*)',
          body: applyBody,
        },
      },
      async (req, reply) => {
        try {
          const started: ApplyStarted = await ops.apply(req.body, actorOf(req.principal), req.id);
          return reply.code(202).send(started);
        } catch (e) {
          if (e instanceof PolicyTextError) return invalidPolicy(req, reply, e);
          throw e;
        }
      },
    );
  };
}
