// The CLI on VFs that could get stuck: a pool whose driver this host cannot do says so when it is
// created and lists its VFs as unusable with the fix; `detach --force` releases a `failed`
// attachment the kernel will not scrub. On the simulated host booted without an IOMMU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../../src/ledger/types.js';
import { openApiFixture, type ApiFixture } from '../../support/api-fixture.js';
import { runCli, type CliRun } from './run-cli.js';

let f: ApiFixture;
let admin: string;

beforeAll(async () => {
  f = await openApiFixture({ fixture: 'iommu-off', db: 'memory' });
  admin = (await f.token('cli-admin', 'admin')).secret;
});

afterAll(async () => {
  await f.close();
});

const cli = (argv: string[]): Promise<CliRun> =>
  runCli(argv, { SRIOVCTL_API: f.url, SRIOVCTL_TOKEN: admin });

describe('a pool whose driver this host cannot do', () => {
  it('is created with a warning and the fix, and `pool vfs` shows why each VF is unusable', async () => {
    const created = await cli(['pool', 'create', 'x710', '--pf-names', 'ens2f0']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('Created pool x710: 2 VFs on this host match.\n');
    expect(created.stderr).toContain(
      'sriovctl: none of them can be attached on vfio-pci here: 2 without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
    );
    expect(created.stderr).toMatch(/fix: enable the IOMMU/);
    const vfs = await cli(['pool', 'vfs', 'x710']);
    expect(vfs.code).toBe(0);
    expect(vfs.stdout.match(/unusable/g)).toHaveLength(3);
    expect(vfs.stdout).toContain(
      'unusable: 2 VFs without an IOMMU group (the IOMMU is off), so vfio-pci cannot take them',
    );
    const show = await cli(['pool', 'show', 'x710']);
    expect(show.stdout).toMatch(/free: +0\n/);
    expect(show.stdout).toMatch(/unusable: +2 without an IOMMU group/);
  });
});

describe('detach --force', () => {
  it('releases a failed attachment the kernel will not scrub, and says it was not scrubbed', async () => {
    expect(
      (await cli(['pool', 'create', 'kernel', '--pf-names', 'ens2f0', '--vf-driver', 'host'])).code,
    ).toBe(0);
    expect(
      (await cli(['tenant', 'create', 'team-a', '--pools', 'kernel', '--vlans', '100'])).code,
    ).toBe(0);
    const attached = await cli([
      'attach',
      '--tenant',
      'team-a',
      '--pool',
      'kernel',
      '--consumer',
      'vm:web-1',
      '--json',
    ]);
    expect(attached.code).toBe(0);
    const a = (JSON.parse(attached.stdout) as { attachments: Attachment[] }).attachments[0]!;
    f.host.faults.add({ op: 'netlink', target: `ens2f0 vf ${a.vfIndex}`, errno: 'EIO', times: 50 });
    const failed = await cli(['detach', a.id]);
    expect(failed.code).toBe(70);
    expect(failed.stderr).toContain(`sriovctl detach --force ${a.id}`);
    const forced = await cli(['detach', '--force', a.id]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(
      new RegExp(
        `^Released ${a.id}: VF ${a.vfIndex} of ens2f0 is back in pool kernel WITHOUT a scrub`,
      ),
    );
    f.host.faults.clear();
  });
});

describe('serve --kernel-timeout', () => {
  it('takes seconds and refuses anything else with the flag, the value and what it expects', async () => {
    for (const bad of ['0', '-5', 'soon']) {
      const r = await runCli(['--sim', 'serve', '--kernel-timeout', bad]);
      expect(r.code).toBe(64);
      expect(r.stderr).toContain(
        `--kernel-timeout ${JSON.stringify(bad)}: expected a positive number of seconds`,
      );
    }
  });
});
