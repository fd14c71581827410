/**
 * Builds the web console into dist/console, which `sriovctl serve` serves at `/` (any non-/api path
 * falls back to index.html). Run as `vite build src/console` (npm run build:console). Text files
 * are also written brotli- and gzip-compressed next to themselves (`.br`, `.gz`): the daemon sends
 * those to browsers that accept them, compressed once here instead of on every request.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../../dist/console');

/** Extensions worth compressing (fonts and images are compressed already, except SVG). */
const TEXT = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);

function precompress(): Plugin {
  return {
    name: 'sriovctl-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        );
      for (const file of walk(outDir)) {
        if (!TEXT.has(extname(file))) continue;
        const data = readFileSync(file);
        // Small files gain nothing but a second request for the variant.
        if (data.length < 1024) continue;
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(data, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 11,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
        );
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir,
    // The output is outside the root, so Vite only empties it when told to.
    emptyOutDir: true,
    // One bundle for the app: PatternFly dominates it, and the budget is about the gzipped total.
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: true,
  },
});
