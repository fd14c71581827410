// The daemon object and `sriovctl serve` on top of it: start and stop (and what a failed start
// leaves behind), the admin token of a fresh simulated host, the port fallback `npm start` uses,
// stop waiting for a running apply, drift and ledger changes on the event bus, the seeded demo
// traffic, and the inventory cache's refresh returning a fresh discovery.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../../src/daemon/daemon.js';
import { driftToBus } from '../../../src/daemon/event-bridge.js';
import { simRates, type SimTrafficOptions } from '../../../src/daemon/sim-traffic.js';
import { ifName, macAddress, pciAddress } from '../../../src/host/names.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import { attachRequest, poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { EventBus, type DaemonEvent } from '../../../src/metrics/events.js';
import type { DriftEvent } from '../../../src/policy/drift.js';
import type { PlanTarget } from '../../../src/policy/plan.js';
import { request } from '../../support/api-fixture.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-daemon-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function simHost(): Promise<SimHost> {
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  cleanup.push(() => h.close());
  return h;
}

async function start(opts: Partial<DaemonOptions> & { host: SimHost }): Promise<Daemon> {
  const d = await startDaemon({
    db: ':memory:',
    listen: { host: '127.0.0.1', port: 0 },
    rateLimitPerMinute: 0,
    consoleDir: null,
    trafficIntervalMs: 40,
    ...opts,
  });
  cleanup.push(() => d.stop());
  return d;
}

/** Resolves with the first bus event (already published or coming) that matches. */
function nextEvent(bus: EventBus, pred: (e: DaemonEvent) => boolean): Promise<DaemonEvent> {
  const seen = bus.since(0).find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = bus.subscribe((e) => {
      if (!pred(e)) return;
      off();
      resolve(e);
    });
  });
}

/** A port something else is listening on. */
async function takenPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => srv.close(r)));
  return (srv.address() as net.AddressInfo).port;
}

describe('startDaemon / stop', () => {
  it('reconciles, listens, hands a fresh host one admin token, and on a restart none', async () => {
    const dir = tempDir();
    const host = await simHost();
    const db = join(dir, 'ledger.db');
    const d1 = await start({ host, db, issueAdminToken: true });
    expect(d1.reconciled).toEqual({
      completed: [],
      rolledBack: [],
      scrubbed: [],
      reapplied: [],
      orphaned: [],
      failed: [],
    });
    expect(d1.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d1.adminToken).toMatch(/^sriovctl_/);
    const who = await request(d1.url!, 'GET', '/api/v1/whoami', { token: d1.adminToken });
    expect(who.body).toMatchObject({ name: 'demo-admin', role: 'admin', tenant: null });
    // The first event is the startup reconcile.
    expect(d1.bus.since(0)[0]).toMatchObject({ id: 1, kind: 'ledger.reconciled', level: 'info' });
    await d1.stop();
    await d1.stop(); // twice is fine
    await expect(fetch(`${d1.url}/api/v1/whoami`)).rejects.toThrow();

    const d2 = await start({ host, db, issueAdminToken: true });
    expect(d2.adminToken).toBeNull();
    const again = await request(d2.url!, 'GET', '/api/v1/whoami', { token: d1.adminToken! });
    expect(again.status).toBe(200);
  });

  it('logs every bus event as a JSON line: an attach and a detach are in the log', async () => {
    const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
    const rec = (level: string) => (fields: Record<string, unknown>, msg: string) =>
      lines.push({ level, fields, msg });
    const host = await simHost();
    const d = await start({
      host,
      issueAdminToken: true,
      log: { info: rec('info'), warn: rec('warn'), error: rec('error') },
    });
    const t = d.adminToken!;
    await request(d.url!, 'PUT', '/api/v1/pools/p', {
      token: t,
      json: { selector: { pfNames: ['ens1f0'] } },
    });
    await request(d.url!, 'PUT', '/api/v1/tenants/a', {
      token: t,
      json: { pools: ['p'], vlans: '7' },
    });
    const att = await request(d.url!, 'POST', '/api/v1/attachments', {
      token: t,
      json: { tenant: 'a', pool: 'p', consumer: { kind: 'vm', name: 'v' } },
    });
    expect(att.status).toBe(201);
    const id = (att.body as { attachments: { id: string }[] }).attachments[0]!.id;
    await request(d.url!, 'DELETE', `/api/v1/attachments/${id}`, { token: t });
    const events = lines.map((l) => l.fields.event);
    expect(events).toContain('attachment.attached');
    expect(events).toContain('attachment.detached');
    const attached = lines.find((l) => l.fields.event === 'attachment.attached')!.fields;
    expect(attached).toMatchObject({
      tenant: 'a',
      id,
      // The line names the attachment; the whole record is in the audit log and the stream.
      attachment: { pool: 'p', pf: 'ens1f0', interface: 'net0', state: 'attached' },
    });
    expect((attached.attachment as { consumer: string }).consumer).toMatch(/^vm\/v@/);
    expect(attached.attachment).not.toHaveProperty('requestedBy');
  });

  it('takes a free port when the asked one is taken and fallback is on', async () => {
    const port = await takenPort();
    const d = await start({
      host: await simHost(),
      listen: { host: '127.0.0.1', port, fallback: true },
    });
    expect(d.portFallback?.asked).toBe(port);
    expect(d.portFallback?.got).not.toBe(port);
    expect(new URL(d.url!).port).toBe(String(d.portFallback!.got));
    expect((await request(d.url!, 'GET', '/api/v1/whoami')).status).toBe(401);
  });

  it('fails on a taken port without fallback, and the ledger it opened is closed again', async () => {
    const port = await takenPort();
    const db = join(tempDir(), 'ledger.db');
    const host = await simHost();
    await expect(
      startDaemon({ host, db, listen: { host: '127.0.0.1', port }, consoleDir: null }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // Closed means its WAL was checkpointed away: nothing is left half written next to it.
    expect(existsSync(`${db}-wal`)).toBe(false);
    const d = await start({ host, db });
    expect(d.reconciled.failed).toEqual([]);
  });

  it('stop lets a running apply finish first', async () => {
    const host = await simHost();
    const d = await start({ host });
    host.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, hang: true });
    const started = await d.policies.apply(
      {
        text: `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: grow }
spec: { selector: { pfNames: [ens1f1] }, numVfs: 2 }
`,
        confirmDisruptive: false,
      },
      { name: 'test', tenant: null },
    );
    await nextEvent(d.bus, (e) => e.kind === 'apply.step' && e.data.status === 'start');
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    // The apply is hung in the kernel write: stop cannot have finished.
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    host.faults.releaseHangs();
    await stopping;
    const done = d.bus.since(0).find((e) => e.kind === 'apply.done')!;
    expect(done.data).toMatchObject({ operation: started.operation, ok: true });
  });
});

describe('events the daemon publishes', () => {
  const TARGET: PlanTarget = {
    pciAddress: pciAddress('0000:3b:00.1'),
    numVfs: 2,
    vfs: [0, 1].map((i) => ({
      vfIndex: i,
      driver: 'host' as const,
      settings: { mac: macAddress(`02:00:00:00:04:0${i}`), trust: false },
    })),
  };

  it('drift found at start, repaired, then in sync', async () => {
    const d = await start({
      host: await simHost(),
      drift: {
        targets: [TARGET],
        watched: ['ens1f1'],
        intervalMs: 60_000,
        repair: true,
        repairDisruptive: false,
      },
    });
    const detected = await nextEvent(d.bus, (e) => e.kind === 'drift.detected');
    expect(detected.level).toBe('warn');
    expect(detected.message).toMatch(/^drift: \d+ steps? from the policy/);
    expect(detected.data.trigger).toBe('start');
    const repaired = await nextEvent(d.bus, (e) => e.kind === 'drift.repaired');
    expect(repaired.id).toBeGreaterThan(detected.id);
    // The repair's own link events trigger a pass that finds the host in sync.
    const inSync = await nextEvent(d.bus, (e) => e.kind === 'drift.in-sync');
    expect(inSync.id).toBeGreaterThan(repaired.id);
  });

  it('says a drift state once, however many passes repeat it', () => {
    const bus = new EventBus();
    const on = driftToBus(bus);
    const at = new Date().toISOString();
    const drift: DriftEvent = {
      type: 'drift',
      at,
      trigger: 'interval',
      steps: [{ pf: 'ens1f1', what: 'set VLAN', why: 'x' }],
    };
    const skipped: DriftEvent = { type: 'repair-skipped', at, reason: 'disruptive' };
    const seq: DriftEvent[] = [
      { type: 'in-sync', at, trigger: 'start' },
      { type: 'in-sync', at, trigger: 'interval' },
      drift,
      skipped,
      drift,
      skipped,
      {
        type: 'drift',
        at,
        trigger: 'interval',
        steps: [...drift.steps, { pf: 'ens1f1', what: 'trust', why: 'y' }],
      },
      skipped,
      { type: 'error', at, error: 'EIO' },
      { type: 'error', at, error: 'EIO' },
      { type: 'in-sync', at, trigger: 'interval' },
    ];
    for (const e of seq) on(e);
    expect(bus.since(0).map((e) => e.kind)).toEqual([
      'drift.in-sync',
      'drift.detected',
      'drift.repair-skipped',
      'drift.detected',
      'drift.repair-skipped',
      'drift.error',
      'drift.in-sync',
    ]);
  });

  it('says why settings could not be verified, from the typed reason, in the in-sync event', () => {
    const bus = new EventBus();
    const at = new Date().toISOString();
    driftToBus(bus)({
      type: 'in-sync',
      at,
      trigger: 'start',
      unverified: [
        { pf: 'ens1f0', vfs: [200, 201], settings: 2, why: 'vf-list-truncated' },
        { pf: 'ens1f1', vfs: [0], settings: 1, why: 'driver-does-not-report' },
      ],
    });
    expect(bus.since(0).map((e) => e.message)).toEqual([
      "the host matches the policy in everything the kernel reports; 2 settings on VFs 200-201 of ens1f0 cannot be verified (the kernel's netlink VF list does not include those VFs); 1 setting on VF 0 of ens1f1 cannot be verified (their driver does not report those settings)",
    ]);
  });

  it('a detach the kernel refuses to scrub is an error event', async () => {
    const host = await simHost();
    const d = await start({ host });
    const root = { actor: { name: 't', tenant: null } };
    await d.ledger.putPool(
      root,
      'p',
      poolSpec.parse({ selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' }),
    );
    await d.ledger.putTenant(root, 't', tenantSpec.parse({ pools: ['p'], vlans: '0' }));
    const a = (
      await d.allocation.attach(
        root,
        attachRequest.parse({ tenant: 't', pool: 'p', consumer: { kind: 'vm', name: 'v' } }),
      )
    ).attachments[0]!;
    host.faults.add({
      op: 'netlink',
      target: `ens2f0np0 vf ${a.vfIndex}`,
      errno: 'EIO',
      times: 10,
    });
    await expect(d.allocation.detach(root, a.id)).rejects.toThrow();
    const e = await nextEvent(d.bus, (x) => x.kind === 'attachment.failed');
    expect(e).toMatchObject({
      level: 'error',
      tenant: 't',
      data: { id: a.id, attachment: { state: 'failed' } },
    });
  });
});

describe('demo traffic on the simulator', () => {
  const ctx = { attached: true, maxTxRate: 0, linkSpeedMbps: 100_000 };

  it('is a pure function of seed, PF, VF and tick, and moves', () => {
    const r = (seed: number, tick: number) => simRates(seed, 'ens1f0', 3, tick, ctx);
    expect(r(1, 5)).toEqual(r(1, 5));
    expect(r(1, 5)).not.toEqual(r(2, 5));
    const rx = Array.from({ length: 30 }, (_, t) => r(1, t).rxBytesPerSec);
    expect(new Set(rx).size).toBeGreaterThan(20);
    expect(Math.min(...rx)).toBeGreaterThan(0);
  });

  it('stays plausible: attached VFs busier than idle ones, tx under maxTxRate, packets from bytes', () => {
    let attached = 0;
    let idle = 0;
    for (let vf = 0; vf < 64; vf++)
      for (let t = 0; t < 10; t++) {
        const a = simRates(1, 'ens1f0', vf, t, { ...ctx, maxTxRate: 300 });
        attached += a.rxBytesPerSec;
        idle += simRates(1, 'ens1f0', vf, t, { ...ctx, attached: false }).rxBytesPerSec;
        expect(a.txBytesPerSec).toBeLessThanOrEqual(300 * 125_000);
        expect(a.rxPacketsPerSec * 300).toBeLessThanOrEqual(a.rxBytesPerSec + 300);
        expect(a.rxPacketsPerSec * 1400).toBeGreaterThanOrEqual(a.rxBytesPerSec - 1400);
        expect(a.rxDroppedPerSec).toBeLessThanOrEqual(a.rxPacketsPerSec);
      }
    expect(attached).toBeGreaterThan(idle * 3);
  });

  /**
   * A daemon on the dual-socket host with demo traffic, three VMs attached on ens1f0, and one
   * tick's VFs; `moreVfs` adds 128 VFs on each of ens1f1 and ens3f0 (268 in all).
   */
  async function demoTraffic(opts: SimTrafficOptions, moreVfs = false) {
    const host = await simHost();
    if (moreVfs)
      for (const pf of ['0000:3b:00.1', '0000:86:00.0'])
        await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_numvfs`, '128');
    const d = await start({ host, simTraffic: opts });
    const root = { actor: { name: 't', tenant: null } };
    await d.ledger.putPool(root, 'p', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
    await d.ledger.putTenant(root, 't', tenantSpec.parse({ pools: ['p'], vlans: '0' }));
    const attached = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const a = (
        await d.allocation.attach(
          root,
          attachRequest.parse({ tenant: 't', pool: 'p', consumer: { kind: 'vm', name: `v${i}` } }),
        )
      ).attachments[0]!;
      attached.add(`${a.pfNetdev}#${a.vfIndex}`);
    }
    return { d, attached, active: new Set(await d.simTraffic!.tick()) };
  }

  it('flows on attached VFs only with no background share, and on every VF with all of it', async () => {
    const none = await demoTraffic({ seed: 7, background: 0 });
    expect(none.attached.size).toBe(3);
    expect(none.active).toEqual(none.attached);
    const every = await demoTraffic({ seed: 7, background: 1 });
    // The fixture's VFs: 8 on ens1f0, 4 on ens2f0np0 (both links up).
    expect([...every.active].sort()).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `ens1f0#${i}`),
      ...[0, 1, 2, 3].map((i) => `ens2f0np0#${i}`),
    ]);
  });

  it('gives a seeded quarter of the unattached VFs background traffic, the same one for the same seed', async () => {
    const a = await demoTraffic({ seed: 7 }, true);
    for (const k of a.attached) expect(a.active.has(k)).toBe(true);
    const background = [...a.active].filter((k) => !a.attached.has(k));
    // 265 unattached VFs at a share of 0.25: about 66 (the seed fixes it; any sane hash is near).
    expect(background.length).toBeGreaterThan(265 * 0.15);
    expect(background.length).toBeLessThan(265 * 0.35);
    const again = await demoTraffic({ seed: 7 }, true);
    expect(again.active).toEqual(a.active);
    const other = await demoTraffic({ seed: 8 }, true);
    const overlap = background.filter((k) => other.active.has(k)).length;
    expect(overlap).toBeLessThan(background.length * 0.5);

    // The sampler sees the attached VFs move.
    for (;;) {
      await a.d.sampler.sample();
      const r = a.d.sampler.rates();
      const busy =
        r?.vfs.filter((v) => a.attached.has(`${v.pf}#${v.vf}`) && v.rxBytesPerS > 0) ?? [];
      if (busy.length === a.attached.size) break;
      await new Promise((res) => setTimeout(res, 20));
    }
  });

  it('is off without simTraffic', async () => {
    const quiet = await start({ host: await simHost(), simTraffic: null });
    expect(quiet.simTraffic).toBeNull();
  });
});

describe('sriovctl serve', () => {
  interface Served {
    /** The exit code when serve ended before it was ready (a usage error), else null. */
    code: number | null;
    out(): string;
    err(): string;
    url: string;
    stop(): Promise<number>;
  }

  /** Runs `sriovctl ...argv` in-process until it logged `ready` (or ended). */
  async function serve(argv: string[]): Promise<Served> {
    const abort = new AbortController();
    let out = '';
    let err = '';
    const running = main(argv, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: {},
      signal: abort.signal,
    });
    let code: number | null = null;
    void running.then((c) => (code = c));
    while (code === null && !out.includes('"event":"ready"'))
      await new Promise((res) => setTimeout(res, 10));
    const listening = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; url?: string })
      .find((l) => l.event === 'listening');
    return {
      code,
      out: () => out,
      err: () => err,
      url: listening?.url ?? '',
      stop: () => {
        abort.abort();
        return running;
      },
    };
  }

  it('prints the console URL and the admin token, serves the console and the API, stops on signal', async () => {
    const s = await serve(['--sim', 'serve', '--listen', '127.0.0.1:0', '--sim-traffic', '3']);
    expect(s.code).toBeNull();
    expect(s.err()).toContain('SIMULATED host (fixture dual-socket-e810-cx6)');
    const token = /admin token for this simulated host: (sriovctl_\S+)/.exec(s.err())?.[1] ?? null;
    expect(token).toMatch(/^sriovctl_/);
    expect(s.err()).toContain(`console at ${s.url}/ (log in with the admin token above)`);
    // The console is built or not in this checkout; either way / answers without a token.
    const page = await request(s.url, 'GET', '/');
    expect([200, 503]).toContain(page.status);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const cap = await request(s.url, 'GET', '/api/v1/capacity', { token });
    expect(cap.status).toBe(200);
    expect(await s.stop()).toBe(0);
    const events = s
      .out()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(['reconcile', 'listening', 'ready', 'stop']);
  });

  it('--fallback-port says which port it took', async () => {
    const port = await takenPort();
    const s = await serve(['--sim', 'serve', '--listen', `127.0.0.1:${port}`, '--fallback-port']);
    expect(s.err()).toMatch(new RegExp(`port ${port} is taken; listening on port \\d+ instead`));
    expect(new URL(s.url).port).not.toBe(String(port));
    expect(await s.stop()).toBe(0);
  });

  it('rejects bad --sim-traffic values and --sim-traffic without --sim', async () => {
    const bad = await serve(['--sim', 'serve', '--sim-traffic', 'fast']);
    expect(bad.code).toBe(64);
    expect(bad.err()).toContain('--sim-traffic "fast": expected on, off or a seed');
    const real = await serve(['serve', '--sim-traffic', 'on', '--no-socket']);
    expect(real.code).toBe(64);
    expect(real.err()).toContain('--sim-traffic needs --sim');
  });
});

describe('InventoryCache.refresh', () => {
  it('rediscovers even while a cheap check runs behind get()', async () => {
    const host = await simHost();
    let now = 0;
    const cache = new InventoryCache(host, { now: () => now });
    await cache.get();
    // A link event makes the snapshot suspect: the next get() starts the cheap check.
    now += 10_000;
    cache.invalidate();
    await cache.get();
    // A change the check cannot see (VF counts, links and speeds are unchanged)...
    host.outOfBand([{ kind: 'vf', pf: ifName('ens1f0'), vf: 2, trust: true }]);
    // ...must show in a refresh asked for while the check is still running.
    const inv = await cache.refresh();
    const vf = inv.pfs.find((p) => p.netdev === 'ens1f0')!.vfs.find((v) => v.vfIndex === 2)!;
    expect(vf.config?.trust).toBe(true);
  });
});
