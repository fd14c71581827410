// Policies from the console over real HTTP: plan with disruptive steps and the attachments they
// would touch, located errors for bad policy text, apply refused without confirmation or an
// override, apply progress arriving on the events stream in order while the simulated host
// changes, one apply at a time, a failing step, reconcile restoring consumers' VFs afterwards, and
// attaches and detaches kept off the host while an apply holds it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApplyStarted, PlanAnswer } from '../../../src/daemon/policy-ops.js';
import { loadSimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import type { DaemonEvent } from '../../../src/metrics/events.js';
import { parsePolicyDocuments, resolvePolicies } from '../../../src/policy/index.js';
import type { ProblemBody } from '../../support/api-fixture.js';
import { openConsoleFixture, PRINCIPALS, type ConsoleFixture } from './console-fixture.js';
import { farPolicy, GROW, SHRINK } from '../../support/policy-texts.js';
import { aliasBomb } from '../../support/yaml-bomb.js';

let f: ConsoleFixture;

beforeEach(async () => {
  f = await openConsoleFixture();
});

afterEach(async () => {
  await f.close();
});

async function numVfs(netdev: string): Promise<number> {
  const inv = await discover(f.host);
  return inv.pfs.find((p) => p.netdev === netdev)!.numVfs;
}

/** The apply's events, from its start to its apply.done, as the admin's stream delivers them. */
async function applyEvents(started: ApplyStarted): Promise<DaemonEvent[]> {
  const s = await f.events('admin', { lastEventId: started.since });
  try {
    await s.waitForEvent('apply.done', (e) => e.data.operation === started.operation);
    return s.events.filter((e) => e.kind.startsWith('apply.'));
  } finally {
    s.close();
  }
}

describe('POST /policies/plan', () => {
  it('is for admins only', async () => {
    for (const p of PRINCIPALS) {
      const r = await f.as(p, 'POST', '/policies/plan', { text: GROW });
      expect(r.status, p).toBe(p === 'admin' ? 200 : 403);
    }
    expect((await f.as(null, 'POST', '/policies/plan', { text: GROW })).status).toBe(401);
  });

  it('marks disruptive steps and lists the attachments each step touches', async () => {
    await f.arrangeTenants();
    const a = await f.attach('team-a', 'pa', 'vm-a');
    const b = await f.attach('team-b', 'pb', 'vm-b');
    const other = await f.attach('team-a', 'shared', 'vm-c');
    const r = await f.as('admin', 'POST', '/policies/plan', { text: SHRINK, force: true });
    expect(r.status).toBe(200);
    const { plan, affected, warnings } = r.body as PlanAnswer;
    expect(warnings).toEqual([]);
    const i = plan.steps.findIndex((s) => s.kind === 'numVfs');
    expect(plan.steps[i]).toMatchObject({
      pf: '0000:3b:00.0',
      netdev: 'ens1f0',
      disruptive: 'destroys VFs 0-7',
    });
    // Destroying every VF of ens1f0 touches both tenants' attachments there, not the one on the
    // ConnectX; steps that only touch VFs 0-3 touch team-a's VF only (pa is VFs 0-3).
    const ids = (n: number) =>
      affected
        .find((x) => x.step === n)
        ?.attachments.map((x) => x.id)
        .sort();
    expect(ids(i)).toEqual([a.id, b.id].sort());
    for (const x of affected) {
      expect(x.attachments.map((y) => y.id)).not.toContain(other.id);
      const s = plan.steps[x.step]!;
      if (s.kind !== 'numVfs') expect(x.attachments.map((y) => y.id)).toEqual([a.id]);
    }
    // Without force the VFs bound to vfio-pci make the plan a refusal, not a silent destroy.
    const refused = (await f.as('admin', 'POST', '/policies/plan', { text: SHRINK }))
      .body as PlanAnswer;
    expect(refused.plan.refusals).toEqual([
      expect.objectContaining({ pf: '0000:3b:00.0', override: 'force' }),
    ]);
  });

  it("trusts the ledger over the VF's driver: a detached VF left on vfio-pci is free, an attached one on its host driver is held", async () => {
    await f.arrangeTenants();
    const a = await f.attach('team-a', 'pa', 'vm-a');
    expect((await f.as('a-operator', 'DELETE', `/attachments/${a.id}`)).status).toBe(200);
    // The scrubbed VF waits on its pool's driver, vfio-pci, held by nobody.
    const vf = (await discover(f.host)).pfs
      .find((p) => p.netdev === 'ens1f0')!
      .vfs.find((v) => v.vfIndex === a.vfIndex)!;
    expect(vf.driver).toBe('vfio-pci');
    const free = (await f.as('admin', 'POST', '/policies/plan', { text: SHRINK }))
      .body as PlanAnswer;
    expect(free.plan.refusals).toEqual([]);

    const held = await f.attach('team-a', 'shared', 'vm-c');
    const onHost = (await discover(f.host)).pfs
      .find((p) => p.netdev === 'ens2f0np0')!
      .vfs.find((v) => v.vfIndex === held.vfIndex)!;
    expect([onHost.driver, onHost.netdev !== null]).toEqual(['mlx5_core', true]);
    const text = SHRINK.replace('ens1f0', 'ens2f0np0')
      .replace('numVfs: 4', 'numVfs: 8')
      .replace('driver: vfio-pci', 'driver: host');
    const busy = (await f.as('admin', 'POST', '/policies/plan', { text })).body as PlanAnswer;
    expect(busy.plan.refusals).toEqual([
      expect.objectContaining({
        override: 'force',
        reason: expect.stringContaining(
          `VF ${held.vfIndex} is held by attachment ${held.id} (team-a/vm:vm-c, attached)`,
        ),
      }),
    ]);
  });

  it('answers 400 with each problem located in the text', async () => {
    const r = await f.as('admin', 'POST', '/policies/plan', {
      text: GROW.replace('vlan: 100', 'vlan: 5000'),
    });
    expect(r.status).toBe(400);
    const p = r.body as ProblemBody;
    expect(p.type).toBe('https://sriovctl.dev/problems/invalid-policy');
    expect(p.errors).toEqual([
      {
        field: 'text:8:35 spec.vfGroups[0].vlan',
        message: expect.stringContaining('5000 is out of range'),
      },
    ]);
    expect(p.field).toBe('text:8:35 spec.vfGroups[0].vlan');

    const syntax = (await f.as('admin', 'POST', '/policies/plan', { text: 'spec: [' }))
      .body as ProblemBody;
    expect(syntax.status).toBe(400);
    expect(syntax.errors![0]!.field).toMatch(/^text:\d+:\d+$/);

    // Valid YAML that does not fit this host: numVfs beyond what ens1f1 allows.
    const host = (
      await f.as('admin', 'POST', '/policies/plan', {
        text: GROW.replace('numVfs: 4', 'numVfs: 4000'),
      })
    ).body as ProblemBody;
    expect(host.status).toBe(400);
    expect(host.errors!.some((e) => /^text:6:\d+ spec\.numVfs$/.test(e.field))).toBe(true);
  });

  it('answers an alias bomb with 400 at the alias that goes over the limit, plan and apply', async () => {
    for (const [path, extra] of [
      ['/policies/plan', {}],
      ['/policies/apply', { confirmDisruptive: true }],
    ] as const) {
      const r = await f.as('admin', 'POST', path, { text: aliasBomb(), ...extra });
      expect(r.status, path).toBe(400);
      const p = r.body as ProblemBody;
      expect(p.type).toBe('https://sriovctl.dev/problems/invalid-policy');
      expect(p.errors).toEqual([
        {
          field: 'text:4:15',
          message: expect.stringMatching(/^too many aliases: .* limit of 100 alias expansions/),
        },
      ]);
    }
  });

  it('validates the body like every route', async () => {
    const r = await f.as('admin', 'POST', '/policies/plan', { text: '' });
    expect(r.status).toBe(400);
    expect((r.body as ProblemBody).field).toBe('body.text');
    const extra = await f.as('admin', 'POST', '/policies/plan', { text: GROW, yes: true });
    expect(extra.status).toBe(400);
  });
});

describe('POST /policies/apply', () => {
  it('is for admins only and changes nothing otherwise', async () => {
    for (const p of PRINCIPALS.filter((x) => x !== 'admin')) {
      const r = await f.as(p, 'POST', '/policies/apply', { text: GROW, confirmDisruptive: true });
      expect(r.status, p).toBe(403);
    }
    expect(await numVfs('ens1f1')).toBe(0);
  });

  it('answers 202 at once and streams every step in order; the host changed', async () => {
    const plan = (await f.as('admin', 'POST', '/policies/plan', { text: GROW })).body as PlanAnswer;
    expect(plan.plan.steps.some((s) => s.disruptive)).toBe(false);
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(r.status).toBe(202);
    const started = r.body as ApplyStarted;
    expect(started.total).toBe(plan.plan.steps.length);

    const events = await applyEvents(started);
    const total = started.total;
    expect(events.map((e) => [e.kind, e.data.index ?? null, e.data.status ?? null])).toEqual([
      ['apply.start', null, null],
      ...plan.plan.steps.flatMap((_, i) => [
        ['apply.step', i, 'start'],
        ['apply.step', i, 'done'],
      ]),
      ['apply.done', null, null],
    ]);
    for (const e of events) expect(e.data.operation).toBe(started.operation);
    expect(events.filter((e) => e.kind === 'apply.step').map((e) => e.data.what)).toEqual(
      plan.plan.steps.flatMap((s) => [s.what, s.what]),
    );
    expect(events.every((e) => e.kind !== 'apply.step' || e.data.total === total)).toBe(true);
    const done = events.at(-1)!;
    expect(done).toMatchObject({ level: 'info', data: { ok: true, remaining: 0 } });
    // Ids increase without holes: nothing else was published in between.
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => started.since + 1 + i));

    expect(await numVfs('ens1f1')).toBe(4);
    const inv = await discover(f.host);
    const vfs = inv.pfs.find((p) => p.netdev === 'ens1f1')!.vfs;
    expect(vfs.map((v) => v.config?.vlan)).toEqual([100, 100, 100, 100]);
    // Who applied what is in the audit log.
    const audit = await f.daemon.ledger.store.listAudit({ action: 'policy.apply', limit: 5 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'admin',
      after: { operation: started.operation, ok: true },
    });
    // Applied again: nothing to do, verified at once.
    const again = (
      await f.as('admin', 'POST', '/policies/apply', { text: GROW, confirmDisruptive: false })
    ).body as ApplyStarted;
    expect(again.total).toBe(0);
    expect((await applyEvents(again)).at(-1)!.data).toMatchObject({ ok: true, remaining: 0 });
  });

  it('refuses disruptive steps without confirmDisruptive and overrides without their flag (422)', async () => {
    await f.arrangeTenants();
    await f.attach('team-a', 'pa', 'vm-a');
    const unconfirmed = await f.as('admin', 'POST', '/policies/apply', {
      text: SHRINK,
      force: true,
      confirmDisruptive: false,
    });
    expect(unconfirmed.status).toBe(422);
    const p = unconfirmed.body as ProblemBody;
    expect(p.field).toBe('confirmDisruptive');
    expect(p.detail).toContain('destroys VFs 0-7');
    expect(p.code).toBe('disruptive-unconfirmed');
    const forced = await f.as('admin', 'POST', '/policies/apply', {
      text: SHRINK,
      confirmDisruptive: true,
    });
    expect(forced.status).toBe(422);
    expect((forced.body as ProblemBody).field).toBe('force');
    expect((forced.body as ProblemBody).fix).toContain('force: true');
    expect((forced.body as ProblemBody).code).toBe('needs-override');
    expect(await numVfs('ens1f0')).toBe(8);
    expect(f.daemon.bus.since(0).filter((e) => e.kind.startsWith('apply.'))).toEqual([]);
  });

  it('runs one apply at a time (409 while one runs)', async () => {
    // The VF creation hangs until released: the first apply is certainly still running.
    f.host.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, hang: true });
    const first = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(first.status).toBe(202);
    const op = (first.body as ApplyStarted).operation;
    const s = await f.events('admin', { lastEventId: (first.body as ApplyStarted).since });
    await s.waitForEvent('apply.step', (e) => e.data.status === 'start');
    expect(f.daemon.policies.running).toBe(op);
    const second = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(second.status).toBe(409);
    expect((second.body as ProblemBody).detail).toContain(op);
    expect((second.body as ProblemBody).code).toBe('apply-running');
    f.host.faults.releaseHangs();
    const done = await s.waitForEvent('apply.done');
    s.close();
    expect(done.data).toMatchObject({ operation: op, ok: true });
    expect(f.daemon.policies.running).toBeNull();
    expect(await numVfs('ens1f1')).toBe(4);
  });

  it('refuses attaches and detaches with 503 and Retry-After while an apply holds the host', async () => {
    await f.arrangeTenants();
    const held = await f.attach('team-a', 'shared', 'vm-held');
    f.host.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, hang: true });
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    const started = r.body as ApplyStarted;
    const s = await f.events('admin', { lastEventId: started.since });
    await s.waitForEvent('apply.step', (e) => e.data.status === 'start');
    const before = await f.daemon.ledger.store.listAttachments();

    const attach = await f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'shared',
      consumer: { kind: 'pod', name: 'web-1' },
    });
    expect(attach.status).toBe(503);
    expect(attach.headers['retry-after']).toBe('5');
    expect(attach.headers['content-type']).toContain('application/problem+json');
    const p = attach.body as ProblemBody;
    expect(p.type).toBe('https://sriovctl.dev/problems/host-busy');
    expect(p.detail).toContain(`policy apply ${started.operation}`);
    expect(p.fix).toContain('retry');
    const detach = await f.as('a-operator', 'DELETE', `/attachments/${held.id}`);
    expect(detach.status).toBe(503);
    // Reads go on; nothing changed in the ledger or on the VF.
    expect((await f.as('a-operator', 'GET', '/attachments')).status).toBe(200);
    expect(await f.daemon.ledger.store.listAttachments()).toEqual(before);

    f.host.faults.releaseHangs();
    expect((await s.waitForEvent('apply.done')).data).toMatchObject({ ok: true });
    s.close();
    const again = await f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'shared',
      consumer: { kind: 'pod', name: 'web-1' },
    });
    expect(again.status).toBe(201);
    expect((await f.as('a-operator', 'DELETE', `/attachments/${held.id}`)).status).toBe(200);
  });

  it('starts applying only after an attach already configuring a VF has finished', async () => {
    await f.arrangeTenants();
    // The attach's VF settings hang in the kernel until released.
    f.host.faults.add({ op: 'netlink', target: /^ens2f0np0 vf /, hang: true });
    const attaching = f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'shared',
      consumer: { kind: 'pod', name: 'slow' },
    });
    await vi.waitFor(() => expect(f.host.faults.fired.length).toBeGreaterThan(0));
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(r.status).toBe(202);
    const started = r.body as ApplyStarted;
    // Accepted, but waiting for the host: a new attach is already refused.
    const refused = await f.as('a-operator', 'POST', '/attachments', {
      tenant: 'team-a',
      pool: 'shared',
      consumer: { kind: 'pod', name: 'late' },
    });
    expect(refused.status).toBe(503);
    expect(f.daemon.bus.since(started.since).map((e) => e.kind)).not.toContain('apply.step');

    f.host.faults.releaseHangs();
    const answered = await attaching;
    expect(answered.status).toBe(201);
    const events = await applyEvents(started);
    expect(events.at(-1)!.data).toMatchObject({ ok: true });
    // The attach's ledger event came before the apply's first step.
    const kinds = f.daemon.bus
      .since(started.since)
      .filter((e) => e.kind === 'attachment.attached' || e.kind === 'apply.step')
      .map((e) => e.kind);
    expect(kinds[0]).toBe('attachment.attached');
    expect(await numVfs('ens1f1')).toBe(4);
  });

  it('reports a failed step with the kernel error and the steps it skipped', async () => {
    f.host.faults.add({ op: 'write', target: /0000:3b:00\.1\/sriov_numvfs$/, errno: 'ENOMEM' });
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    const started = r.body as ApplyStarted;
    const events = await applyEvents(started);
    const steps = events.filter((e) => e.kind === 'apply.step');
    expect(steps.map((e) => e.data.status)).toEqual([
      'start',
      'failed',
      ...Array(started.total - 1).fill('skipped'),
    ]);
    expect(steps[1]!.level).toBe('error');
    expect(String(steps[1]!.data.error)).toMatch(/ENOMEM|memory/i);
    const done = events.at(-1)!;
    expect(done).toMatchObject({ kind: 'apply.done', level: 'error', data: { ok: false } });
    expect(String(done.data.error)).toMatch(/ENOMEM|memory/i);
    expect(await numVfs('ens1f1')).toBe(0);
  });

  it('destroying attached VFs: reconcile re-applies the ones recreated and orphans the ones gone', async () => {
    await f.arrangeTenants();
    const a = await f.attach('team-a', 'pa', 'vm-a');
    const b = await f.attach('team-b', 'pb', 'vm-b');
    expect(a.vfIndex).toBeLessThan(4);
    expect(b.vfIndex).toBeGreaterThanOrEqual(4);
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: SHRINK,
      force: true,
      confirmDisruptive: true,
    });
    expect(r.status).toBe(202);
    const done = (await applyEvents(r.body as ApplyStarted)).at(-1)!;
    expect(done.data).toMatchObject({
      ok: true,
      reconciled: { reapplied: [a.id], orphaned: [b.id], failed: [] },
    });
    expect(await numVfs('ens1f0')).toBe(4);
    const vf = (await discover(f.host)).pfs
      .find((p) => p.netdev === 'ens1f0')!
      .vfs.find((v) => v.vfIndex === a.vfIndex)!;
    expect(vf.config?.mac).toBe(a.mac);
    expect(vf.config?.vlan).toBe(100);
    expect(vf.driver).toBe('vfio-pci');
    expect((await f.daemon.ledger.store.getAttachment(b.id))?.state).toBe('orphaned');
  });
});

describe('an apply to VFs the kernel does not report (256-VF PFs)', () => {
  it('says what it could not verify instead of "applied and verified"', async () => {
    await f.close();
    f = await openConsoleFixture({ fixture: 'e810-8x256' });
    const text = farPolicy('{ range: 200-201, vlan: 100, maxTxRate: 1000 }');
    const plan = (await f.as('admin', 'POST', '/policies/plan', { text })).body as PlanAnswer;
    expect(plan.plan.steps.map((s) => [s.kind, s.basis])).toEqual([['vfSettings', 'unknown']]);
    const r = await f.as('admin', 'POST', '/policies/apply', { text, confirmDisruptive: false });
    expect(r.status).toBe(202);
    const done = (await applyEvents(r.body as ApplyStarted)).at(-1)!;
    expect(done.data).toMatchObject({
      ok: true,
      verdict: 'unverified',
      remaining: 0,
      unverifiedSettings: 4,
    });
    expect(done.message).toBe(
      "policy applied; 4 settings on VFs 200-201 of ens1f0 could not be verified: the kernel's netlink VF list does not include those VFs",
    );
    // Typed per VF: could not be read, which fields, and why.
    const vfs = (done.data.readBack as { vfs: unknown[] }).vfs;
    expect(vfs).toEqual([
      {
        pf: '0000:17:00.0',
        name: 'ens1f0',
        vfIndex: 200,
        result: 'unreadable',
        fields: ['vlan', 'maxTxRate'],
        why: 'vf-list-truncated',
      },
      {
        pf: '0000:17:00.0',
        name: 'ens1f0',
        vfIndex: 201,
        result: 'unreadable',
        fields: ['vlan', 'maxTxRate'],
        why: 'vf-list-truncated',
      },
    ]);
    expect(f.host.pf('ens1f0').sriov!.vfState[201]).toMatchObject({ vlan: 100, maxTxRate: 1000 });
  });
});

describe('a daemon that keeps the host at installed policies (serve -f)', () => {
  /** A fixture whose daemon watches ens1f1 at GROW, repairing drift or only reporting it. */
  async function keeping(repair: boolean): Promise<ConsoleFixture> {
    const host = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
    const { desired } = resolvePolicies(
      parsePolicyDocuments(GROW, 'grow.yaml').policies,
      await discover(host),
    );
    host.close();
    return openConsoleFixture({
      daemon: {
        drift: {
          targets: desired,
          watched: ['ens1f1'],
          intervalMs: 60_000,
          repair,
          repairDisruptive: false,
        },
      },
    });
  }
  const OTHER_VLAN = GROW.replace('vlan: 100', 'vlan: 101');

  it('refuses an apply its drift repair would undo, and says so in the plan', async () => {
    await f.close();
    f = await keeping(true);
    const plan = (await f.as('admin', 'POST', '/policies/plan', { text: OTHER_VLAN }))
      .body as PlanAnswer;
    expect(plan.warnings).toEqual([
      expect.stringMatching(/^ens1f1: .*would be undone by the next repair/),
    ]);
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: OTHER_VLAN,
      confirmDisruptive: true,
    });
    expect(r.status).toBe(422);
    const p = r.body as ProblemBody;
    expect(p.field).toBe('text');
    expect(p.detail).toContain('keeps ens1f1 at its installed policies');
    expect(p.fix).toContain('sriovctl install');
    expect(f.daemon.bus.since(0).filter((e) => e.kind.startsWith('apply.'))).toEqual([]);
    // What the daemon keeps is fine to apply.
    const same = await f.as('admin', 'POST', '/policies/apply', {
      text: GROW,
      confirmDisruptive: false,
    });
    expect(same.status).toBe(202);
    await applyEvents(same.body as ApplyStarted);
  });

  it('applies what differs when it only reports drift, with a warning', async () => {
    await f.close();
    f = await keeping(false);
    const plan = (await f.as('admin', 'POST', '/policies/plan', { text: OTHER_VLAN }))
      .body as PlanAnswer;
    expect(plan.warnings).toEqual([expect.stringMatching(/^ens1f1: .*reports drift/)]);
    const r = await f.as('admin', 'POST', '/policies/apply', {
      text: OTHER_VLAN,
      confirmDisruptive: false,
    });
    expect(r.status).toBe(202);
    expect((await applyEvents(r.body as ApplyStarted)).at(-1)!.data).toMatchObject({ ok: true });
  });
});
