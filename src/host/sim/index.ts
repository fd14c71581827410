/** The simulated Linux 6.1 host: load a fixture, get a Host that behaves like the real kernel. */
import { bootFixture } from './boot.js';
import type { Fixture } from './fixture-schema.js';
import { DEFAULT_FIXTURE, loadFixture, parseFixture } from './fixture-loader.js';
import { SimHost } from './sim-host.js';
import { Timing } from './timing.js';

export { DEFAULT_FIXTURE, FIXTURES_DIR, listFixtures, parseFixture } from './fixture-loader.js';
export type { Fixture, FixtureDevice } from './fixture-schema.js';
export { SimHost, type JournalEntry } from './sim-host.js';
export type { FaultSpec } from './faults.js';
export type { TrafficRates } from './kernel.js';
export { visibleVfCount } from './netlink.js';
export {
  JOURNAL_FORMAT,
  JOURNAL_VERSION,
  openPersistentSimHost,
  PersistentSimHost,
  type PersistentSimOptions,
} from './persist.js';
export { ensureSimStateDir, resetSimState, simStateDir, simStateFile } from './state-file.js';
export { SimStateBusyError, stateHolder } from './state-lock.js';

export interface SimOptions {
  /** 'realistic' (default) costs time like real drivers; 'off' makes every operation instant; a number scales. */
  timing?: 'realistic' | 'off' | number;
  /** Clock for transient windows and traffic counters (ms); defaults to Date.now. */
  clock?: () => number;
}

function timingOf(t: SimOptions['timing']): Timing {
  if (t === 'off') return new Timing(0);
  if (typeof t === 'number') return new Timing(t);
  return new Timing(1);
}

/** Boots a simulated host from an already-validated fixture object. */
export async function bootSimHost(
  fixture: Fixture,
  opts: SimOptions = {},
  fixturePath?: string,
): Promise<SimHost> {
  const { kernel, routes } = await bootFixture(fixture, {
    timing: timingOf(opts.timing),
    clock: opts.clock ?? Date.now,
  });
  return new SimHost(
    kernel,
    { kind: 'sim', name: fixture.name, ...(fixturePath ? { fixture: fixturePath } : {}) },
    routes,
  );
}

/** Loads a shipped fixture by name (or a YAML file by path) and boots it. */
export async function loadSimHost(
  nameOrPath: string = DEFAULT_FIXTURE,
  opts: SimOptions = {},
): Promise<SimHost> {
  // Shipped fixtures are described by name, custom ones by the path the user gave.
  const { fixture } = loadFixture(nameOrPath);
  return bootSimHost(fixture, opts, nameOrPath);
}

/** Parses fixture text (for tests of malformed input) and boots it. */
export async function simHostFromYaml(
  text: string,
  opts: SimOptions = {},
  file = '<inline>',
): Promise<SimHost> {
  return bootSimHost(parseFixture(text, file), opts);
}
