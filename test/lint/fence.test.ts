/**
 * The lint fence (eslint.config.js) fires: each fixture in ./fixtures is linted as if it lived at a
 * path under src/ and must report exactly the expected messages — or none, for code that conforms.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/lint/fixtures');

const MACHINE = '@typescript-eslint/no-restricted-imports';
const LAYERS = 'no-restricted-imports';
const HATCH = 'no-restricted-syntax';

interface Expected {
  rule: string;
  line: number;
  /** A part of the message that says which rule and why. */
  says: string;
}

interface Case {
  fixture: string;
  /** Where the fixture is linted as if it lived (relative to the repository). */
  as: string;
  expect: Expected[];
}

const CASES: Case[] = [
  // machine modules: only the seams touch the machine
  {
    fixture: 'machine-bare-fs.ts',
    as: 'src/policy/read.ts',
    expect: [{ rule: MACHINE, line: 2, says: "'fs' import is restricted" }],
  },
  {
    fixture: 'machine-node-child-process.ts',
    as: 'src/ledger/run.ts',
    expect: [{ rule: MACHINE, line: 2, says: 'It reaches processes and threads' }],
  },
  {
    fixture: 'machine-surface-net.ts',
    as: 'src/api/routes/socket.ts',
    expect: [{ rule: MACHINE, line: 2, says: 'It reaches the network' }],
  },
  { fixture: 'machine-clean-logic.ts', as: 'src/metrics/digest.ts', expect: [] },
  { fixture: 'machine-clean-seam.ts', as: 'src/host/linux/read.ts', expect: [] },
  {
    fixture: 'browser-node-module.ts',
    as: 'src/console/lib/label.ts',
    expect: [
      { rule: MACHINE, line: 2, says: 'Node modules do not exist in the browser' },
      { rule: MACHINE, line: 3, says: 'Node modules do not exist in the browser' },
    ],
  },
  {
    fixture: 'browser-node-module.ts',
    as: 'src/contract/label.ts',
    expect: [
      { rule: MACHINE, line: 2, says: 'Node modules do not exist in the browser' },
      { rule: MACHINE, line: 3, says: 'Node modules do not exist in the browser' },
    ],
  },
  // escape hatches: import() and process.getBuiltinModule outside the seams
  {
    fixture: 'machine-dynamic-import.ts',
    as: 'src/inventory/read.ts',
    expect: [
      { rule: HATCH, line: 3, says: 'import() escapes the fence' },
      { rule: HATCH, line: 7, says: 'process.getBuiltinModule' },
    ],
  },
  // layers: surfaces → use cases → logic → host
  {
    fixture: 'layers-logic-up.ts',
    as: 'src/ledger/up.ts',
    expect: [
      { rule: LAYERS, line: 2, says: 'src/ledger must not import src/api. Logic never imports' },
      { rule: LAYERS, line: 3, says: 'src/ledger must not import src/daemon. Logic never' },
      { rule: LAYERS, line: 4, says: 'src/ledger must not import src/allocation. Logic never' },
      {
        rule: LAYERS,
        line: 5,
        says: 'src/ledger must not import src/metrics. It sits above src/ledger',
      },
      {
        rule: LAYERS,
        line: 6,
        says: 'src/ledger must not import src/host/sim. It receives a Host',
      },
    ],
  },
  // (As src/policy: the ledger itself may not import the seam's Host type, see ledger-host.ts.)
  { fixture: 'layers-logic-down.ts', as: 'src/policy/down.ts', expect: [] },
  {
    // Two folders deeper the same text names folders inside src/metrics: the rule reads where a
    // specifier leads, not the names in it (layers-host-up.ts shows a deep import that does fire).
    fixture: 'layers-logic-up.ts',
    as: 'src/metrics/collectors/deep/up.ts',
    expect: [],
  },
  {
    fixture: 'layers-host-up.ts',
    as: 'src/host/sim/kernel/up.ts',
    expect: [
      { rule: LAYERS, line: 2, says: 'src/host must not import src/inventory. src/host is' },
      { rule: LAYERS, line: 3, says: 'src/host/sim must not import src/host/linux.' },
    ],
  },
  {
    fixture: 'layers-console.ts',
    as: 'src/console/pages/Page.tsx',
    expect: [
      { rule: LAYERS, line: 4, says: 'src/console must not import src/ledger. The console' },
      { rule: LAYERS, line: 5, says: 'src/console must not import src/api. The console' },
    ],
  },
  {
    fixture: 'layers-surfaces.ts',
    as: 'src/integrations/kubernetes/plugin.ts',
    expect: [
      { rule: LAYERS, line: 4, says: 'src/integrations must not import src/api.' },
      { rule: LAYERS, line: 5, says: 'src/integrations must not import src/daemon.' },
    ],
  },
  {
    // An integration reaches the host only through the allocation service.
    fixture: 'layers-integration.ts',
    as: 'src/integrations/kubernetes/device-plugin.ts',
    expect: [
      { rule: LAYERS, line: 2, says: 'src/integrations must not import src/ledger/store.' },
      { rule: LAYERS, line: 3, says: 'src/integrations must not import src/ledger/sqlite.' },
      { rule: LAYERS, line: 4, says: 'src/integrations must not import src/executor.' },
      { rule: LAYERS, line: 5, says: "'Host' import from '../../host/host.js' is restricted" },
      {
        rule: LAYERS,
        line: 5,
        says: "'HostWriter' import from '../../host/host.js' is restricted",
      },
      { rule: LAYERS, line: 6, says: 'src/integrations must not import src/host/sim.' },
    ],
  },
  { fixture: 'layers-integration-clean.ts', as: 'src/integrations/libvirt/hook.ts', expect: [] },
  {
    fixture: 'layers-surfaces.ts',
    as: 'src/allocation/steps/attach-step.ts',
    expect: [
      { rule: LAYERS, line: 4, says: 'src/allocation must not import src/api. A use case' },
      { rule: LAYERS, line: 5, says: 'src/allocation must not import src/daemon. A use case' },
    ],
  },
  {
    fixture: 'layers-api-daemon.ts',
    as: 'src/api/routes/policy-ops.ts',
    expect: [
      {
        rule: LAYERS,
        line: 2,
        says: 'src/api must not import src/daemon. The daemon composes the API',
      },
    ],
  },
  // surfaces never reach a store: not by import, not through an object
  {
    fixture: 'surface-store.ts',
    as: 'src/api/routes/list.ts',
    expect: [
      { rule: LAYERS, line: 2, says: 'src/api must not import src/ledger/store. Surfaces never' },
      { rule: HATCH, line: 6, says: 'Surfaces never reach a store' },
      { rule: HATCH, line: 7, says: 'Surfaces never reach a store' },
    ],
  },
  {
    fixture: 'surface-store.ts',
    // The daemon composes the store (it may name its type) but reads nothing through one.
    as: 'src/daemon/loops/list.ts',
    expect: [
      { rule: HATCH, line: 6, says: 'Surfaces never reach a store' },
      { rule: HATCH, line: 7, says: 'Surfaces never reach a store' },
    ],
  },
  { fixture: 'surface-scoped-reader.ts', as: 'src/cli/commands/list.ts', expect: [] },
  // the ledger holds no Host
  {
    fixture: 'ledger-host.ts',
    as: 'src/ledger/held.ts',
    expect: [
      {
        rule: LAYERS,
        line: 2,
        says: 'src/ledger must not import src/host/host. The ledger holds no Host',
      },
    ],
  },
  { fixture: 'layers-composition.ts', as: 'src/cli/commands/compose.ts', expect: [] },
  {
    fixture: 'layers-seam-still-layered.ts',
    as: 'src/ledger/sqlite/api.ts',
    expect: [{ rule: LAYERS, line: 3, says: 'src/ledger must not import src/api.' }],
  },
];

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function lintAs(fixture: string, as: string): Promise<Expected[]> {
  const code = readFileSync(join(FIXTURES, fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, as) });
  return (result?.messages ?? []).map((m) => ({
    rule: m.ruleId ?? '(fatal)',
    line: m.line,
    says: m.message,
  }));
}

describe('the lint fence', () => {
  it.each(CASES)('$fixture linted as $as', async ({ fixture, as, expect: wanted }) => {
    const got = await lintAs(fixture, as);
    expect(got).toHaveLength(wanted.length);
    wanted.forEach((w, i) => {
      expect(got[i]).toMatchObject({ rule: w.rule, line: w.line });
      expect(got[i]!.says).toContain(w.says);
    });
  });

  it('has a firing and a quiet case for each rule, and uses every fixture', () => {
    for (const rule of [MACHINE, LAYERS, HATCH]) {
      expect(CASES.some((c) => c.expect.some((e) => e.rule === rule))).toBe(true);
    }
    expect(CASES.filter((c) => c.expect.length === 0).length).toBeGreaterThanOrEqual(3);
    const used = new Set(CASES.map((c) => c.fixture));
    expect(readdirSync(FIXTURES).filter((f) => !used.has(f))).toEqual([]);
  });

  it('applies the layer rule to every file in src/', async () => {
    const uncovered: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const config = (await eslint.calculateConfigForFile(file)) as {
        rules?: Record<string, unknown>;
      };
      const rule = config.rules?.[LAYERS] as [unknown, { patterns?: unknown[] }?] | undefined;
      if (!rule?.[1]?.patterns?.length) uncovered.push(relative(ROOT, file));
    }
    expect(uncovered).toEqual([]);
  });

  it('lists only seams that exist, each with its reason', async () => {
    const config = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as {
      SEAMS: { files: string[]; why: string }[];
    };
    for (const seam of config.SEAMS) {
      expect(seam.why.length).toBeGreaterThan(10);
      for (const pattern of seam.files) {
        const path = join(ROOT, pattern.replace(/\/\*\*$/, ''));
        expect(existsSync(path), pattern).toBe(true);
        if (pattern.endsWith('/**')) expect(statSync(path).isDirectory(), pattern).toBe(true);
      }
    }
  });
});
