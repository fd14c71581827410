/**
 * `npm run bench:compare -- DIR [name...] [--rounds N]`: runs the same benchmarks of two checkouts
 * of sriovctl in one process, alternating between them round by round, and prints each figure's
 * median for both and their ratio. DIR is the other checkout (e.g. a `git worktree add` of the
 * commit before a refactor, with its node_modules and, for `console`, its dist/ built); this
 * checkout is "after". Both sides see the same machine noise, so the after/before ratio is the
 * figure to read: within a few per cent is noise on a shared machine.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './harness.js';

/** One headline figure of a benchmark result, and which way is better. */
interface Figure {
  name: string;
  value: number;
  unit: string;
  better: 'lower' | 'higher';
}

type Extract = (result: Record<string, unknown>) => Figure[];

const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`no number at ${what}`);
  return v;
};
const rec = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) throw new Error(`no object at ${what}`);
  return v as Record<string, unknown>;
};
const medianOf = (v: unknown, what: string): number => {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`no samples at ${what}`);
  return median(v.map((x, i) => num(x, `${what}[${i}]`)));
};
const ms = (name: string, value: number): Figure => ({ name, value, unit: 'ms', better: 'lower' });

/** The benchmarks compared: module file, exported function, and the figures taken from it. */
const BENCHES: Record<string, { file: string; fn: string; figures: Extract }> = {
  discovery: {
    file: 'discovery.ts',
    fn: 'benchDiscovery',
    figures: (r) => [
      ms('discover 8 PFs × 256 VFs', num(rec(r.subject, 'subject').medianMs, 'subject.medianMs')),
    ],
  },
  'apply-sim': {
    file: 'apply-sim.ts',
    fn: 'benchApply',
    figures: (r) => [ms('apply 2048 VFs (simulator)', medianOf(r.oursMs, 'oursMs'))],
  },
  api: {
    file: 'api.ts',
    fn: 'benchApi',
    figures: (r) => [
      {
        name: 'attach+detach pairs',
        value: num(r.pairsPerS, 'pairsPerS'),
        unit: '/s',
        better: 'higher',
      },
      ms('attach+detach p99', num(r.p99Ms, 'p99Ms')),
    ],
  },
  metrics: {
    file: 'metrics.ts',
    fn: 'benchMetrics',
    figures: (r) => [
      ms(
        '/metrics scrape, 2048 VFs',
        num(rec(rec(r.scrape, 'scrape').subject, 'scrape.subject').medianMs, 'scrape'),
      ),
      ms(
        '/metrics render',
        num(rec(rec(r.render, 'render').subject, 'render.subject').medianMs, 'render'),
      ),
    ],
  },
  console: {
    file: 'console.ts',
    fn: 'benchConsole',
    figures: (r) => [
      ms('Devices ready, cold', medianOf(r.devicesColdMs, 'devicesColdMs')),
      ms('Devices ready, reload', medianOf(r.devicesWarmMs, 'devicesWarmMs')),
      ms('filter 2048 → 1', medianOf(r.filterMs, 'filterMs')),
    ],
  },
};

function usage(problem: string): never {
  console.error(`bench:compare: ${problem}
usage: npm run bench:compare -- DIR [${Object.keys(BENCHES).join(' | ')} ...] [--rounds N]`);
  process.exit(64);
}

const args = process.argv.slice(2);
let rounds = 3;
const names: string[] = [];
let otherDir: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--rounds') {
    const n = Number(args[++i]);
    if (!Number.isInteger(n) || n < 1 || n > 20)
      usage(`--rounds takes a whole number from 1 to 20, not ${JSON.stringify(args[i])}`);
    rounds = n;
  } else if (otherDir === undefined) otherDir = resolve(a);
  else if (a in BENCHES) names.push(a);
  else usage(`unknown benchmark ${JSON.stringify(a)}`);
}
if (otherDir === undefined) usage('name the other checkout (DIR)');
if (!existsSync(`${otherDir}/bench/harness.ts`))
  usage(`${otherDir} is not a sriovctl checkout with benchmarks (no bench/harness.ts)`);
const here = resolve(import.meta.dirname, '..');
if (otherDir === here) usage('DIR is this checkout; name another one');
const wanted = names.length > 0 ? names : Object.keys(BENCHES);

type Side = 'before' | 'after';
const roots: Record<Side, string> = { before: otherDir, after: here };
const samples = new Map<string, Record<Side, number[]> & { figure: Figure }>();

async function runOne(side: Side, name: string): Promise<void> {
  const b = BENCHES[name]!;
  // Some benchmarks start the daemon as `bin/sriovctl.js` relative to the working directory.
  process.chdir(roots[side]);
  const mod = (await import(pathToFileURL(`${roots[side]}/bench/${b.file}`).href)) as Record<
    string,
    unknown
  >;
  const fn = mod[b.fn];
  if (typeof fn !== 'function') throw new Error(`${roots[side]}/bench/${b.file} has no ${b.fn}`);
  const result = rec(await (fn as () => Promise<unknown>)(), `${side} ${name}`);
  for (const f of b.figures(result)) {
    const key = `${name}: ${f.name}`;
    const s = samples.get(key) ?? { before: [], after: [], figure: f };
    s[side].push(f.value);
    samples.set(key, s);
  }
}

console.log(`comparing ${roots.before} (before) with ${roots.after} (after), ${rounds} rounds`);
for (let round = 0; round < rounds; round++)
  for (const name of wanted) {
    // Alternate which side goes first so neither always runs on the warmer machine.
    const order: Side[] = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const side of order) {
      process.stderr.write(`round ${round + 1}/${rounds}: ${name} (${side})\n`);
      await runOne(side, name);
    }
  }

const rows = [...samples.entries()].map(([key, s]) => {
  const before = median(s.before);
  const after = median(s.after);
  const ratio = after / before;
  // "worse" in the benchmark's own direction, so a reader need not remember which way is good.
  const worse = s.figure.better === 'lower' ? ratio : 1 / ratio;
  return { key, unit: s.figure.unit, before, after, ratio, worse };
});
const w = Math.max(...rows.map((r) => r.key.length));
console.log(
  `${'figure'.padEnd(w)}  ${'before'.padStart(10)}  ${'after'.padStart(10)}  after/before  cost`,
);
for (const r of rows)
  console.log(
    `${r.key.padEnd(w)}  ${r.before.toFixed(1).padStart(8)}${r.unit.padEnd(2)}  ${r.after.toFixed(1).padStart(8)}${r.unit.padEnd(2)}  ${r.ratio.toFixed(3).padStart(12)}  ${r.worse.toFixed(3)}×`,
  );
console.log('(cost: how much worse "after" is in the figure\'s own direction; 1.000 = same)');
process.exit(0);
