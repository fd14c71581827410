/**
 * The browser tests (`npm run test:browser`): their own vitest project, so `npm test` does not run
 * them. Files run one after another: each starts a daemon and a Chromium, and CI has two cores.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.browser.ts'],
    globalSetup: ['test/browser/support/preflight.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/support/isolate-state.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
