/**
 * The REST API (Fastify): routes validated with the contract's zod schemas (src/contract), OpenAPI
 * at /api/docs, problem+json errors, per-client rate limiting, bearer-token auth (or local root on
 * the unix socket). Routes are thin: parse, authorize, call the ledger, answer.
 */
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Inventory } from '../inventory/types.js';
import type { AllocationService } from '../allocation/service.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventBus } from '../metrics/events.js';
import type { TrafficSampler } from '../metrics/traffic.js';
import { LOCAL_ROOT, principalOf, type Principal } from './auth.js';
import { problemOf } from '../contract/index.js';
import { sendProblem, toProblem, unauthorized } from './problem.js';
import { adminRoutes } from './routes/admin.js';
import { attachmentRoutes } from './routes/attachments.js';
import { catalogRoutes } from './routes/catalog.js';
import { eventRoutes } from './routes/events.js';
import { hostRoutes } from './routes/host.js';
import { policyRoutes, type PolicyService } from './routes/policies.js';
import { consoleStatic } from './static.js';

export interface ApiOptions {
  ledger: Ledger;
  allocation: AllocationService;
  /** On the unix socket every caller is local root; on TCP a bearer token is required. */
  transport: 'tcp' | 'unix';
  /** Requests per minute per client (token or address); 0 turns the limit off. Default 1200. */
  rateLimitPerMinute?: number;
  /** A pino logger options object or false; default false (the daemon passes its own). */
  logger?: boolean | object;
  /**
   * Where every answer of 500 or more is logged, with its request id and the error (stack
   * included); the daemon passes its own log. Absent: not logged (tests that build a bare API).
   */
  log?: ApiLog;
  /** What the web console uses besides the ledger: host views, policies, events, its files. */
  console?: ConsoleApi;
}

/** The part of the daemon's (pino) logger the API writes server-side failures to. */
export interface ApiLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ConsoleApi {
  bus: EventBus;
  sampler: TrafficSampler;
  policies: PolicyService;
  /** The inventory GET /inventory, /doctor and /capacity show; default: rediscover per request. */
  inventory?: () => Promise<Inventory>;
  /** The built console to serve on TCP; null serves none; default dist/console. */
  staticDir?: string | null;
  /** The events stream's traffic interval (default 2000 ms) and heartbeat (default 15000 ms). */
  trafficIntervalMs?: number;
  heartbeatMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The route serves the console's files: no credentials (never set on /api routes). */
    public?: boolean;
  }
}

export type Api = FastifyInstance;

/** Routes that need no credentials: the docs. */
const PUBLIC = /^\/api\/docs(\/|\?|$)/;
const API = /^\/api(\/|\?|$)/;

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  // The error behind each failed request, for the log line written when its answer is out.
  const failed = new WeakMap<FastifyRequest, unknown>();
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 256 * 1024,
    // A request id for logs and the audit log.
    genReqId: () => crypto.randomUUID(),
    // Errors the router raises before any route runs (a malformed %-escape, a path parameter
    // over maxParamLength) are problems too, not Fastify's own JSON.
    frameworkErrors: (err, req, reply) => {
      failed.set(req, err);
      return sendProblem(reply, toProblem(err, req));
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, req, reply) => {
    failed.set(req, err);
    return sendProblem(reply, toProblem(err, req));
  });
  // Every answer says which request it was, so an operator can find its log line.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Logged once the answer is out, whichever path sent it (error handler, a route, a plugin).
  const log = opts.log;
  if (log) app.addHook('onResponse', async (req, reply) => logFailure(log, req, reply, failed));
  app.setNotFoundHandler((req, reply) =>
    sendProblem(
      reply,
      problemOf('not-found', `no route ${req.method} ${req.url.split('?')[0]}`, {
        instance: req.url,
      }),
    ),
  );

  // Answers over 4 KiB go out gzip-compressed when the client accepts it: the inventory of a
  // 2048-VF host is ~450 KiB of JSON, ~10× smaller compressed for a console across a WAN. Only
  // gzip/deflate on the fly (brotli at Node's default quality costs more CPU than it saves); the
  // console's files are precompressed at build time (brotli too) and bypass this. The Prometheus
  // exposition opts out: compressing it would cost several times the scrape itself.
  await app.register(compress, { global: true, threshold: 4096, encodings: ['gzip', 'deflate'] });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sriovctl API',
        version: '1',
        description:
          'Tenants, pools and attachments of SR-IOV VFs on this host. Errors are application/problem+json.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  const limit = opts.rateLimitPerMinute ?? 1200;
  // Failed logins are limited per address before any principal exists (guessing tokens is what a
  // limit is for); the per-principal limit below covers everything else.
  const failures = new FailureCounter(limit);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req, reply) => {
    if (PUBLIC.test(req.url)) return;
    // The console's files (and its client-side routes) load without a token; /api never does.
    if (req.routeOptions.config.public === true && !API.test(req.url)) return;
    if (opts.transport === 'unix') {
      req.principal = LOCAL_ROOT;
      return;
    }
    const p = await principalOf(req, opts.ledger);
    if (!p && failures.fail(req.ip))
      return sendProblem(
        reply,
        problemOf(
          'rate-limited',
          `more than ${limit} requests without a valid token in a minute from ${req.ip}`,
          { fix: 'check the token; retry in a minute', instance: req.url },
        ),
      );
    if (!p) return sendProblem(reply, unauthorized(req.url));
    req.principal = p;
  });

  if (limit > 0)
    await app.register(rateLimit, {
      max: limit,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (req: FastifyRequest) => req.principal?.name ?? req.ip,
      errorResponseBuilder: (req, ctx) => ({
        statusCode: 429,
        message: `more than ${ctx.max} requests in a minute from ${req.principal?.name ?? req.ip}; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      }),
    });

  const services = { ledger: opts.ledger, allocation: opts.allocation };
  await app.register(catalogRoutes(services), { prefix: '/api/v1' });
  await app.register(attachmentRoutes(services), { prefix: '/api/v1' });
  await app.register(adminRoutes(services), { prefix: '/api/v1' });
  const c = opts.console;
  if (c) {
    await app.register(
      hostRoutes({
        ...services,
        sampler: c.sampler,
        ...(c.inventory ? { inventory: c.inventory } : {}),
      }),
      { prefix: '/api/v1' },
    );
    await app.register(policyRoutes(c.policies), { prefix: '/api/v1' });
    await app.register(
      eventRoutes({
        bus: c.bus,
        ...services,
        sampler: c.sampler,
        ...(c.trafficIntervalMs !== undefined ? { trafficIntervalMs: c.trafficIntervalMs } : {}),
        ...(c.heartbeatMs !== undefined ? { heartbeatMs: c.heartbeatMs } : {}),
      }),
      { prefix: '/api/v1' },
    );
    // Browsers reach the daemon over TCP; the unix socket is for the CLI.
    if (opts.transport === 'tcp' && c.staticDir !== null)
      await app.register(consoleStatic(c.staticDir !== undefined ? { dir: c.staticDir } : {}));
  }
  return app;
}

/**
 * Logs an answer of 500 or more with its request id, route and the error (with its stack; the
 * answer only carries the request id). A 503 is the host gate or a missing console build doing
 * their job, so it is a warning; anything else is an error.
 */
function logFailure(
  log: ApiLog,
  req: FastifyRequest,
  reply: FastifyReply,
  failures: WeakMap<FastifyRequest, unknown>,
): void {
  const status = reply.statusCode;
  if (status < 500) return;
  const cause = failures.get(req);
  const fields = {
    event: 'request-failed',
    reqId: req.id,
    method: req.method,
    // The path only: a query string is the caller's and may carry anything.
    url: req.url.split('?')[0],
    status,
    ...(cause === undefined
      ? {}
      : { err: cause instanceof Error ? cause : new Error(String(cause)) }),
  };
  const what = cause instanceof Error ? cause.message : `answered ${status}`;
  const msg = `${req.method} ${fields.url} failed (${status}, request ${req.id}): ${what}`;
  if (status === 503) log.warn(fields, msg);
  else log.error(fields, msg);
}

/** Counts failed authentications per address in one-minute windows. */
class FailureCounter {
  private readonly counts = new Map<string, { n: number; until: number }>();
  constructor(private readonly max: number) {}

  /** Records a failure; true when the address is over the limit. */
  fail(addr: string): boolean {
    if (this.max <= 0) return false;
    const now = Date.now();
    if (this.counts.size > 10_000)
      for (const [k, v] of this.counts) if (v.until <= now) this.counts.delete(k);
    let c = this.counts.get(addr);
    if (!c || c.until <= now) this.counts.set(addr, (c = { n: 0, until: now + 60_000 }));
    c.n++;
    return c.n > this.max;
  }
}
