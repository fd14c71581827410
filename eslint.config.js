// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Browser code (the console, the contract) has no Node modules, not even pure ones. */
const BROWSER_NODE = {
  paths: builtinModules
    .filter((name) => !name.startsWith('_'))
    .map((name) => ({ name, message: 'Browser code: Node modules do not exist in the browser.' })),
  patterns: [
    { regex: '^node:', message: 'Browser code: Node modules do not exist in the browser.' },
  ],
};

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
  // The API contract (src/contract) and what the console may load of it. These blocks set
  // @typescript-eslint/no-restricted-imports for src/contract and src/console; a later block's
  // options replace an earlier one's for the same rule, so each carries the whole of its files'
  // restrictions: Node modules (BROWSER_NODE, as for all browser code) and the contract's own.
  {
    // The contract is pure data at the bottom of the import graph, loaded by browsers too: it
    // imports zod and its own modules, nothing else (no server folder, not even src/host).
    files: ['src/contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: BROWSER_NODE.paths,
          patterns: [
            ...BROWSER_NODE.patterns,
            {
              regex: '^\\.\\./',
              message:
                'src/contract imports nothing else of sriovctl: every layer and the console import it, and what it imports would follow it into the browser.',
            },
            {
              regex: `^(?!zod(/|$)|\\.|node:|(${BROWSER_NODE.paths.map((p) => p.name).join('|')})(/|$))`,
              message:
                'src/contract imports zod and its own modules only: another package would follow it into the console.',
            },
          ],
        },
      ],
    },
  },
  {
    // The console loads zod-free modules of the contract only (zod would add ~25 KiB gzipped);
    // types may come from anywhere in it.
    files: ['src/console/**/*.{ts,tsx}'],
    ignores: ['src/console/vite.config.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...BROWSER_NODE.paths,
            {
              name: 'zod',
              allowTypeImports: true,
              message: "The console does not load zod: validation is the API's.",
            },
          ],
          patterns: [
            ...BROWSER_NODE.patterns,
            {
              regex: '/contract/(?!(problem|client)\\.js$)[^/]+$',
              allowTypeImports: true,
              message:
                'Import types only from here (import type): at runtime the console loads the zod-free contract/problem.js and contract/client.js only.',
            },
          ],
        },
      ],
    },
  },
);
