/**
 * Serving the built web console (Vite's output in dist/console): files as they are, `/assets/*`
 * (content-hashed names) cached for a year, every other path outside /api answered with
 * index.html so the console's own router handles it (deep links, reloads). Loading the console
 * needs no token — it holds no data; the API behind it does. Before the console is built, pages
 * answer 503 with a short page saying how to build it: a real state of a checkout, not an error
 * of the daemon.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { statSync } from 'node:fs';
import { extname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/console next to this module's tree: from src/api (tsx) and from dist/api (built) alike. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

export interface ConsoleStaticOptions {
  /** The built console; default DEFAULT_CONSOLE_DIR. */
  dir?: string;
}

const NOT_BUILT = (dir: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sriovctl console not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f0f0f0;padding:.1rem .3rem}</style>
</head>
<body>
<h1>The sriovctl console has not been built</h1>
<p>The daemon is running and its REST API answers at <a href="/api/docs">/api/docs</a>, but there is
no built console in <code>${escapeHtml(dir)}</code>.</p>
<p>Build it from the sriovctl checkout, then reload this page:</p>
<pre>npm run build</pre>
<p>(<code>npm ci</code> builds it too.)</p>
</body>
</html>
`;

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Headers for everything the console serves: no sniffing, no framing, no referrers. */
function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
    );
}

export function consoleStatic(opts: ConsoleStaticOptions = {}): FastifyPluginAsync {
  const dir = resolve(opts.dir ?? DEFAULT_CONSOLE_DIR);
  return async (app) => {
    // Only reply.sendFile: the routes below decide what is served (files, the SPA fallback).
    // preCompressed: the build wrote .br and .gz next to the text files; a browser that accepts
    // them gets those (Content-Encoding set, Vary: Accept-Encoding), others the file as it is.
    await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });

    app.get('/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      const path = req.url.split('?')[0]!;
      // Unknown API paths stay API 404s (problem+json), never the console.
      if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
      let rel: string;
      try {
        rel = decodeURIComponent(path);
      } catch {
        return reply.callNotFound();
      }
      const index = resolve(dir, 'index.html');
      if (!isFile(index))
        return secure(reply)
          .code(503)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(NOT_BUILT(dir));
      const file = resolve(dir, `.${rel}`);
      if (file.startsWith(dir + sep) && isFile(file)) {
        const hashed = rel.startsWith('/assets/');
        return (
          secure(reply)
            .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
            // The answer depends on Accept-Encoding (a precompressed variant or not): caches
            // between here and the browser must keep them apart. @fastify/static does not say so.
            .header('vary', 'accept-encoding')
            .sendFile(relative(dir, file), { cacheControl: false })
        );
      }
      // A missing asset is a 404. Other paths are pages of the console — unless they look like a
      // file (an extension) and the client is not a browser navigating (which accepts HTML): PCI
      // addresses in page paths (/devices/0000:3b:00.0) have "extensions" too.
      const navigating = /\btext\/html\b/.test(req.headers.accept ?? '');
      if (rel.startsWith('/assets/') || (extname(rel) !== '' && !navigating))
        return reply.callNotFound();
      return secure(reply)
        .header('cache-control', 'no-cache')
        .sendFile('index.html', { cacheControl: false });
    });
  };
}
