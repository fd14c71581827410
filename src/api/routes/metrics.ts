/**
 * Observability over HTTP: GET /metrics (Prometheus text format), GET /api/v1/health, request
 * metrics for every API route, and a dedicated metrics listener for token-less scrapers.
 *
 * Who may read /metrics. The exposition names every tenant, consumer and VF on the host, so it is
 * host-wide information. The route authenticates on its own (it is marked `public` so the API's
 * token hook lets it through, and the same code serves the dedicated listener):
 * - a caller on loopback or the unix socket needs no token: a node-local Prometheus or agent
 *   usually has none, and anyone on the host could read the same counters with `ip -s link`;
 * - anyone else needs a bearer token of role viewer or above that is not tenant-scoped (a tenant
 *   token gets 403): Prometheus sends one with `authorization: {credentials_file: ...}`;
 * - a token that is sent is always checked, also from loopback (a wrong one is 401, not ignored).
 * `anonymousLoopback: false` requires a token from everyone. The dedicated listener
 * (`metricsListener`, e.g. on 127.0.0.1:9808, the port of the Kubernetes SR-IOV metrics exporter)
 * is for hosts whose API is on the unix socket only. Binding either to a non-loopback address
 * does not open it up: remote callers always need the token.
 * GET /api/v1/health is viewer and up; tenant tokens see the findings about their own VFs only.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthQuery, problemOf, type HealthReport, type Problem } from '../../contract/index.js';
import type { Ledger } from '../../ledger/ledger.js';
import { healthFor, type HealthEvaluator } from '../../metrics/health.js';
import { atLeast, principalOf, requireRole, type Principal } from '../auth.js';
import { sendProblem } from '../problem.js';

/** What the routes need of the exporter (src/metrics/exposition.ts). */
export interface MetricsSource {
  scrape(): Promise<{ body: Buffer; release(): void }>;
  readonly contentType: string;
}

/** The principal of a token-less scrape from loopback or the unix socket. */
export const LOOPBACK_SCRAPER: Principal = {
  name: 'loopback-scraper',
  role: 'viewer',
  tenant: null,
};

/** Whether a peer address is this machine's loopback (127.0.0.0/8, ::1). */
export function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** A caller on this machine: over loopback, or over a unix socket (gated by its file mode). */
function localCaller(req: FastifyRequest): boolean {
  return typeof req.server.server.address() === 'string' || isLoopback(req.socket.remoteAddress);
}

export interface MetricsRouteDeps {
  exporter: MetricsSource;
  /** Where bearer tokens are checked. */
  ledger: Pick<Ledger, 'authenticate'>;
  /** Loopback and unix-socket callers need no token (default true). */
  anonymousLoopback?: boolean;
}

/** Who is scraping, or the problem to answer; see the module comment. */
async function scraper(req: FastifyRequest, deps: MetricsRouteDeps): Promise<Principal | Problem> {
  const problem = (status: 401 | 403, detail: string, fix: string): Problem =>
    problemOf(status === 401 ? 'unauthorized' : 'forbidden', detail, { fix, instance: req.url });
  if (req.headers.authorization === undefined) {
    if (deps.anonymousLoopback !== false && localCaller(req)) return LOOPBACK_SCRAPER;
    return problem(
      401,
      `scrapes from ${req.ip} need a bearer token (role viewer, not tenant-scoped)${deps.anonymousLoopback !== false ? '; only loopback may scrape without one' : ''}`,
      'create one with `sriovctl token create prometheus --role viewer` and give it to the scraper (Prometheus: authorization.credentials_file)',
    );
  }
  const p = await principalOf(req, deps.ledger);
  if (!p)
    return problem(
      401,
      'the bearer token is not valid (Authorization: Bearer sriovctl_...)',
      'create one with `sriovctl token create prometheus --role viewer`',
    );
  if (p.tenant !== null)
    return problem(
      403,
      `${p.name} is confined to tenant ${p.tenant}; /metrics covers every tenant on the host`,
      'scrape with a viewer token that is not tenant-scoped',
    );
  if (!atLeast(p, 'viewer'))
    return problem(403, `${p.name} is ${p.role}; /metrics needs viewer`, 'use a viewer token');
  return p;
}

async function serveMetrics(deps: MetricsRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const who = await scraper(req, deps);
  if ('status' in who) return sendProblem(reply, who);
  req.principal = who;
  const exposition = await deps.exporter.scrape();
  // The bytes are a pooled buffer: handed back once the response is out (or the client left).
  reply.raw.once('close', () => exposition.release());
  return reply
    .type(deps.exporter.contentType)
    .header('cache-control', 'no-store')
    .send(exposition.body);
}

const metricsSchema = {
  tags: ['metrics'],
  summary:
    'Prometheus exposition (text format 0.0.4): per-VF counters, PF state, capacity, health, daemon metrics',
  produces: ['text/plain'],
};

/** GET /metrics on the API app (register without a prefix); see the module comment for who may. */
export function metricsRoutes(deps: MetricsRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/metrics',
      // `public`: the API's token hook lets it through; serveMetrics authenticates itself.
      { schema: metricsSchema, config: { public: true }, compress: false },
      (req, reply) => serveMetrics(deps, req, reply),
    );
  };
}

/** What the request hook records into (DaemonMetrics of the exporter). */
export interface RequestRecorder {
  recordRequest(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Counts every API request by method, route pattern and status, with its duration. Registered on
 * the root instance (not encapsulated), so it sees the routes of every plugin, registered before
 * or after it. Unknown paths count as route "unmatched", so scanners cannot blow up cardinality.
 */
export function requestMetrics(recorder: RequestRecorder): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onResponse', async (req, reply) => {
      recorder.recordRequest(
        req.method,
        req.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  };
  // What fastify-plugin does: the hook belongs to the parent, not to a child context of its own.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}

export interface HealthRouteDeps {
  health: Pick<HealthEvaluator, 'current' | 'evaluate'>;
}

/** GET /health (register with prefix /api/v1). */
export function healthRoutes(deps: HealthRouteDeps): FastifyPluginAsync {
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/health',
      {
        preHandler: requireRole('viewer'),
        schema: {
          tags: ['health'],
          summary:
            'Host health: each rule with its status and since when, and the subjects that are not ok (a tenant token sees its own VFs only)',
          querystring: healthQuery,
        },
      },
      async (req): Promise<HealthReport> => {
        const report =
          req.query.fresh === 'true' || deps.health.current().at === null
            ? await deps.health.evaluate()
            : deps.health.current();
        return healthFor(report, req.principal.tenant);
      },
    );
  };
}

export interface MetricsListenerDeps extends MetricsRouteDeps {
  logger?: boolean | object;
}

/**
 * A small server with GET /metrics only, for hosts whose API is on the unix socket only (see the
 * module comment). Returns the app, not listening: `await app.listen({ host: '127.0.0.1', port:
 * 9808 })`.
 */
export async function metricsListener(deps: MetricsListenerDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false });
  app.decorateRequest('principal', null as unknown as Principal);
  app.get('/metrics', (req, reply) => serveMetrics(deps, req, reply));
  return app;
}
