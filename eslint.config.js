// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The web console (React): the rules of hooks, and the React Compiler's checks of render purity.
    files: ['src/console/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // The host seam: only src/host/linux may touch the machine (files, processes).
    files: ['src/**/*.ts'],
    ignores: [
      'src/host/linux/**',
      'src/host/sim/fixture-loader.ts',
      'src/policy/load.ts',
      'src/api/unix-socket.ts',
      'src/api/static.ts',
      'src/ledger/sqlite/sqlite-store.ts',
      'src/cli/**',
      // Build configuration, run by Vite at build time: it writes the console's own output.
      'src/console/vite.config.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:child_process',
              message: 'Only src/host/linux spawns processes (the host seam).',
            },
            {
              name: 'child_process',
              message: 'Only src/host/linux spawns processes (the host seam).',
            },
            {
              name: 'node:fs',
              message: 'Only src/host touches the machine; go through the Host seam.',
            },
            { name: 'fs', message: 'Only src/host touches the machine; go through the Host seam.' },
            {
              name: 'node:fs/promises',
              message: 'Only src/host touches the machine; go through the Host seam.',
            },
          ],
        },
      ],
    },
  },
  {
    // Logic never imports a surface.
    files: [
      'src/inventory/**',
      'src/doctor/**',
      'src/executor/**',
      'src/host/**',
      'src/persist/**',
      'src/policy/**',
      'src/ledger/**',
      'src/metrics/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/api/**', '**/console/**'],
              message: 'Logic must not import a surface.',
            },
          ],
          paths: [
            {
              name: 'node:child_process',
              message: 'Only src/host/linux spawns processes (the host seam).',
            },
            {
              name: 'node:fs',
              message: 'Only src/host touches the machine; go through the Host seam.',
            },
            {
              name: 'node:fs/promises',
              message: 'Only src/host touches the machine; go through the Host seam.',
            },
          ],
        },
      ],
    },
  },
  {
    // Policy files are read in one place; the rest of src/policy is pure.
    files: [
      'src/host/linux/**',
      'src/host/sim/fixture-loader.ts',
      'src/policy/load.ts',
      'src/api/unix-socket.ts',
      'src/api/static.ts',
      'src/ledger/sqlite/sqlite-store.ts',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
);
