// Serving the built console over real HTTP: files without a token, hashed assets cached for a
// year, client-side routes answered with index.html, missing files and unknown API paths as 404s,
// the API still behind its token, nothing outside the build directory, and the page that says
// how to build the console when there is none; brotli and gzip variants the build wrote, sent to
// the browsers that accept them.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProblemBody } from '../../support/api-fixture.js';
import {
  ASSET_JS,
  INDEX_HTML,
  openConsoleFixture,
  V1,
  type ConsoleFixture,
} from './console-fixture.js';

describe('a built console', () => {
  let f: ConsoleFixture;
  beforeAll(async () => {
    f = await openConsoleFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('serves index.html at / without a token, never cached stale, with security headers', async () => {
    const r = await f.req('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.text).toBe(INDEX_HTML);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const head = await f.req('HEAD', '/');
    expect(head.status).toBe(200);
  });

  it('serves hashed assets with long cache headers, other files with revalidation', async () => {
    const js = await f.req('GET', '/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(js.text).toBe(ASSET_JS);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const svg = await f.req('GET', '/favicon.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('sends the precompressed variant a browser accepts, the file as it is otherwise', async () => {
    const text = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
    const assets = join(f.consoleDir, 'assets');
    writeFileSync(join(assets, 'big-def456.js'), text);
    writeFileSync(join(assets, 'big-def456.js.br'), brotliCompressSync(text));
    writeFileSync(join(assets, 'big-def456.js.gz'), gzipSync(text));
    const get = (encoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.get(
          `${f.url}/assets/big-def456.js`,
          { headers: encoding ? { 'accept-encoding': encoding } : {} },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
      });
    const br = await get('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.body.length).toBeLessThan(text.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(text);
    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(text);
    const plain = await get();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(text);
    // A file without variants is sent as it is to a browser that would take brotli.
    const small = await f.req('GET', '/assets/index-abc123.js', {
      headers: { 'accept-encoding': 'br' },
    });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.text).toBe(ASSET_JS);
  });

  it('answers client-side routes with index.html (deep links, reloads)', async () => {
    for (const path of ['/devices', '/devices/ens1f0/vf/3', '/policies?tab=plan', '/login/'])
      expect((await f.req('GET', path)).text, path).toBe(INDEX_HTML);
    // A browser navigating to a page whose path has a dot (a PCI address) gets the page too.
    const nav = await f.req('GET', '/devices/0000:3b:00.0', {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(nav.status).toBe(200);
    expect(nav.text).toBe(INDEX_HTML);
  });

  it('answers a missing file or asset with a 404, not the app (unless a browser navigates)', async () => {
    for (const path of ['/assets/index-gone.js', '/robots.txt', '/devices/0000:3b:00.0']) {
      const r = await f.req('GET', path, { headers: { accept: '*/*' } });
      expect(r.status, path).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the API behind its token, and unknown API paths API 404s', async () => {
    expect((await f.req('GET', `${V1}/inventory`)).status).toBe(401);
    expect((await f.req('GET', '/api/v2/anything')).status).toBe(401);
    const r = await f.req('GET', '/api/v2/anything', { token: f.tokens.viewer });
    expect(r.status).toBe(404);
    expect((r.body as ProblemBody).type).toBe('https://sriovctl.dev/problems/not-found');
    // A POST to a console path is not a page.
    expect((await f.req('POST', '/devices', { json: {} })).status).toBe(401);
    // The docs stay public.
    expect((await f.req('GET', '/api/docs/json')).status).toBe(200);
  });

  it('serves nothing outside its directory', async () => {
    // The fixture's temp dir holds the ledger next to the console directory.
    for (const path of ['/../ledger.db', '/%2e%2e/ledger.db', '/assets/%2e%2e/%2e%2e/ledger.db']) {
      const r = await f.req('GET', path);
      expect(r.text, path).not.toContain('SQLite');
      expect([200, 404], path).toContain(r.status);
      if (r.status === 200) expect(r.text).toBe(INDEX_HTML);
    }
  });
});

describe('no console built', () => {
  let f: ConsoleFixture;
  beforeAll(async () => {
    f = await openConsoleFixture({ built: false });
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers pages with 503 and how to build it; the API works', async () => {
    for (const path of ['/', '/devices']) {
      const r = await f.req('GET', path);
      expect(r.status, path).toBe(503);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.text).toContain('console has not been built');
      expect(r.text).toContain('npm run build');
      expect(r.text).toContain(f.consoleDir);
    }
    expect((await f.as('viewer', 'GET', '/whoami')).status).toBe(200);
  });
});
