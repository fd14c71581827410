/**
 * GET /events: the daemon's event bus as server-sent events. Each event is
 * `id: N / event: <kind> / data: <DaemonEvent JSON>`; a client that reconnects with Last-Event-ID
 * (or `?since=N`) gets what it missed from the bus's history first, and a `gap` event when some of
 * it is no longer kept (or the daemon restarted) so it knows to reload. Tenant tokens get their
 * tenant's events only. Every `trafficIntervalMs` a `traffic` event (no id: it is a sample, not
 * history) carries the GET /traffic payload as the caller may see it; a comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { eventsQuery, type ClosedData, type GapData } from '../../contract/index.js';
import type { DaemonEvent, EventBus } from '../../metrics/events.js';
import type { TrafficSampler } from '../../metrics/traffic.js';
import { actorOf, credentialsGone, type Principal } from '../auth.js';
import { sendProblem, unauthorized } from '../problem.js';
import type { Services } from '../services.js';
import { trafficFor } from './host.js';

export interface EventRouteDeps extends Services {
  bus: EventBus;
  sampler: TrafficSampler;
  /** Default 2000 ms. */
  trafficIntervalMs?: number;
  /** Default 15000 ms. */
  heartbeatMs?: number;
}

/** One SSE frame for a bus event. JSON.stringify never emits a raw newline, so one data line. */
export function eventFrame(e: DaemonEvent): string {
  return `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

function parseLastEventId(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || !/^\d{1,15}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

export function eventRoutes(deps: EventRouteDeps): FastifyPluginAsync {
  const trafficMs = deps.trafficIntervalMs ?? 2000;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>();
    /**
     * Open streams, each with what ends it early: the server closing (otherwise close would wait
     * for them forever), or the credentials it was opened with going away (its token revoked, its
     * tenant deleted), which ends it before the revoking request is answered, so nothing published
     * after the revocation reaches it.
     */
    const open = new Map<ServerResponse, { principal: Principal; end: (reason: string) => void }>();
    const stopWatching = deps.ledger.onEvent((e) => {
      for (const { principal, end } of [...open.values()]) {
        const reason = credentialsGone(principal, e);
        if (reason !== null) end(reason);
      }
    });
    app.addHook('preClose', async () => {
      stopWatching();
      for (const { end } of [...open.values()]) end('the daemon is stopping');
    });

    app.get(
      '/events',
      {
        schema: {
          tags: ['events'],
          summary:
            'Server-sent events: ledger changes, drift, apply progress, traffic (Last-Event-ID resumes)',
          querystring: eventsQuery,
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        // The token was checked when the request came in; a revocation since then has already
        // been announced, so look again: from here on the stream is registered and hears the next.
        const tokenId = principal.tokenId;
        if (tokenId !== undefined && !(await deps.ledger.tokenExists(tokenId)))
          return sendProblem(reply, unauthorized(req.url));
        const tenant = principal.tenant;
        const visible = (e: DaemonEvent) => tenant === null || e.tenant === tenant;
        const after = parseLastEventId(req.headers['last-event-id']) ?? req.query.since;

        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // nginx and friends buffer responses unless told not to.
          'x-accel-buffering': 'no',
        });

        // History and subscription are taken in the same synchronous turn: no event can fall
        // between them, none can come twice.
        const history = deps.bus.since(0);
        const unsubscribe = deps.bus.subscribe((e) => {
          if (visible(e)) res.write(eventFrame(e));
        });
        res.write(`retry: 3000\n: connected\n\n`);
        if (after !== undefined) {
          const newest = history.at(-1)?.id ?? 0;
          const oldest = history[0]?.id ?? newest + 1;
          if (after > newest) {
            // Ids from a previous daemon run: everything here is news to the client.
            const gap: GapData = { reason: 'restarted', after };
            res.write(`event: gap\ndata: ${JSON.stringify(gap)}\n\n`);
            for (const e of history) if (visible(e)) res.write(eventFrame(e));
          } else {
            if (after + 1 < oldest) {
              const gap: GapData = { reason: 'expired', after, oldest };
              res.write(`event: gap\ndata: ${JSON.stringify(gap)}\n\n`);
            }
            for (const e of history) if (e.id > after && visible(e)) res.write(eventFrame(e));
          }
        }

        let lastTrafficAt = -1;
        let sending = false;
        const traffic = setInterval(() => {
          const rates = deps.sampler.rates();
          // Unchanged rates are not sent twice; a client that cannot keep up skips samples.
          if (!rates || rates.at === lastTrafficAt || sending || res.writableNeedDrain) return;
          lastTrafficAt = rates.at;
          sending = true;
          void trafficFor(rates, deps.ledger.scoped(actorOf(principal)), deps.allocation.hostname)
            .then((view) => {
              if (!res.writableEnded)
                res.write(`event: traffic\ndata: ${JSON.stringify(view)}\n\n`);
            })
            .catch(() => undefined)
            .finally(() => (sending = false));
        }, trafficMs);
        const heartbeat = setInterval(() => res.write(`: heartbeat\n\n`), heartbeatMs);

        const cleanup = () => {
          clearInterval(traffic);
          clearInterval(heartbeat);
          unsubscribe();
          open.delete(res);
        };
        open.set(res, {
          principal,
          end: (reason) => {
            cleanup();
            // Said once, so a client knows not to come back with the same credentials.
            const closed: ClosedData = { reason };
            if (!res.writableEnded) res.end(`event: closed\ndata: ${JSON.stringify(closed)}\n\n`);
          },
        });
        res.on('close', cleanup);
        res.on('error', cleanup);
      },
    );
  };
}
