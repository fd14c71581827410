// Only the executor writes to the machine. The seam's type is split so that logic receives a
// HostReader, which has no write methods (tsc checks the expectTypeOf lines below as part of
// `npm test`), and no module outside src/executor/ and the seam's implementations calls one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Host, HostReader, HostWriter } from '../../../src/host/host.js';
import { discover } from '../../../src/inventory/discover.js';
import { InventoryCache } from '../../../src/inventory/inventory-cache.js';
import { TrafficSampler } from '../../../src/metrics/traffic.js';
import { gatherBootModuleFacts } from '../../../src/boot/boot-modules.js';
import { installedNow, planUninstall } from '../../../src/boot/install.js';
import { loadAppliedState } from '../../../src/boot/state.js';

const SRC = join(import.meta.dirname, '../../../src');
const WRITES = [
  'writeFile',
  'writeConfigFile',
  'removeConfigFile',
  'linkApply',
  'devlinkSetEswitchMode',
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : /\.tsx?$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

describe('the executor is the only writer', () => {
  it('a HostReader has none of the write methods, and Host is reader and writer', () => {
    expectTypeOf<HostReader>().not.toHaveProperty('writeFile');
    expectTypeOf<HostReader>().not.toHaveProperty('writeConfigFile');
    expectTypeOf<HostReader>().not.toHaveProperty('removeConfigFile');
    expectTypeOf<HostReader>().not.toHaveProperty('linkApply');
    expectTypeOf<HostReader>().not.toHaveProperty('devlinkSetEswitchMode');
    expectTypeOf<Host>().toEqualTypeOf<HostReader & HostWriter>();
  });

  it('logic takes only the reader', () => {
    expectTypeOf(discover).parameter(0).toEqualTypeOf<HostReader>();
    expectTypeOf(loadAppliedState).parameter(0).toEqualTypeOf<HostReader>();
    expectTypeOf(installedNow).parameter(0).toEqualTypeOf<HostReader>();
    expectTypeOf(planUninstall).parameter(0).toEqualTypeOf<HostReader>();
    expectTypeOf(gatherBootModuleFacts).parameter(0).toEqualTypeOf<HostReader>();
    expectTypeOf<ConstructorParameters<typeof InventoryCache>[0]>().toEqualTypeOf<HostReader>();
    expectTypeOf<ConstructorParameters<typeof TrafficSampler>[0]>().toEqualTypeOf<HostReader>();
  });

  it('no module outside src/executor and the seam calls a write method of the host', () => {
    const call = new RegExp(`\\.(${WRITES.join('|')})\\(`);
    const offenders = tsFiles(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !f.startsWith('executor/') && !f.startsWith('host/'))
      .flatMap((f) =>
        readFileSync(join(SRC, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ f, line, n: i + 1 }))
          .filter((l) => call.test(l.line) && !/^\s*(\/\/|\*)/.test(l.line))
          .map((l) => `src/${l.f}:${l.n}: ${l.line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});
