// Property-based fuzzing of the API's inputs (fast-check): near-valid and arbitrary JSON bodies,
// query strings, path parameters and headers, with hostile strings (path traversal, line breaks,
// huge numbers, unicode, prototype-pollution keys). The API must never answer 5xx, and a 4xx must
// leave the ledger (tenants, pools, attachments, audit, tokens) and the kernel (the simulated
// host's journal of writes) exactly as they were.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachRequest, poolSpec, tenantSpec } from '../../../src/contract/index.js';
import { ledgerState, openApiFixture, type ApiFixture } from '../../support/api-fixture.js';

// FUZZ_RUNS=5000 for a long hunt; the default keeps the file to a few seconds.
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);

let f: ApiFixture;
const tokens: Record<string, string> = {};
/** The two seed attachments (made again when a fuzzed DELETE removes one). */
const liveIds: string[] = [];

beforeAll(async () => {
  f = await openApiFixture({ noListen: true, db: 'memory' });
  await restoreCatalog();
  for (const [tenant, pool, name, vlan] of [
    ['team-a', 'fast', 'seed-a', 100],
    ['team-b', 'mlx', 'seed-b', 200],
  ] as const) {
    const r = await f.allocation.attach(
      f.root,
      attachRequest.parse({ tenant, pool, consumer: { kind: 'vm', name }, vlan }),
    );
    liveIds.push(r.attachments[0]!.id);
  }
  tokens.admin = (await f.token('admin', 'admin')).secret;
  tokens.operator = (await f.token('a-operator', 'operator', 'team-a')).secret;
  tokens.viewer = (await f.token('viewer', 'viewer')).secret;
});

afterAll(async () => {
  await f.close();
});

/** Puts back the tenants and pools the properties rely on, after a run replaced one of them. */
async function restoreCatalog(): Promise<void> {
  await f.ledger.putPool(f.root, 'fast', poolSpec.parse({ selector: { pfNames: ['ens1f0'] } }));
  await f.ledger.putPool(
    f.root,
    'mlx',
    poolSpec.parse({ selector: { pfNames: ['ens2f0np0'] }, vfDriver: 'host' }),
  );
  await f.ledger.putTenant(
    f.root,
    'team-a',
    tenantSpec.parse({ pools: ['fast', 'mlx'], vlans: '0,100-110', allowTrust: true }),
  );
  await f.ledger.putTenant(f.root, 'team-b', tenantSpec.parse({ pools: ['mlx'], vlans: '200' }));
}

// Arbitraries ------------------------------------------------------------------------------------

const HOSTILE = [
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '/sys/class/net/ens1f0/device/sriov_numvfs',
  'ens1f0\nvf 0 mac 00:11:22:33:44:55',
  'a\r\nX-Injected: 1',
  '\u0000',
  '%00',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\u202eevil',
  '😀',
  'ﬀ',
  'İ',
  'team-a',
  'team-b',
  'fast',
  'mlx',
  'vm-1',
  'net0',
  'A'.repeat(70),
  'a'.repeat(5000),
  "'; DROP TABLE tenants; --",
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '-1',
  '1e400',
  '0x10',
  'NaN',
  'null',
  'true',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.stringMatching(/^[a-z0-9-]{1,70}$/),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.integer({ min: -2, max: 5000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    7,
    8,
    4094,
    4095,
    65536,
    4_000_000,
    4_000_001,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    1e21,
    1e308,
    -1e308,
    5e-324,
    0.5,
  ),
);

/** Any JSON value, leaning on the hostile strings and numbers. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('v'), { maxKeys: 4 }),
  ),
})).v;

/**
 * A near-valid body: the base with up to two fields dropped or replaced by any value, and now and
 * then an extra key (which may be "__proto__" or "constructor").
 */
function mutated(
  base: Record<string, unknown>,
  /** Plausible values per field: they pass validation but may meet a rule (quota, VLAN, capacity). */
  plausible: Record<string, unknown[]> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const field = fc.constantFrom(...Object.keys(base)).chain((k) => {
    const alts = plausible[k];
    const value = alts?.length
      ? fc.oneof(anyValue, { weight: 2, arbitrary: fc.constantFrom(...alts) })
      : anyValue;
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant([k, { drop: true as const }] as const) },
      { weight: 3, arbitrary: value.map((v) => [k, { value: v }] as const) },
    );
  });
  const changes = fc.oneof(
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 3, arbitrary: fc.array(field, { minLength: 1, maxLength: 2 }) },
  );
  const extraKey = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    fc.tuple(hostileString, anyValue),
  );
  return fc.tuple(changes, extraKey).map(([changes, extra]) => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, c] of changes) {
      if ('drop' in c) delete out[k];
      else out[k] = c.value;
    }
    // Defined as an own property, so "__proto__" is a key, not a prototype.
    if (extra)
      Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true });
    return out;
  });
}

/** A body as raw JSON text, sometimes with a prototype-pollution key spliced in. */
function bodyText(obj: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .tuple(
      obj,
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        fc.constantFrom(
          '"__proto__":{"role":"admin","tenant":null}',
          '"constructor":{"prototype":{"isAdmin":true}}',
          '"__proto__":null',
        ),
      ),
    )
    .map(([o, poison]) => {
      const text = JSON.stringify(o) ?? 'null';
      if (!poison || !text.startsWith('{')) return text;
      return text === '{}' ? `{${poison}}` : `{${poison},${text.slice(1)}`;
    });
}

const principal = fc.oneof(
  { weight: 8, arbitrary: fc.constant('admin') },
  fc.constantFrom('operator', 'viewer', 'none', 'garbage'),
);

function authHeader(p: string): Record<string, string> {
  if (p === 'none') return {};
  if (p === 'garbage') return { authorization: 'Bearer sriovctl_../../etc/passwd' };
  return { authorization: `Bearer ${tokens[p]!}` };
}

/** Header values a client can actually send (no CR/LF/NUL), but otherwise hostile. */
const headerValue = fc.oneof(
  fc.constantFrom('', 'x', '1'.repeat(200), 'key with spaces', 'ünïcödé', '../..', '__proto__'),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{0,140}$/),
);

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/problem+json',
  ),
);

/** A path segment: hostile text, URL-encoded or raw where the URL stays parseable. */
const pathSegment = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/) },
  hostileString.map((s) => encodeURIComponent(s)),
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '%00',
    'a%2Fb',
    '..%2F..',
    'team-a',
    'fast',
    'new-one',
  ),
);

/** A query string from hostile keys and values, including repeated and bracketed keys. */
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'tenant',
          'action',
          'target',
          'before',
          'limit',
          'limit',
          '__proto__',
          'constructor',
          'tenant[__proto__]',
          'limit[]',
        ),
        hostileString,
      ),
      fc.oneof(hostileString, hostileNumber.map(String)),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
  );

// The property ------------------------------------------------------------------------------------

interface Snapshot {
  ledger: unknown;
  journal: number;
}

async function snapshot(): Promise<Snapshot> {
  return { ledger: await ledgerState(f.store), journal: f.host.journal.length };
}

/** Never 5xx; every error is problem+json; a 4xx changed nothing. */
async function judge(res: LightMyRequestResponse, before: Snapshot): Promise<void> {
  if (res.statusCode >= 500) throw new Error(`${res.statusCode}: ${res.body}`);
  if (res.statusCode >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const p = res.json<{ status: number; type: string; detail: string }>();
    expect(p.status).toBe(res.statusCode);
    expect(typeof p.detail).toBe('string');
    expect(await ledgerState(f.store)).toEqual(before.ledger);
    expect(f.host.journal.slice(before.journal)).toEqual([]);
  }
}

/** Runs one request and judges it; returns the status for coverage counts. */
async function fire(opts: {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}): Promise<number> {
  const before = await snapshot();
  const res = await f.app.inject({
    method: opts.method,
    url: opts.url,
    headers: opts.headers ?? {},
    ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
  });
  await judge(res, before);
  return res.statusCode;
}

/** Counts statuses per class so each property shows it reached both refusals and successes. */
function tally(): { add: (s: number) => void; seen: Map<number, number> } {
  const seen = new Map<number, number>();
  return { add: (s) => seen.set(s, (seen.get(s) ?? 0) + 1), seen };
}

describe('fuzzing the API inputs: never 5xx, a 4xx changes nothing', () => {
  it('POST /attachments', async () => {
    const t = tally();
    const base = {
      tenant: 'team-a',
      pool: 'fast',
      consumer: { kind: 'vm', name: 'fz-1' },
      vlan: 100,
      count: 1,
      minTxRate: 0,
      maxTxRate: 1000,
      qos: 0,
      trust: false,
      linkState: 'auto',
      strategy: 'spread',
    };
    const plausible = {
      tenant: ['team-b', 'ghost'],
      pool: ['mlx', 'nope'],
      consumer: [
        { kind: 'vm', name: 'seed-a' },
        { kind: 'pod', name: 'default/web-0', host: 'other-host' },
        { kind: 'process', name: 'x' },
      ],
      vlan: [0, 101, 200, 4094],
      count: [2, 8, 9, 32],
      minTxRate: [1, 1000, 100_000, 4_000_000],
      maxTxRate: [0, 100_001, 4_000_000],
      qos: [7],
      trust: [true],
      spoofchk: [false],
      mac: ['02:00:00:00:00:01'],
      interfaces: [['net0'], ['net0', 'net1'], ['eth0', 'eth1', 'eth2']],
      numa: [
        { node: 1, mode: 'required' },
        { node: 0, mode: 'preferred' },
        { node: 1023, mode: 'required' },
      ],
      strategy: ['pack'],
      linkState: ['disable', 'enable'],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: bodyText(mutated(base, plausible)) },
          { weight: 1, arbitrary: bodyText(anyValue) },
          { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
        ),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 2, arbitrary: fc.uuid().map(String) },
          headerValue,
        ),
        principal,
        contentType,
        async (payload, key, who, type) => {
          const status = await fire({
            method: 'POST',
            url: '/api/v1/attachments',
            headers: {
              ...authHeader(who),
              'content-type': type,
              ...(key !== undefined ? { 'idempotency-key': key } : {}),
            },
            payload,
          });
          t.add(status);
          // Keep the pool from filling up, so later runs can still succeed.
          if (status === 201)
            for (const a of await f.store.listAttachments())
              if (!liveIds.includes(a.id)) await f.allocation.detach(f.root, a.id);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect([...t.seen.keys()].some((s) => s === 201)).toBe(true);
    expect([...t.seen.keys()].filter((s) => s >= 400).length).toBeGreaterThan(2);
  });

  it('PUT /tenants/:name', async () => {
    const t = tally();
    const base = {
      description: 'fuzzed',
      pools: ['mlx'],
      vlans: '300-310',
      maxVfs: 4,
      maxGuaranteedMbps: 10000,
      allowTrust: false,
    };
    await fc.assert(
      fc.asyncProperty(
        pathSegment,
        fc.oneof(
          {
            weight: 4,
            arbitrary: bodyText(
              mutated(base, {
                pools: [['nope'], ['fast', 'mlx'], []],
                vlans: ['0', '1-4094', '4095'],
                maxVfs: [0, 65536],
              }),
            ),
          },
          bodyText(anyValue),
        ),
        principal,
        contentType,
        async (name, payload, who, type) => {
          const status = await fire({
            method: 'PUT',
            url: `/api/v1/tenants/${name}`,
            headers: { ...authHeader(who), 'content-type': type },
            payload,
          });
          t.add(status);
          if (status === 200) await restoreCatalog();
        },
      ),
      { numRuns: RUNS },
    );
    expect(t.seen.has(200)).toBe(true);
    expect(t.seen.has(400)).toBe(true);
  });

  it('PUT /pools/:name', async () => {
    const t = tally();
    const base = {
      description: 'fuzzed',
      selector: { pfNames: ['ens1f0#4-7'], drivers: ['ice'], vfRange: '0-3', vendor: '8086' },
      vfDriver: 'vfio-pci',
    };
    await fc.assert(
      fc.asyncProperty(
        pathSegment,
        fc.oneof(
          { weight: 4, arbitrary: bodyText(mutated(base, { vfDriver: ['host'] })) },
          {
            weight: 2,
            arbitrary: bodyText(
              mutated(base.selector, {
                pfNames: [['ens9f9'], ['ens1f0#0-300'], ['../../ens1f0']],
                pciAddresses: [['0000:3b:00.0'], ['../../../sys']],
                drivers: [['mlx5_core'], ['ice', 'mlx5_core']],
                vfRange: ['0-300', '5'],
              }).map((selector) => ({ ...base, selector })),
            ),
          },
          bodyText(anyValue),
        ),
        principal,
        async (name, payload, who) => {
          const status = await fire({
            method: 'PUT',
            url: `/api/v1/pools/${name}`,
            headers: { ...authHeader(who), 'content-type': 'application/json' },
            payload,
          });
          t.add(status);
          if (status === 200) await restoreCatalog();
        },
      ),
      { numRuns: RUNS },
    );
    expect(t.seen.has(200)).toBe(true);
    expect(t.seen.has(400)).toBe(true);
  });

  it('POST /tokens', async () => {
    const t = tally();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 4,
            arbitrary: bodyText(
              fc
                .tuple(
                  mutated(
                    { name: 'fz-token', role: 'viewer', tenant: 'team-a' },
                    {
                      name: ['admin', 'viewer'],
                      role: ['admin', 'operator'],
                      tenant: ['ghost', 'team-b'],
                    },
                  ),
                  fc.stringMatching(/^[a-z0-9]{8}$/),
                )
                // Fresh names now and then, so creation succeeds more than once.
                .map(([b, suffix]) => (b.name === 'fz-token' ? { ...b, name: `fz-${suffix}` } : b)),
            ),
          },
          bodyText(anyValue),
        ),
        principal,
        async (payload, who) => {
          t.add(
            await fire({
              method: 'POST',
              url: '/api/v1/tokens',
              headers: { ...authHeader(who), 'content-type': 'application/json' },
              payload,
            }),
          );
        },
      ),
      { numRuns: RUNS },
    );
    expect(t.seen.has(201)).toBe(true);
    expect(t.seen.has(400)).toBe(true);
  });

  it('GET /audit', async () => {
    const t = tally();
    await fc.assert(
      fc.asyncProperty(queryString, principal, async (qs, who) => {
        t.add(await fire({ method: 'GET', url: `/api/v1/audit?${qs}`, headers: authHeader(who) }));
      }),
      { numRuns: RUNS },
    );
    expect(t.seen.has(200)).toBe(true);
    expect(t.seen.has(400)).toBe(true);
  });

  it('DELETE /attachments/:id', async () => {
    const t = tally();
    const live = fc.nat().map((i) => liveIds[i % liveIds.length]!);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          pathSegment,
          fc.uuid().map(String),
          // Read when generated: the live ids change as runs detach and re-attach.
          live,
          live,
          live.map((id) => id.toUpperCase()),
          live.map((id) => `${id}%00`),
          live.map((id) => `${id}/..`),
        ),
        principal,
        fc.option(queryString, { nil: undefined }),
        async (id, who, qs) => {
          const status = await fire({
            method: 'DELETE',
            url: `/api/v1/attachments/${id}${qs !== undefined ? `?${qs}` : ''}`,
            headers: authHeader(who),
          });
          t.add(status);
          // A detach that worked: put the attachment back for the next runs.
          if (status === 200) {
            liveIds.length = 0;
            for (const [tenant, pool, name, vlan] of [
              ['team-a', 'fast', 'seed-a', 100],
              ['team-b', 'mlx', 'seed-b', 200],
            ] as const) {
              const held = await f.store.listAttachments({ consumerName: name });
              if (held.length) liveIds.push(held[0]!.id);
              else {
                const r = await f.allocation.attach(
                  f.root,
                  attachRequest.parse({ tenant, pool, consumer: { kind: 'vm', name }, vlan }),
                );
                liveIds.push(r.attachments[0]!.id);
              }
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(t.seen.has(400)).toBe(true);
    expect(t.seen.has(404)).toBe(true);
  });
});
