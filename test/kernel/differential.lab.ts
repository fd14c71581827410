// Differential fidelity: the scenario on the real kernel and on the simulator's mirror of this
// guest must give identical answers and states after every step. A difference is a simulator bug.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSimHost } from '../../src/host/sim/index.js';
import { runScenario, type StepRecord } from './differential/scenario.js';
import { labHost, nvmePf } from './support.js';

/** JSON with object keys sorted, so key order (an artefact of construction) never counts. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

function firstDifference(real: StepRecord[], sim: StepRecord[]): string | null {
  for (let i = 0; i < Math.max(real.length, sim.length); i++) {
    const a = real[i];
    const b = sim[i];
    if (canonical(a) !== canonical(b)) {
      return [
        `step ${i + 1}: ${a?.step ?? '(missing)'} | ${b?.step ?? '(missing)'}`,
        `  real kernel: ${canonical(a)}`,
        `  simulator:   ${canonical(b)}`,
      ].join('\n');
    }
  }
  return null;
}

test('the simulator answers every step of the scenario exactly as the real kernel does', async () => {
  const real = await labHost();
  const sim = await loadSimHost('qemu-nvme-lab', { timing: 'off' });
  try {
    const onReal = await runScenario({ host: real, pf: await nvmePf(real), nsimId: 11 });
    const onSim = await runScenario({ host: sim, pf: await nvmePf(sim), nsimId: 11 });
    const diff = firstDifference(onReal, onSim);
    assert.equal(diff, null, diff ?? '');
    assert.ok(onReal.length > 30, `only ${onReal.length} steps ran`);
  } finally {
    sim.close();
  }
});
