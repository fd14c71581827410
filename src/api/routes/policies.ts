/**
 * Policies from the console (admin only): plan policy text against this host — with the
 * attachments each step would touch — and apply it as a background operation whose progress
 * streams on GET /events (`apply.start`, `apply.step`, `apply.done`). The routes receive the policy
 * service from the composition (the daemon); refusals are PolicyRefusedError, which
 * src/api/problem.ts answers as problems.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  applyBody,
  policyBody,
  problemOf,
  type ApplyBody,
  type ApplyStarted,
  type PlanAnswer,
  type PolicyBody,
} from '../../contract/index.js';
import type { Actor } from '../../ledger/ledger.js';
import { InvalidPolicyError } from '../../policy/apply-policy.js';
import { actorOf, requireRole } from '../auth.js';
import { sendProblem } from '../problem.js';

/** What the routes need: the policy use case as the composition runs it. */
export interface PolicyService {
  /** The plan for policy text and whom it touches. Throws InvalidPolicyError. */
  plan(req: PolicyBody): Promise<PlanAnswer>;
  /** Starts an apply in the background. Throws InvalidPolicyError or PolicyRefusedError. */
  apply(req: ApplyBody, actor: Actor, requestId?: string): Promise<ApplyStarted>;
}

/** Policy problems as a 400 with one error per problem, located in the text. */
function invalidPolicy(req: FastifyRequest, reply: FastifyReply, e: InvalidPolicyError) {
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

export function policyRoutes(ops: PolicyService): FastifyPluginAsync {
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
          if (e instanceof InvalidPolicyError) return invalidPolicy(req, reply, e);
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
          if (e instanceof InvalidPolicyError) return invalidPolicy(req, reply, e);
          throw e;
        }
      },
    );
  };
}
