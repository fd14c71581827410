/**
 * The daemon as `sriovctl serve` runs it (startDaemon: real SQLite ledger in a temp dir, simulated
 * host with timing off, the API on 127.0.0.1 port 0 with the console's routes and files), tokens
 * for every kind of principal, and a small server-sent-events client over node:http that collects
 * frames and lets a test wait for the one it expects.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon, type DaemonOptions } from '../../../src/daemon/daemon.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import type { RequestContext } from '../../../src/ledger/ledger.js';
import { createToken } from '../../../src/ledger/tokens.js';
import { attachRequest, poolSpec, tenantSpec } from '../../../src/contract/index.js';
import type { Attachment, Role } from '../../../src/ledger/types.js';
import type { DaemonEvent } from '../../../src/metrics/events.js';
import { request, type HttpAnswer, type RequestOptions } from '../../support/api-fixture.js';

export const V1 = '/api/v1';

export const PRINCIPALS = [
  'admin',
  'operator',
  'viewer',
  'a-operator',
  'a-viewer',
  'b-operator',
] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface ConsoleFixture {
  daemon: Daemon;
  host: SimHost;
  url: string;
  dir: string;
  /** The console build the daemon serves (a small fake Vite output), or a missing directory. */
  consoleDir: string;
  root: RequestContext;
  tokens: Record<Principal, string>;
  req(method: string, path: string, opts?: RequestOptions): Promise<HttpAnswer>;
  /** A GET /api/v1/... as a principal (or with no token for null). */
  as(p: Principal | null, method: string, path: string, json?: unknown): Promise<HttpAnswer>;
  /** Opens GET /api/v1/events as a principal. */
  events(p: Principal, opts?: { lastEventId?: number; query?: string }): Promise<SseClient>;
  /** Pools pa (ens1f0 VFs 0-3), pb (ens1f0 VFs 4-7), shared (ens2f0np0, host driver); tenants. */
  arrangeTenants(): Promise<void>;
  attach(
    tenant: string,
    pool: string,
    name: string,
    extra?: Record<string, unknown>,
  ): Promise<Attachment>;
  close(): Promise<void>;
}

export interface ConsoleFixtureOptions {
  fixture?: string;
  /** Write a fake console build (default true); false leaves the console directory missing. */
  built?: boolean;
  daemon?: Partial<Omit<DaemonOptions, 'host' | 'db'>>;
}

export const INDEX_HTML =
  '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>\n';
export const ASSET_JS = 'console.log("sriovctl console");\n';

export async function openConsoleFixture(
  opts: ConsoleFixtureOptions = {},
): Promise<ConsoleFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-console-'));
  const consoleDir = join(dir, 'console');
  if (opts.built !== false) {
    mkdirSync(join(consoleDir, 'assets'), { recursive: true });
    writeFileSync(join(consoleDir, 'index.html'), INDEX_HTML);
    writeFileSync(join(consoleDir, 'assets', 'index-abc123.js'), ASSET_JS);
    writeFileSync(join(consoleDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  }
  const host = await loadSimHost(opts.fixture ?? 'dual-socket-e810-cx6', { timing: 'off' });
  const daemon = await startDaemon({
    host,
    db: join(dir, 'ledger.db'),
    listen: { host: '127.0.0.1', port: 0 },
    rateLimitPerMinute: 0,
    consoleDir,
    simTraffic: null,
    // Fast enough that a test waiting for a traffic sample waits milliseconds.
    trafficIntervalMs: 40,
    ...opts.daemon,
  });
  const url = daemon.url!;
  const tokens = {} as Record<Principal, string>;
  const make = async (name: Principal, role: Role, tenant?: string) => {
    const r = await createToken(
      daemon.store,
      { name, role, ...(tenant ? { tenant } : {}) },
      'test',
      new Date().toISOString(),
    );
    tokens[name] = r.secret;
  };
  const root: RequestContext = { actor: { name: 'test-root', tenant: null } };
  const f: ConsoleFixture = {
    daemon,
    host,
    url,
    dir,
    consoleDir,
    root,
    tokens,
    req: (method, path, o) => request(url, method, path, o),
    as: (p, method, path, json) =>
      request(url, method, `${V1}${path}`, {
        token: p === null ? null : tokens[p],
        ...(json !== undefined ? { json } : {}),
      }),
    events: (p, o = {}) =>
      SseClient.open(url, `${V1}/events${o.query ? `?${o.query}` : ''}`, {
        authorization: `Bearer ${tokens[p]}`,
        ...(o.lastEventId !== undefined ? { 'last-event-id': String(o.lastEventId) } : {}),
      }),
    async arrangeTenants() {
      const l = daemon.ledger;
      await l.putPool(root, 'pa', poolSpec.parse({ selector: { pfNames: ['ens1f0#0-3'] } }));
      await l.putPool(root, 'pb', poolSpec.parse({ selector: { pfNames: ['ens1f0#4-7'] } }));
      await l.putPool(
        root,
        'shared',
        poolSpec.parse({ selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' }),
      );
      await l.putTenant(
        root,
        'team-a',
        tenantSpec.parse({ pools: ['pa', 'shared'], vlans: '100' }),
      );
      await l.putTenant(
        root,
        'team-b',
        tenantSpec.parse({ pools: ['pb', 'shared'], vlans: '200' }),
      );
    },
    async attach(tenant, pool, name, extra = {}) {
      const r = await daemon.allocation.attach(
        root,
        attachRequest.parse({ tenant, pool, consumer: { kind: 'vm', name }, ...extra }),
      );
      return r.attachments[0]!;
    },
    async close() {
      await daemon.stop();
      host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await make('admin', 'admin');
  await make('operator', 'operator');
  await make('viewer', 'viewer');
  await make('a-operator', 'operator', 'team-a');
  await make('a-viewer', 'viewer', 'team-a');
  await make('b-operator', 'operator', 'team-b');
  return f;
}

/** One server-sent event frame as received. */
export interface Frame {
  id?: number;
  event: string;
  data: string;
  comments: string[];
}

/** A server-sent-events client: collects frames; waits for one matching a predicate. */
export class SseClient {
  readonly frames: Frame[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private buf = '';
  private waiters: { pred: (f: Frame) => boolean; from: number; resolve: (f: Frame) => void }[] =
    [];
  private ended = false;
  private endWaiters: (() => void)[] = [];

  private constructor(private readonly req: http.ClientRequest) {}

  static open(base: string, path: string, headers: Record<string, string>): Promise<SseClient> {
    const u = new URL(base);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: u.hostname,
        port: Number(u.port),
        path,
        method: 'GET',
        headers: { accept: 'text/event-stream', ...headers },
      });
      const c = new SseClient(req);
      req.on('response', (res) => {
        c.status = res.statusCode ?? 0;
        c.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (s: string) => c.feed(s));
        res.on('end', () => c.end());
        res.on('error', () => c.end());
        res.on('close', () => c.end());
        resolve(c);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private feed(s: string): void {
    this.buf += s;
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const raw = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const f: Frame = { event: 'message', data: '', comments: [] };
      const data: string[] = [];
      for (const line of raw.split('\n')) {
        if (line.startsWith(':')) f.comments.push(line.slice(1).trim());
        else if (line.startsWith('id: ')) f.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) f.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      f.data = data.join('\n');
      this.frames.push(f);
      const idx = this.frames.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (idx >= w.from && w.pred(f)) {
          w.resolve(f);
          return false;
        }
        return true;
      });
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.endWaiters) w();
  }

  /** The bus events received so far (frames with an id), parsed. */
  get events(): DaemonEvent[] {
    return this.frames
      .filter((f) => f.id !== undefined)
      .map((f) => JSON.parse(f.data) as DaemonEvent);
  }

  /** The first frame (at index `from` or later) matching `pred`, now or when it arrives. */
  waitFor(pred: (f: Frame) => boolean, from = 0): Promise<Frame> {
    const hit = this.frames.slice(from).find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve) => this.waiters.push({ pred, from, resolve }));
  }

  /** The first bus event of `kind` (optionally matching more), now or when it arrives. */
  async waitForEvent(
    kind: string,
    pred: (e: DaemonEvent) => boolean = () => true,
  ): Promise<DaemonEvent> {
    const f = await this.waitFor(
      (f) => f.id !== undefined && f.event === kind && pred(JSON.parse(f.data) as DaemonEvent),
    );
    return JSON.parse(f.data) as DaemonEvent;
  }

  /** Resolves when the server ends the stream. */
  closed(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((r) => this.endWaiters.push(r));
  }

  close(): void {
    this.req.destroy();
  }
}
