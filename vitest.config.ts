import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['test/kernel/**', 'node_modules/**'],
    testTimeout: 20_000,
    pool: 'threads',
    setupFiles: ['test/support/isolate-state.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
