// @ts-check
import { builtinModules } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/*
 * The fence: which code may touch the machine and which way imports flow (DESIGN.md, "The shape").
 * Three rules, each proven to fire by a fixture in test/lint/:
 *  - machine modules (@typescript-eslint/no-restricted-imports): only the SEAMS import the Node
 *    modules that reach the machine;
 *  - layers (no-restricted-imports): surfaces → use cases → logic → host, never back up;
 *  - escape hatches (no-restricted-syntax): import() and process.getBuiltinModule() outside the
 *    seams, which the two import rules cannot see.
 * Every exemption is a seam below, listed with its reason; none is a folder of ordinary code.
 */

/**
 * The seams: the only files that touch the machine (files, processes, sockets, the terminal).
 * Layering still applies to them; only the machine-module and escape-hatch rules are lifted.
 */
export const SEAMS = [
  {
    files: ['src/host/linux/**'],
    why: "the real machine: sysfs, ip/devlink/ethtool, sriovctl's own config files, and the operator's files (policy files named on the command line, read through LocalFileReader)",
  },
  {
    files: ['src/host/sim/fixture-loader.ts'],
    why: "reads the simulator's fixture files (the simulated hardware)",
  },
  {
    files: ['src/host/sim/persist.ts', 'src/host/sim/state-lock.ts', 'src/host/sim/state-file.ts'],
    why: "the simulated machine's disk: the journal a persistent simulated host replays",
  },
  {
    files: ['src/ledger/sqlite/**'],
    why: 'the SQLite seam: the database file, its fsyncs and mode, the checkpoint worker thread',
  },
  {
    files: ['src/api/unix-socket.ts'],
    why: "the API's unix socket: the socket file, its mode, systemd socket activation",
  },
  { files: ['src/api/static.ts'], why: "serves the built console's files from disk" },
  { files: ['src/cli/api-client.ts'], why: "the CLI's HTTP(S) connection to the daemon" },
  { files: ['src/cli/terminal.ts'], why: "the operator's terminal (y/N questions)" },
  {
    files: ['src/console/vite.config.ts'],
    why: "build configuration: Vite runs it in Node at build time to write the console's output",
  },
];
const SEAM_FILES = SEAMS.flatMap((s) => s.files);

/**
 * Node modules that reach the machine, by what they reach. Left out on purpose, because they only
 * compute inside the process: path, url, crypto (randomness, hashes), util, events, stream, buffer,
 * zlib, timers, perf_hooks, async_hooks, assert, vm; `process` is a global, so refusing its import
 * would stop nothing.
 */
const MACHINE_MODULES = {
  'files on disk': ['fs', 'fs/promises'],
  'processes and threads': ['child_process', 'cluster', 'worker_threads'],
  'the network': ['net', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'http2', 'tls'],
  'facts about the machine': ['os'],
  'the terminal': ['readline', 'readline/promises', 'tty', 'repl'],
  'code and files loaded or written at run time': [
    'module',
    'v8',
    'inspector',
    'inspector/promises',
    'trace_events',
    'wasi',
  ],
};

/** Both spellings of each machine module, with the reason in the message. */
function machineModulePaths() {
  return Object.entries(MACHINE_MODULES).flatMap(([reach, names]) =>
    names.flatMap((name) =>
      [name, `node:${name}`].map((spec) => ({
        name: spec,
        // A type import (`import type { ServerResponse } from 'node:http'`) runs nothing.
        allowTypeImports: true,
        message: `It reaches ${reach}: only the seams touch the machine (SEAMS in eslint.config.js); go through the Host seam (src/host) or a declared seam.`,
      })),
    ),
  );
}

/*
 * The layers. Each zone is a folder under src/ with the folders it must not import and why.
 * Logic is ranked: a logic folder imports its own rank and the ranks below, never above, so
 * the snapshot (inventory) and the writer (executor) sit under everything that decides.
 */
const SURFACES = ['cli', 'api', 'console', 'daemon', 'integrations'];
const USE_CASES = ['allocation'];
/** Bottom up: the snapshot and the writer first, what watches everything last. */
const LOGIC_RANKS = [
  ['inventory', 'executor'],
  ['doctor', 'policy'],
  ['ledger'],
  ['boot', 'metrics'],
];
const LOGIC = LOGIC_RANKS.flat();
const RANKS = [...LOGIC_RANKS]
  .reverse()
  .map((r) => r.join(', '))
  .join(' → ');
const HOST_IMPLEMENTATIONS = ['host/linux', 'host/sim'];

/**
 * @typedef {{ targets: string[], why: string, importNames?: string[] }} Ban
 * @type {Record<string, Ban[]>} folder under src/ → its bans
 */
const ZONES = {};

/**
 * Forbids files under src/`zone` to import src/`target` for each target (a folder, or a module
 * without its .js); with `importNames`, only those names of it.
 * @param {string} zone @param {string[]} targets @param {string} why @param {string[]} [importNames]
 */
function ban(zone, targets, why, importNames) {
  (ZONES[zone] ??= []).push({ targets, why, ...(importNames ? { importNames } : {}) });
}

const TWO_HOSTS = 'The real host and the simulator implement one seam: neither imports the other.';
const PICKS_HOST =
  'It receives a Host; only a surface (the composition) picks the real host or the simulator.';

ban(
  'host',
  [...SURFACES, ...USE_CASES, ...LOGIC, 'contract'],
  'src/host is the seam to the machine: it imports nothing above it.',
);
ban('host/linux', ['host/sim'], TWO_HOSTS);
ban('host/sim', ['host/linux'], TWO_HOSTS);
LOGIC_RANKS.forEach((rank, i) => {
  const above = LOGIC_RANKS.slice(i + 1).flat();
  for (const zone of rank) {
    ban(zone, SURFACES, 'Logic never imports a surface: surfaces call use cases and logic.');
    ban(zone, USE_CASES, 'Logic never imports a use case: use cases call logic.');
    if (above.length > 0)
      ban(zone, above, `It sits above src/${zone} in the logic ranks (${RANKS}).`);
    ban(zone, HOST_IMPLEMENTATIONS, PICKS_HOST);
  }
});
for (const zone of USE_CASES) {
  ban(zone, SURFACES, 'A use case never imports a surface: surfaces call use cases.');
  ban(zone, HOST_IMPLEMENTATIONS, PICKS_HOST);
}
// Surfaces among themselves: the CLI starts the daemon (serve), the daemon composes the API and
// hands it what it serves (the policy use case as a PolicyService, src/api/routes/policies.ts).
ban(
  'api',
  ['cli', 'console', 'daemon', 'integrations'],
  'The daemon composes the API; the API imports no other surface.',
);
ban(
  'integrations',
  ['api', 'cli', 'console', 'daemon'],
  'An integration calls use cases, not another surface.',
);
// An integration (device plugin, CNI, libvirt hook) calls the allocation service and the scoped
// readers. A store would skip the service's claims, host gate, tenant scoping and audit; writing
// to the host would skip the ledger. src/integrations/README.md says the same for people.
ban(
  'integrations',
  ['ledger/store', 'ledger/sqlite'],
  'An integration calls the allocation service and scoped readers, never a store (the service holds the claims, the host gate, tenant scoping and the audit).',
);
ban(
  'integrations',
  ['executor', ...HOST_IMPLEMENTATIONS],
  'An integration never writes to the host: the allocation service hands its changes to the executor, the only writer, and the daemon picks the host.',
);
ban(
  'integrations',
  ['host/host'],
  'An integration reads the host through a HostReader at most; writes go through the allocation service.',
  ['Host', 'HostWriter'],
);
ban(
  'cli',
  ['console'],
  'The console is browser code; the CLI reaches the daemon over its REST API.',
);
ban(
  'daemon',
  ['cli', 'console'],
  'The daemon is started by the CLI; the console is browser code it serves.',
);
// The ledger holds no Host: what an attachment does to the machine is src/allocation's work.
ban(
  'ledger',
  ['host/host'],
  'The ledger holds no Host: attach, detach and reconcile (src/allocation) work the host through the executor.',
);
// Surfaces never reach a store (see STORE_SELECTORS for the other half of the rule).
const NO_STORE =
  'Surfaces never reach a store: call the allocation service (src/allocation), the ledger (its catalog), or ledger.scoped(actor) for reads.';
// The daemon, the composition root, opens the store and hands it to the ledger, so it may name
// the store's type; src/integrations has bans of its own on stores.
for (const zone of ['api', 'cli']) ban(zone, ['ledger/store', 'ledger/tokens'], NO_STORE);
ban(
  'console',
  [...SURFACES.filter((s) => s !== 'console'), ...USE_CASES, ...LOGIC, 'host'],
  'The console is browser code: it shares only src/contract with the server.',
);
ban(
  'contract',
  [...SURFACES, ...USE_CASES, ...LOGIC, ...HOST_IMPLEMENTATIONS],
  'src/contract is the browser-safe REST contract: it imports no server code.',
);

/** Files this many folders below a zone are covered (test/lint checks that every src file is). */
const MAX_DEPTH = 5;

/**
 * The relative specifiers that reach `target` (a folder under src/) from a file `depth` folders
 * below `zone`, as a regular expression. no-restricted-imports matches the text of a specifier,
 * not the file it resolves to, so `../api/` means src/api from src/cli but src/console/api from
 * src/console/pages: one block per depth keeps each pattern exact.
 */
/** @param {string} zone @param {number} depth @param {string} target */
function reach(zone, depth, target) {
  const from = path.posix.join('src', zone, ...Array(depth).fill('d'));
  const rel = path.posix.relative(from, path.posix.join('src', target));
  const escaped = rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const prefix = rel.startsWith('../') ? '^(?:\\./)?' : '^\\./';
  return `${prefix}${escaped}(?:/|\\.js$|$)`;
}

/** One config block per zone and depth; a file gets the bans of every zone it lies in. */
function layerBlocks() {
  // Outer zones first: a later block replaces an earlier one's options for the files both match.
  const zones = Object.keys(ZONES).sort((a, b) => a.split('/').length - b.split('/').length);
  return zones.flatMap((zone) =>
    Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
      const enclosing = zones.filter((z) => zone === z || zone.startsWith(`${z}/`));
      const patterns = enclosing.flatMap((z) =>
        ZONES[z].flatMap(({ targets, why, importNames }) =>
          targets.map((target) => ({
            regex: reach(zone, depth, target),
            caseSensitive: true,
            ...(importNames ? { importNames } : {}),
            message: `src/${z} must not import ${importNames ? `${importNames.join(', ')} from ` : ''}src/${target}. ${why}`,
          })),
        ),
      );
      return {
        files: [`src/${zone}/${'*/'.repeat(depth)}*.{ts,tsx}`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      };
    }),
  );
}

/** Browser code (the console, the contract) has no Node modules, not even pure ones. */
const BROWSER_NODE = {
  paths: builtinModules
    .filter((name) => !name.startsWith('_'))
    .map((name) => ({ name, message: 'Browser code: Node modules do not exist in the browser.' })),
  patterns: [
    { regex: '^node:', message: 'Browser code: Node modules do not exist in the browser.' },
  ],
};

/** import() and process.getBuiltinModule(): escape hatches the import rules cannot see. */
const HATCH_SELECTORS = [
  {
    selector: 'ImportExpression',
    message:
      'import() escapes the fence (layers, machine modules): import statically; code that must load lazily lives in a declared seam (SEAMS in eslint.config.js).',
  },
  {
    selector:
      "MemberExpression[object.name='process'][property.name=/^(getBuiltinModule|binding|dlopen)$/]",
    message:
      'process.getBuiltinModule/binding/dlopen load Node modules past the fence: only the seams touch the machine (SEAMS in eslint.config.js).',
  },
];

/**
 * A surface reaching a store through an object (`ledger.store`, `const { store } = ledger`): with
 * the import ban on src/ledger/store, surfaces never touch a store (the daemon constructs one, as
 * the composition root, and hands it over).
 */
const STORE_SELECTORS = [
  { selector: "MemberExpression[property.name='store']", message: NO_STORE },
  { selector: "ObjectPattern > Property[key.name='store']", message: NO_STORE },
];
const SURFACE_FILES = SURFACES.filter((s) => s !== 'console').map((s) => `src/${s}/**/*.{ts,tsx}`);

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**', 'test/lint/fixtures/**'],
  },
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
    // Machine modules: only the seams touch the machine.
    files: ['src/**/*.{ts,tsx}'],
    ignores: SEAM_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: machineModulePaths() }],
    },
  },
  {
    // Browser code (the console) and the contract it shares: no Node module at all.
    files: ['src/console/**/*.{ts,tsx}', 'src/contract/**/*.ts'],
    ignores: SEAM_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules
            .filter((name) => !name.startsWith('_'))
            .map((name) => ({
              name,
              message: 'Browser code: Node modules do not exist in the browser.',
            })),
          patterns: [
            { regex: '^node:', message: 'Browser code: Node modules do not exist in the browser.' },
          ],
        },
      ],
    },
  },
  {
    // Escape hatches the import rules cannot see.
    files: ['src/**/*.{ts,tsx}'],
    ignores: SEAM_FILES,
    rules: { 'no-restricted-syntax': ['error', ...HATCH_SELECTORS] },
  },
  {
    // Surfaces never reach a store; these blocks repeat the escape hatches (a later block's
    // options replace an earlier one's for the same rule), except for seams, which may use them.
    files: SURFACE_FILES,
    ignores: SEAM_FILES,
    rules: { 'no-restricted-syntax': ['error', ...HATCH_SELECTORS, ...STORE_SELECTORS] },
  },
  {
    files: SEAM_FILES.filter((f) => SURFACES.some((s) => f.startsWith(`src/${s}/`))),
    rules: { 'no-restricted-syntax': ['error', ...STORE_SELECTORS] },
  },
  // Layers: surfaces → use cases → logic → host.
  ...layerBlocks(),
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
              regex: '/contract/(?!(problem|client|attachment-id)\\.js$)[^/]+$',
              allowTypeImports: true,
              message:
                'Import types only from here (import type): at runtime the console loads the zod-free contract/problem.js, contract/client.js and contract/attachment-id.js only.',
            },
          ],
        },
      ],
    },
  },
);
