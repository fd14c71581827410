/**
 * Builds the web console into dist/console, which `sriovctl serve` serves at `/` (any non-/api path
 * falls back to index.html). Run as `vite build src/console` (npm run build:console).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(here, '../../dist/console'),
    // The output is outside the root, so Vite only empties it when told to.
    emptyOutDir: true,
    // One bundle for the app: PatternFly dominates it, and the budget is about the gzipped total.
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: true,
  },
});
