// The daemon's answers, route by route, read with the contract's schemas: strict objects, so a
// member the contract does not declare, a missing one or one of another type fails here. The
// compile-time checks (wire-types.test.ts) pin the server's types; these pin the JSON itself
// (optional members left out rather than sent as null, numbers that are numbers, ...).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  applyStarted,
  attachment,
  attachResult,
  auditPage,
  capacity,
  createdToken,
  daemonEvent,
  doctorReport,
  healthReport,
  inventory,
  listOf,
  placementPreview,
  planAnswer,
  pool,
  poolVf,
  problemDetails,
  reconcileReport,
  tenant,
  tokenRecord,
  trafficView,
  whoAmI,
} from '../../../src/contract/index.js';
import { GROW } from '../../support/policy-texts.js';
import { openConsoleFixture, type ConsoleFixture } from '../api-console/console-fixture.js';

let f: ConsoleFixture;
let held: string;

beforeAll(async () => {
  f = await openConsoleFixture();
  await f.arrangeTenants();
  held = (await f.attach('team-a', 'pa', 'vm-held', { vlan: 100, minTxRate: 100 })).id;
});
afterAll(() => f.close());

/** The answer to `method path` as `who`, with its status, read with `schema`. */
async function answer<S extends z.ZodType>(
  schema: S,
  status: number,
  method: string,
  path: string,
  json?: unknown,
): Promise<z.infer<S>> {
  const r = await f.as('admin', method, path, json);
  expect(r.status, r.text).toBe(status);
  const parsed = schema.safeParse(r.body);
  expect(parsed.error?.issues ?? [], `${method} ${path}`).toEqual([]);
  return parsed.data!;
}

describe('answers are what the contract declares', () => {
  it('the catalog: tenants, pools and a pool’s VFs', async () => {
    expect((await answer(listOf(tenant), 200, 'GET', '/tenants')).items).toHaveLength(2);
    await answer(tenant, 200, 'GET', '/tenants/team-a');
    await answer(tenant, 200, 'PUT', '/tenants/team-c', { vlans: '300', maxVfs: 2 });
    await answer(listOf(pool), 200, 'GET', '/pools');
    await answer(pool, 200, 'GET', '/pools/pa');
    await answer(pool, 200, 'PUT', '/pools/pc', { selector: { pfNames: ['ens1f1'] } });
    const vfs = await answer(listOf(poolVf), 200, 'GET', '/pools/pa/vfs');
    // Held and free VFs both: the optional members are exercised.
    expect(vfs.items.map((v) => v.status)).toContain('taken');
    expect(vfs.items.map((v) => v.status)).toContain('free');
  });

  it('attachments: attach, preview, list, one, detach', async () => {
    const body = { tenant: 'team-a', pool: 'pa', consumer: { kind: 'vm', name: 'vm-2' } };
    await answer(placementPreview, 200, 'POST', '/placements', body);
    const r = await answer(attachResult, 201, 'POST', '/attachments', body);
    await answer(listOf(attachment), 200, 'GET', '/attachments');
    await answer(attachment, 200, 'GET', `/attachments/${held}`);
    await answer(attachment, 200, 'DELETE', `/attachments/${r.attachments[0]!.id}`);
    // A refused preview says why, with the placement's numbers.
    const refused = await answer(placementPreview, 200, 'POST', '/placements', {
      ...body,
      count: 32,
    });
    expect(refused.ok).toBe(false);
  });

  it('access: whoami, tokens, audit, reconcile', async () => {
    await answer(whoAmI, 200, 'GET', '/whoami');
    await answer(createdToken, 201, 'POST', '/tokens', { name: 'ci', role: 'viewer' });
    await answer(listOf(tokenRecord), 200, 'GET', '/tokens');
    const page = await answer(auditPage, 200, 'GET', '/audit?limit=2');
    expect(page.next).not.toBeNull();
    await answer(reconcileReport, 200, 'POST', '/reconcile');
  });

  it('the host: inventory, doctor, capacity, traffic, health', async () => {
    await answer(inventory, 200, 'GET', '/inventory');
    await answer(doctorReport, 200, 'GET', '/doctor');
    await answer(capacity, 200, 'GET', '/capacity');
    await answer(trafficView, 200, 'GET', '/traffic');
    await answer(healthReport, 200, 'GET', '/health?fresh=true');
  });

  it('policies: a plan, an apply and its events', async () => {
    const plan = await answer(planAnswer, 200, 'POST', '/policies/plan', { text: GROW });
    expect(plan.plan.steps.length).toBeGreaterThan(0);
    const events = await f.events('admin', { lastEventId: 0 });
    const started = await answer(applyStarted, 202, 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    const done = await events.waitFor((e) => e.event === 'apply.done');
    const e = daemonEvent.parse(JSON.parse(done.data));
    expect(e.data.operation).toBe(started.operation);
    for (const ev of events.events) daemonEvent.parse(ev);
    events.close();
  });

  it('errors are problem details', async () => {
    for (const [method, path, json] of [
      ['GET', '/tenants/nope', undefined],
      ['PUT', '/tenants/team-d', { vlans: 'x' }],
      [
        'POST',
        '/attachments',
        { tenant: 'team-a', pool: 'pa', consumer: { kind: 'vm', name: 'vm-x' }, vlan: 999 },
      ],
      ['GET', '/no-such-route', undefined],
      ['POST', '/policies/plan', { text: 'kind: nope' }],
    ] as const) {
      const r = await f.as('admin', method, path, json);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(problemDetails.safeParse(r.body).error?.issues ?? [], `${method} ${path}`).toEqual([]);
    }
  });
});
