// Kernel operations in the daemon have a deadline (`serve --kernel-timeout`): an attach whose
// netlink write never returns fails at it instead of holding its VF in `attaching` (and, once a
// policy apply waits behind it, every attach at 503) for as long as the write hangs. Its VF stays
// out of the pool until the write does return; then a reconcile compares it with the kernel and
// releases it. Over real HTTP against the daemon on the simulated host.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApplyStarted } from '../../../src/daemon/policy-ops.js';
import type { Attachment } from '../../../src/ledger/types.js';
import type { ProblemBody } from '../../support/api-fixture.js';
import { GROW } from '../../support/policy-texts.js';
import { openConsoleFixture, type ConsoleFixture } from './console-fixture.js';

let f: ConsoleFixture;

beforeEach(async () => {
  // Short enough that the test does not wait; nothing here measures it.
  f = await openConsoleFixture({ daemon: { kernelTimeoutMs: 50 } });
  await f.arrangeTenants();
});

afterEach(async () => {
  f.host.faults.releaseHangs();
  await f.close();
});

const attachPod = (name: string) =>
  f.as('a-operator', 'POST', '/attachments', {
    tenant: 'team-a',
    pool: 'shared',
    consumer: { kind: 'pod', name },
  });

describe('a netlink write that never returns', () => {
  it('fails its attach at the deadline; the apply waiting behind it runs; attaches work again', async () => {
    f.host.faults.add({ op: 'netlink', target: 'ens2f0np0 vf 0', hang: true });
    const hung = attachPod('slow');
    await vi.waitFor(() => expect(f.host.faults.fired).toHaveLength(1));
    const started = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(started.status).toBe(202);
    const { since, operation } = started.body as ApplyStarted;

    const failed = await hung;
    expect(failed.status).toBe(502);
    const p = failed.body as ProblemBody & { errno: string };
    expect(p.errno).toBe('ETIMEDOUT');
    expect(p.detail).toMatch(
      /^the kernel did not answer in time configuring VF 0 of ens2f0np0: ip -batch: no answer within 50 ms/,
    );
    expect(p.fix).toContain('until the kernel answers and a reconcile scrubs and releases them');

    const s = await f.events('admin', { lastEventId: since });
    expect(
      (await s.waitForEvent('apply.done', (e) => e.data.operation === operation)).data,
    ).toMatchObject({ ok: true });
    s.close();

    // The write still has not returned: its VF is held, the next attach gets another one.
    const [row] = (await f.daemon.ledger.store.listAttachments({ pool: 'shared' })) as Attachment[];
    expect(row).toMatchObject({ vfIndex: 0, state: 'failed' });
    expect(row!.detail).toMatch(/^the kernel did not answer in time/);
    const next = await attachPod('next');
    expect(next.status).toBe(201);
    expect((next.body as { attachments: Attachment[] }).attachments[0]!.vfIndex).toBe(1);
    const refused = await f.as('a-operator', 'DELETE', `/attachments/${row!.id}`);
    expect(refused.status).toBe(409);
    expect((refused.body as ProblemBody).fix).toContain(`sriovctl detach --force ${row!.id}`);

    // The write returns at last: a reconcile scrubs VF 0 and releases it.
    f.host.faults.releaseHangs();
    await vi.waitFor(async () =>
      expect(await f.daemon.ledger.store.getAttachment(row!.id)).toBeNull(),
    );
    const vf0 = f.host.pf('ens2f0np0').sriov!.vfState[0]!;
    expect([vf0.mac, vf0.vlan]).toEqual(['00:00:00:00:00:00', 0]);
  });
});
