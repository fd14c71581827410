/**
 * A real API to test against: a simulated host (timing off), a real SQLite ledger in a temp dir,
 * the Fastify app from buildApi listening on 127.0.0.1 port 0, and a small HTTP client over
 * node:http (real sockets; an agent per caller when a test needs distinct connections).
 */
import type { AllocationService } from '../../src/allocation/service.js';
import { openLedger } from './allocation.js';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.js';
import { loadSimHost, type SimHost } from '../../src/host/sim/index.js';
import { InventoryCache } from '../../src/inventory/inventory-cache.js';
import type { Ledger, RequestContext } from '../../src/ledger/ledger.js';
import { SqliteLedgerStore } from '../../src/ledger/sqlite/sqlite-store.js';
import { createToken } from '../../src/ledger/tokens.js';
import type { Role } from '../../src/ledger/types.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

export interface RequestOptions {
  token?: string | null;
  /** A value sent as JSON. */
  json?: unknown;
  /** A raw body (sent as is, with the content type given in headers). */
  raw?: string;
  headers?: Record<string, string>;
  agent?: http.Agent;
}

/** One HTTP request to `base` (an http:// URL) or over a unix socket path. */
export function request(
  base: string | { socketPath: string },
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined;
  if (opts.json !== undefined) {
    payload = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  } else if (opts.raw !== undefined) payload = opts.raw;
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const target =
    typeof base === 'string'
      ? (() => {
          const u = new URL(base);
          return { host: u.hostname, port: Number(u.port) };
        })()
      : { socketPath: base.socketPath };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...target, method, path, headers, ...(opts.agent ? { agent: opts.agent } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface ApiFixtureOptions {
  /** Simulator fixture; default dual-socket-e810-cx6. */
  fixture?: string;
  rateLimitPerMinute?: number;
  transport?: 'tcp' | 'unix';
  /** Do not listen (tests that only use app.inject). */
  noListen?: boolean;
  /** A file in the temp dir (default: durable, as the daemon runs) or ':memory:' (fast). */
  db?: 'file' | 'memory';
}

export interface ApiFixture {
  host: SimHost;
  store: SqliteLedgerStore;
  ledger: Ledger;
  allocation: AllocationService;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT ('' when not listening). */
  url: string;
  dir: string;
  /** The database file ('' with db: 'memory'). */
  dbPath: string;
  /** A context acting as a root admin, for arranging state directly through the ledger. */
  root: RequestContext;
  /** Creates a token straight in the store; returns its secret and id. */
  token(name: string, role: Role, tenant?: string): Promise<{ secret: string; id: string }>;
  req(method: string, path: string, opts?: RequestOptions): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export async function openApiFixture(opts: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sriovctl-api-'));
  const dbPath = join(dir, 'ledger.db');
  const host = await loadSimHost(opts.fixture ?? 'dual-socket-e810-cx6', { timing: 'off' });
  const store = new SqliteLedgerStore({ path: opts.db === 'memory' ? ':memory:' : dbPath });
  const inventory = new InventoryCache(host);
  const first = await inventory.get();
  const { ledger, allocation } = openLedger({
    store,
    host,
    inventory,
    hostname: first.host.hostname,
  });
  const app = await buildApi({
    ledger,
    allocation,
    transport: opts.transport ?? 'tcp',
    ...(opts.rateLimitPerMinute !== undefined
      ? { rateLimitPerMinute: opts.rateLimitPerMinute }
      : { rateLimitPerMinute: 0 }),
  });
  const url = opts.noListen ? '' : await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    host,
    store,
    ledger,
    allocation,
    app,
    url,
    dir,
    dbPath: opts.db === 'memory' ? '' : dbPath,
    root: { actor: { name: 'test-root', tenant: null } },
    async token(name, role, tenant) {
      const r = await createToken(
        store,
        { name, role, ...(tenant !== undefined ? { tenant } : {}) },
        'test',
        new Date().toISOString(),
      );
      return { secret: r.secret, id: r.token.id };
    },
    req: (method, path, o) => request(url, method, path, o),
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The problem+json fields every error carries. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  fix?: string;
  errors?: { field: string; message: string }[];
  [k: string]: unknown;
}

/**
 * A snapshot of everything the ledger holds, to compare before and after a refused request. The
 * audit log is append-only (a trigger refuses the rest), so its newest entry stands for all of it.
 */
export async function ledgerState(store: SqliteLedgerStore): Promise<unknown> {
  return {
    tenants: await store.listTenants(),
    pools: await store.listPools(),
    attachments: await store.listAttachments(),
    auditHead: (await store.listAudit({ limit: 1 }))[0] ?? null,
    tokens: await store.listTokens(),
  };
}
