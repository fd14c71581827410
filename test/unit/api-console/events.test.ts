// GET /events over real HTTP: ledger changes as typed events, resuming with Last-Event-ID (and
// `since`) without losing or repeating one, gap notices, tenant walls (events and traffic), the
// traffic samples and heartbeats, and streams ending when the daemon stops or their token is
// revoked (by itself or with its tenant).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficView } from '../../../src/contract/index.js';
import { createToken } from '../../../src/ledger/tokens.js';
import { tenantSpec } from '../../../src/contract/index.js';
import type { Attachment } from '../../../src/ledger/types.js';
import { openConsoleFixture, SseClient, V1, type ConsoleFixture } from './console-fixture.js';

let f: ConsoleFixture;

beforeAll(async () => {
  f = await openConsoleFixture({ daemon: { heartbeatMs: 30 } });
});

afterAll(async () => {
  await f.close();
});

describe('GET /events', () => {
  it('needs a token and answers text/event-stream', async () => {
    expect((await f.as(null, 'GET', '/events')).status).toBe(401);
    const s = await f.events('viewer');
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).toContain('no-cache');
    await s.waitFor((fr) => fr.comments.includes('connected'));
    s.close();
  });

  it('streams ledger changes with kinds, levels, messages and the tenant they concern', async () => {
    const s = await f.events('admin');
    await s.waitFor((fr) => fr.comments.includes('connected'));
    await f.arrangeTenants();
    const a = await f.attach('team-a', 'pa', 'vm-1');
    await f.daemon.allocation.detach(f.root, a.id);
    const att = await s.waitForEvent('attachment.detached');
    const kinds = s.events.map((e) => e.kind);
    expect(kinds).toEqual([
      'pool.updated',
      'pool.updated',
      'pool.updated',
      'tenant.updated',
      'tenant.updated',
      'attachment.attached',
      'attachment.detached',
    ]);
    const attached = s.events[5]!;
    expect(attached).toMatchObject({
      level: 'info',
      tenant: 'team-a',
      message: `VF ${a.vfIndex} of ens1f0 attached to vm vm-1 as net0 (tenant team-a, pool pa)`,
      data: { id: a.id, attachment: { id: a.id, state: 'attached' } },
    });
    expect(att.message).toContain('detached from vm vm-1');
    // Frames carry the event's id and kind; ids increase by one.
    const frames = s.frames.filter((fr) => fr.id !== undefined);
    expect(frames.map((fr) => fr.event)).toEqual(kinds);
    const ids = frames.map((fr) => fr.id!);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    s.close();
  });

  it('resumes after Last-Event-ID with exactly the events missed', async () => {
    const s1 = await f.events('admin');
    await s1.waitFor((fr) => fr.comments.includes('connected'));
    await f.attach('team-a', 'shared', 'vm-r1', { vlan: 100 });
    const seen = await s1.waitForEvent('attachment.attached');
    s1.close();
    await s1.closed();
    // Missed while disconnected:
    const b = await f.attach('team-b', 'shared', 'vm-r2', { vlan: 200 });
    const c = await f.attach('team-a', 'pa', 'vm-r3');
    const s2 = await f.events('admin', { lastEventId: seen.id });
    await s2.waitForEvent('attachment.attached', (e) => e.data.id === c.id);
    const replayed = s2.events;
    expect(replayed.map((e) => e.id)).toEqual([seen.id + 1, seen.id + 2]);
    expect(replayed.map((e) => e.data.id)).toEqual([b.id, c.id]);
    // New events keep coming after the replay, each once.
    await f.daemon.allocation.detach(f.root, c.id);
    await s2.waitForEvent('attachment.detached', (e) => e.data.id === c.id);
    expect(s2.events.map((e) => e.id)).toEqual([seen.id + 1, seen.id + 2, seen.id + 3]);
    s2.close();
  });

  it('?since=0 replays the whole history, starting with the startup reconcile', async () => {
    const s = await f.events('viewer', { query: 'since=0' });
    const first = await s.waitFor((fr) => fr.id !== undefined);
    expect(first.id).toBe(1);
    expect(first.event).toBe('ledger.reconciled');
    s.close();
  });

  it('says so when the history no longer reaches back far enough, or the ids are from another run', async () => {
    const restarted = await f.events('viewer', { lastEventId: 1_000_000 });
    const gap = await restarted.waitFor((fr) => fr.event === 'gap');
    expect(JSON.parse(gap.data)).toMatchObject({ reason: 'restarted' });
    // Everything kept follows, from the first id.
    expect((await restarted.waitFor((fr) => fr.id !== undefined)).id).toBe(1);
    restarted.close();

    // The bus keeps 1000 events: push the first ones out.
    for (let i = 0; i < 1000; i++)
      f.daemon.bus.publish({ kind: 'test.filler', level: 'info', message: 'filler', data: { i } });
    const old = await f.events('viewer', { lastEventId: 2 });
    const expired = JSON.parse((await old.waitFor((fr) => fr.event === 'gap')).data) as {
      reason: string;
      oldest: number;
    };
    expect(expired.reason).toBe('expired');
    const next = await old.waitFor((fr) => fr.id !== undefined);
    expect(next.id).toBe(expired.oldest);
    old.close();
  });

  it("a tenant token gets its tenant's events only", async () => {
    const newest = f.daemon.bus.since(0).at(-1)!.id;
    const a = await f.events('a-viewer', { lastEventId: newest });
    const all = await f.events('admin', { lastEventId: newest });
    const x = await f.attach('team-b', 'pb', 'vm-t1');
    const y = await f.attach('team-a', 'pa', 'vm-t2');
    f.daemon.bus.publish({ kind: 'apply.start', level: 'info', message: 'host-wide', data: {} });
    // A last event for team-a: once it arrived, everything before it on the stream has too.
    f.daemon.bus.publish({
      kind: 'test.marker',
      level: 'info',
      message: 'm',
      tenant: 'team-a',
      data: {},
    });
    await all.waitForEvent('test.marker');
    await a.waitForEvent('test.marker');
    expect(all.events.map((e) => e.data.id ?? e.kind)).toEqual([
      x.id,
      y.id,
      'apply.start',
      'test.marker',
    ]);
    // Nothing of team-b and nothing host-wide reached team-a.
    expect(a.events.map((e) => e.data.id ?? e.kind)).toEqual([y.id, 'test.marker']);
    // The same wall holds for history replayed on resume.
    const replay = await f.events('a-viewer', { lastEventId: newest });
    await replay.waitForEvent('test.marker');
    expect(replay.events.map((e) => e.data.id ?? e.kind)).toEqual([y.id, 'test.marker']);
    for (const s of [a, all, replay]) s.close();
  });

  it('sends traffic samples scoped like GET /traffic, and heartbeats', async () => {
    const atts: Attachment[] = await f.daemon.ledger.store.listAttachments();
    for (const at of atts)
      f.host.setTraffic(at.pfNetdev!, at.vfIndex, {
        rxBytesPerSec: 2_000_000,
        txBytesPerSec: 1_000_000,
        rxPacketsPerSec: 2000,
        txPacketsPerSec: 1000,
        rxDroppedPerSec: 0,
        txDroppedPerSec: 0,
      });
    const admin = await f.events('admin');
    const tenant = await f.events('a-operator');
    const since = Date.now();
    const fresh = (fr: { event: string; data: string }) =>
      fr.event === 'traffic' &&
      (JSON.parse(fr.data) as TrafficView).at - (JSON.parse(fr.data) as TrafficView).intervalMs >
        since;
    const all = JSON.parse((await admin.waitFor(fresh)).data) as TrafficView;
    expect(all.pfs!.map((p) => p.pf)).toContain('ens1f0');
    expect(all.vfs.length).toBeGreaterThan(atts.length);
    const mine = JSON.parse((await tenant.waitFor(fresh)).data) as TrafficView;
    expect(mine).not.toHaveProperty('pfs');
    const expected = atts
      .filter((x) => x.tenant === 'team-a')
      .map((x) => `${x.pfNetdev}#${x.vfIndex}`);
    expect(mine.vfs.map((v) => `${v.pf}#${v.vf}`).sort()).toEqual(expected.sort());
    expect(mine.vfs.length).toBeGreaterThan(0);
    // Both directions are counted over the same interval, so their ratio (2:1 as set) holds however
    // late a sample is taken; the rates themselves are pinned with an injected clock in
    // test/unit/metrics/traffic.test.ts.
    for (const v of mine.vfs) expect(v.rxBytesPerS / v.txBytesPerS).toBeCloseTo(2, 2);
    // Traffic frames have no id: they are samples, not history to resume from.
    const trafficFrames = admin.frames.filter((fr) => fr.event === 'traffic');
    expect(trafficFrames.length).toBeGreaterThan(0);
    expect(trafficFrames.every((fr) => fr.id === undefined)).toBe(true);
    await admin.waitFor((fr) => fr.comments.includes('heartbeat'));
    admin.close();
    tenant.close();
  });
});

describe('stopping the daemon', () => {
  it('ends open streams and stops', async () => {
    const g = await openConsoleFixture({ built: false });
    const s = await g.events('viewer');
    await s.waitFor((fr) => fr.comments.includes('connected'));
    await g.close();
    await s.closed();
    await expect(fetch(`${g.url}/api/v1/whoami`)).rejects.toThrow();
  });
});

describe('streams of credentials that go away', () => {
  let g: ConsoleFixture;
  beforeAll(async () => {
    g = await openConsoleFixture({ built: false });
    await g.arrangeTenants();
  });
  afterAll(async () => {
    await g.close();
  });

  async function tokenId(name: string): Promise<string> {
    const r = await g.as('admin', 'GET', '/tokens');
    return (r.body as { items: { id: string; name: string }[] }).items.find((t) => t.name === name)!
      .id;
  }

  it('revoking a token ends its open event stream before the revocation is answered', async () => {
    const s = await g.events('a-viewer');
    // Another token of the same tenant: its stream goes on, and shows what the revoked one missed.
    const peer = await g.events('a-operator');
    for (const c of [s, peer]) await c.waitFor((fr) => fr.comments.includes('connected'));
    const subscribers = g.daemon.bus.subscriberCount;

    const del = await g.as('admin', 'DELETE', `/tokens/${await tokenId('a-viewer')}`);
    expect(del.status).toBe(204);
    // By the time the revocation is answered the stream no longer listens to the bus.
    expect(g.daemon.bus.subscriberCount).toBe(subscribers - 1);

    const a = await g.attach('team-a', 'pa', 'vm-after-revoke');
    await peer.waitForEvent('attachment.attached', (e) => e.data.id === a.id);
    await s.closed();
    expect(s.events.map((e) => e.kind)).toEqual(['token.revoked']);
    expect(s.frames.at(-1)).toMatchObject({
      event: 'closed',
      data: JSON.stringify({ reason: 'token a-viewer was revoked' }),
    });
    expect(peer.events.map((e) => e.kind)).toEqual(['token.revoked', 'attachment.attached']);
    // Coming back with it is refused.
    const again = await g.events('a-viewer');
    expect(again.status).toBe(401);
    peer.close();
  });

  it("deleting a tenant ends its tokens' streams; other tenants' streams go on", async () => {
    await g.daemon.ledger.putTenant(g.root, 'team-c', tenantSpec.parse({ vlans: '300' }));
    const { secret } = await createToken(
      g.daemon.store,
      { name: 'c-viewer', role: 'viewer', tenant: 'team-c' },
      'test',
      new Date().toISOString(),
    );
    const s = await SseClient.open(g.url, `${V1}/events`, { authorization: `Bearer ${secret}` });
    const b = await g.events('b-operator');
    for (const c of [s, b]) await c.waitFor((fr) => fr.comments.includes('connected'));
    const subscribers = g.daemon.bus.subscriberCount;

    expect((await g.as('admin', 'DELETE', '/tenants/team-c')).status).toBe(204);
    expect(g.daemon.bus.subscriberCount).toBe(subscribers - 1);
    await s.closed();
    expect(s.events.map((e) => e.kind)).toEqual(['token.revoked']);
    expect(s.frames.at(-1)).toMatchObject({ event: 'closed' });
    const x = await g.attach('team-b', 'pb', 'vm-b-after');
    await b.waitForEvent('attachment.attached', (e) => e.data.id === x.id);
    b.close();
  });
});
