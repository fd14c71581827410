// VFs without a network over the daemon's API and the CLI, on the simulated QEMU NVMe host: an
// NVMe pool attaches (201, no MAC, no PF netdev), refuses a VLAN with the field, and every view
// copes — the pool's VFs, the attachments table, capacity, /metrics and the CLI tables.
import { shortAttachmentId } from '../../../src/contract/attachment-id.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../../src/ledger/types.js';
import type { ProblemBody } from '../../support/api-fixture.js';
import { runCli } from '../cli/run-cli.js';
import { openConsoleFixture, type ConsoleFixture } from './console-fixture.js';

const NVME = '0000:00:02.0';
let f: ConsoleFixture;

beforeAll(async () => {
  f = await openConsoleFixture({ fixture: 'qemu-nvme-lab' });
  await f.host.writeFile(`/sys/bus/pci/devices/${NVME}/sriov_numvfs`, '3');
  // The ledger's snapshot predates the VFs: discover again, as the daemon does on a link event.
  await f.daemon.allocation.inventory.refresh();
  const put = await f.as('admin', 'PUT', '/pools/nvme', { selector: { pciAddresses: [NVME] } });
  expect(put.status).toBe(200);
  const t = await f.as('admin', 'PUT', '/tenants/team-a', { pools: ['nvme'], vlans: '100' });
  expect(t.status).toBe(200);
});

afterAll(async () => {
  await f.close();
});

const cli = (argv: string[]) =>
  runCli(argv, { SRIOVCTL_API: f.url, SRIOVCTL_TOKEN: f.tokens.admin });

describe('an NVMe pool', () => {
  let a: Attachment;

  it('lists its VFs as free, attaches one on vfio-pci, and refuses a VLAN naming the field', async () => {
    const vfs = (await f.as('admin', 'GET', '/pools/nvme/vfs')).body as {
      items: { status: string; pfNetdev: string | null }[];
    };
    expect(vfs.items.map((v) => [v.status, v.pfNetdev])).toEqual([
      ['free', null],
      ['free', null],
      ['free', null],
    ]);
    const refused = await f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'nvme',
      consumer: { kind: 'vm', name: 'db-1' },
      vlan: 100,
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ field: 'vlan', code: 'not-a-network-vf' });
    expect((refused.body as ProblemBody).detail).toContain('take no network settings');

    const r = await f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'nvme',
      consumer: { kind: 'vm', name: 'db-1' },
    });
    expect(r.status).toBe(201);
    a = (r.body as { attachments: Attachment[] }).attachments[0]!;
    expect(a).toMatchObject({ pf: NVME, pfNetdev: null, mac: null, vfIndex: 0, state: 'attached' });
  });

  it('shows in capacity and /metrics under its PF address', async () => {
    const cap = (await f.as('admin', 'GET', '/capacity')).body as {
      pfs: { pf: string; netdev: string | null; allocatedVfs: number; freeVfs: number }[];
    };
    expect(cap.pfs.find((p) => p.pf === NVME)).toMatchObject({
      netdev: null,
      allocatedVfs: 1,
      freeVfs: 2,
    });
    const m = await f.req('GET', '/metrics', { token: f.tokens.admin });
    expect(m.status).toBe(200);
    const line = m.text.split('\n').find((l) => l.startsWith(`sriov_vf_info{pf="${NVME}",vf="0"`));
    expect(line).toContain('driver="vfio-pci"');
    expect(line).toContain('tenant="team-a"');
    expect(line).not.toContain('mac=');
  });

  it('renders in the CLI tables with "-" for what it does not have', async () => {
    const list = await cli(['attachments']);
    expect(list.code).toBe(0);
    // Tables show an attachment ID's last 8 hex digits (issue 14).
    const row = list.stdout.split('\n').find((l) => l.startsWith(shortAttachmentId(a.id)))!;
    expect(row.split(/\s{2,}/)).toEqual([
      shortAttachmentId(a.id),
      'team-a',
      'nvme',
      `vm:db-1@${a.consumer.host}`,
      'net0',
      `${NVME}#0`,
      '-',
      '-',
      '-',
      'attached',
    ]);
    const vfs = await cli(['pool', 'vfs', 'nvme']);
    expect(vfs.code).toBe(0);
    expect(vfs.stdout).toContain(`${NVME}#0`);
    const detached = await cli(['detach', a.id]);
    expect(detached.stdout).toBe(
      `Detached ${a.id}: VF 0 of ${NVME} scrubbed and back in pool nvme (was net0 of vm:db-1@${a.consumer.host}).\n`,
    );
  });
});
