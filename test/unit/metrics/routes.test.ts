import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  healthRoutes,
  metricsListener,
  metricsRoutes,
  requestMetrics,
} from '../../../src/api/routes/metrics.js';
import { buildApi } from '../../../src/api/server.js';
import { createToken } from '../../../src/ledger/tokens.js';
import type { Role } from '../../../src/ledger/types.js';
import type { HealthReport } from '../../../src/metrics/health.js';
import { request, type ProblemBody } from '../../support/api-fixture.js';
import { openWorld, value, type World } from './support.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Served {
  w: World;
  app: FastifyInstance;
  url: string;
  token(role: Role, tenant?: string): Promise<string>;
}

async function serve(opts: { anonymousLoopback?: boolean } = {}): Promise<Served> {
  const w = await openWorld();
  cleanup.push(() => w.close());
  const app = await buildApi({
    ledger: w.ledger,
    allocation: w.allocation,
    transport: 'tcp',
    rateLimitPerMinute: 0,
  });
  cleanup.push(() => app.close());
  await app.register(requestMetrics(w.obs.exporter.daemon));
  await app.register(metricsRoutes({ exporter: w.obs.exporter, ledger: w.ledger, ...opts }));
  await app.register(healthRoutes({ health: w.obs.health! }), { prefix: '/api/v1' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let n = 0;
  return {
    w,
    app,
    url,
    async token(role, tenant) {
      const r = await createToken(
        w.store,
        { name: `t${++n}`, role, ...(tenant ? { tenant } : {}) },
        'test',
        new Date().toISOString(),
      );
      return r.secret;
    },
  };
}

describe('GET /metrics: who may scrape', () => {
  it('answers a loopback scraper without a token, in the Prometheus text format', async () => {
    const s = await serve();
    const r = await request(s.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.text).toContain('# TYPE sriov_vf_rx_bytes untyped');
    expect(value(r.text, 'sriovctl_pf_vfs', { pf: 'ens1f0' })).toBe(8);
  });

  it('checks a token that is sent: viewer and up pass, tenant tokens are refused, bad ones are 401', async () => {
    const s = await serve();
    for (const role of ['viewer', 'operator', 'admin'] as const)
      expect((await request(s.url, 'GET', '/metrics', { token: await s.token(role) })).status).toBe(
        200,
      );
    const tenant = await request(s.url, 'GET', '/metrics', {
      token: await s.token('viewer', 'team-a'),
    });
    expect(tenant.status).toBe(403);
    expect(tenant.headers['content-type']).toContain('application/problem+json');
    expect((tenant.body as ProblemBody).detail).toContain('confined to tenant team-a');
    const bad = await request(s.url, 'GET', '/metrics', { token: 'sriovctl_not-a-token' });
    expect(bad.status).toBe(401);
    expect((bad.body as ProblemBody).type).toMatch(/unauthorized$/);
  });

  it('requires the viewer token from anywhere but this machine', async () => {
    const s = await serve();
    const remote = await s.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '192.0.2.10',
    });
    expect(remote.statusCode).toBe(401);
    expect(remote.json<ProblemBody>().detail).toContain('192.0.2.10 need a bearer token');
    const withToken = await s.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '192.0.2.10',
      headers: { authorization: `Bearer ${await s.token('viewer')}` },
    });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toContain('sriov_vf_info{');
  });

  it('can require a token from loopback too', async () => {
    const s = await serve({ anonymousLoopback: false });
    expect((await request(s.url, 'GET', '/metrics')).status).toBe(401);
    expect(
      (await request(s.url, 'GET', '/metrics', { token: await s.token('viewer') })).status,
    ).toBe(200);
  });

  it('answers local root on the unix socket', async () => {
    const w = await openWorld();
    cleanup.push(() => w.close());
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-metrics-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const app = await buildApi({
      ledger: w.ledger,
      allocation: w.allocation,
      transport: 'unix',
      rateLimitPerMinute: 0,
    });
    cleanup.push(() => app.close());
    await app.register(metricsRoutes({ exporter: w.obs.exporter, ledger: w.ledger }));
    const socketPath = join(dir, 'api.sock');
    // Plain listen: listenUnix sets a umask, which vitest's worker threads may not.
    await app.listen({ path: socketPath });
    const r = await request({ socketPath }, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toContain('sriovctl_pf_link_up{');
  });

  it('serves the same on a dedicated metrics listener for socket-only daemons', async () => {
    const w = await openWorld();
    cleanup.push(() => w.close());
    const app = await metricsListener({ exporter: w.obs.exporter, ledger: w.ledger });
    cleanup.push(() => app.close());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const local = await request(url, 'GET', '/metrics');
    expect(local.status).toBe(200);
    expect(local.text).toContain('sriov_vf_tx_bytes{');
    const remote = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(401);
    const { secret } = await createToken(
      w.store,
      { name: 'prom', role: 'viewer', tenant: 'team-a' },
      'test',
      new Date().toISOString(),
    );
    const scoped = await app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.1.2.3',
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(scoped.statusCode).toBe(403);
  });
});

describe('API request metrics', () => {
  it('counts requests by method, route pattern and status, unknown paths as one route', async () => {
    const s = await serve();
    const admin = await s.token('admin');
    await request(s.url, 'GET', '/api/v1/whoami', { token: admin });
    await request(s.url, 'GET', '/api/v1/whoami', { token: admin });
    await request(s.url, 'GET', '/api/v1/whoami');
    await request(s.url, 'GET', '/api/v1/tenants/team-a', { token: admin });
    await request(s.url, 'GET', '/no/such/path/1', { token: admin });
    await request(s.url, 'GET', '/no/such/path/2', { token: admin });
    const text = (await request(s.url, 'GET', '/metrics')).text;
    const c = (route: string, status: string) =>
      value(text, 'sriovctl_api_requests_total', { method: 'GET', route, status });
    expect(c('/api/v1/whoami', '200')).toBe(2);
    expect(c('/api/v1/whoami', '401')).toBe(1);
    expect(c('/api/v1/tenants/:name', '200')).toBe(1);
    expect(c('unmatched', '404')).toBe(2);
    expect(
      value(text, 'sriovctl_api_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/whoami',
      }),
    ).toBe(3);
  });
});

describe('GET /api/v1/health', () => {
  it('answers viewers with every finding and tenants with their own VFs only', async () => {
    const s = await serve();
    const mine = await s.w.attach({ tenant: 'team-a' });
    await s.w.attach({ tenant: 'team-b' });
    const viewer = await s.token('viewer');
    const before = await request(s.url, 'GET', '/api/v1/health', { token: viewer });
    expect(before.status).toBe(200);
    expect((before.body as HealthReport).status).toBe('ok');

    s.w.host.setCarrier('ens1f0', false);
    s.w.advance(1000);
    // The last scheduled pass still says ok; fresh=true evaluates now.
    const stale = (await request(s.url, 'GET', '/api/v1/health', { token: viewer }))
      .body as HealthReport;
    expect(stale.status).toBe('ok');
    const all = (await request(s.url, 'GET', '/api/v1/health?fresh=true', { token: viewer }))
      .body as HealthReport;
    expect(all.status).toBe('fail');
    expect(all.findings.map((f) => f.subject).sort()).toEqual(
      ['ens1f0', `ens1f0#${mine.vfIndex}`, `ens1f0#${mine.vfIndex + 1}`].sort(),
    );
    const tenant = (
      await request(s.url, 'GET', '/api/v1/health', { token: await s.token('viewer', 'team-a') })
    ).body as HealthReport;
    expect(tenant.findings.map((f) => [f.subject, f.tenant])).toEqual([
      [`ens1f0#${mine.vfIndex}`, 'team-a'],
    ]);
    expect(tenant.rules.find((r) => r.rule === 'pf-link-down')!.status).toBe('ok');
    expect((await request(s.url, 'GET', '/api/v1/health')).status).toBe(401);
    expect(
      (await request(s.url, 'GET', '/api/v1/health?fresh=maybe', { token: viewer })).status,
    ).toBe(400);
  });
});
