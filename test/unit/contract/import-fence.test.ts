// The contract's import fence (eslint.config.js): src/contract loads zod and its own modules only,
// so browsers can load it and every layer may import it; the console loads only its zod-free
// modules at runtime. Each case lints a line of source as if it were in the file named.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** The messages of the contract's import rule for `code` linted as `file`. */
async function fenced(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: file });
  return r!.messages
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('src/contract imports zod and its own modules only', () => {
  const file = 'src/contract/example.ts';
  it.each([
    ["import { readFile as x } from 'node:fs';", /Node modules do not exist in the browser/],
    ["import { readFile as x } from 'fs';", /Node modules do not exist in the browser/],
    ["import { LedgerError as x } from '../ledger/errors.js';", /nothing else of sriovctl/],
    ["import type { PciAddress as x } from '../host/names.js';", /nothing else of sriovctl/],
    ["import type { Host as x } from '../host/host.js';", /nothing else of sriovctl/],
    ["import x from 'fastify';", /zod and its own modules only/],
  ])('refuses %s', async (code, why) => {
    const messages = await fenced(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(why);
  });
  it.each([
    "import { z as x } from 'zod';",
    "import * as x from 'zod/mini';",
    "import { resourceName as x } from './fields.js';",
  ])('lets %s through', async (code) => {
    expect(await fenced(file, code)).toEqual([]);
  });
});

describe('the console loads only the zod-free modules of the contract', () => {
  const file = 'src/console/pages/Example.tsx';
  it.each([
    ["import { z as x } from 'zod';", /does not load zod/],
    ["import { join as x } from 'node:path';", /Node modules do not exist in the browser/],
    ["import { format as x } from 'util';", /Node modules do not exist in the browser/],
    ["import { tenantSpec as x } from '../../contract/index.js';", /Import types only/],
    ["import { attachRequest as x } from '../../contract/attachments.js';", /Import types only/],
  ])('refuses %s', async (code, why) => {
    const messages = await fenced(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(why);
  });
  it.each([
    "import type { Tenant as x } from '../../contract/index.js';",
    "import type { z as x } from 'zod';",
    "import { readProblem as x } from '../../contract/problem.js';",
    "import { ApiCore as x } from '../../contract/client.js';",
    "import { shortAttachmentId as x } from '../../contract/attachment-id.js';",
  ])('lets %s through', async (code) => {
    expect(await fenced(file, code)).toEqual([]);
  });
});
