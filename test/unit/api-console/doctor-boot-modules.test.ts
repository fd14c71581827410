// GET /doctor checks the installed policies' boot modules too (boot.modules), as `sriovctl doctor`
// does: absent while nothing is installed, a warning once a vfio-pci policy is installed while
// nothing loads vfio_pci at the next boot, a pass once modules-load.d lists it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/doctor/types.js';
import { openConsoleFixture, type ConsoleFixture } from './console-fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await openConsoleFixture();
});
afterAll(async () => {
  await f.close();
});

const POLICY = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: passthrough }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 2
  vfGroups:
    - { range: 0-1, driver: vfio-pci }
`;

async function bootCheck(): Promise<CheckResult | undefined> {
  const r = (await f.as('viewer', 'GET', '/doctor')).body as { results: CheckResult[] };
  return r.results.find((c) => c.id === 'boot.modules');
}

describe('GET /doctor: boot.modules', () => {
  it('follows what is installed on the daemon’s host', async () => {
    expect(await bootCheck()).toBeUndefined();
    await f.host.writeConfigFile('/etc/sriovctl/policies.d/passthrough.yaml', POLICY);
    const listedNowhere = await bootCheck();
    // vfio-pci is loaded on this fixture: loaded now, but nothing loads it at the next boot.
    expect(listedNowhere).toMatchObject({ status: 'warn', scope: 'host' });
    await f.host.writeConfigFile('/etc/modules-load.d/sriovctl.conf', 'vfio_pci\n');
    expect(await bootCheck()).toMatchObject({ status: 'pass' });
  });
});
