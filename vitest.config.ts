import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['test/kernel/**', 'node_modules/**'],
    testTimeout: 20_000,
    pool: 'threads',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
