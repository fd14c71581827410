// The apply-policy use case: one refusal rule set with one error type whatever the path, and the
// read-back typed per PF and VF (verified / differs in which fields / could not be read, and why),
// never decided from note text.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ifName, macAddress, pciAddress } from '../../../src/host/names.js';
import { vlanId } from '../../../src/host/vf-settings.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { ApplyPolicy, type Applied } from '../../../src/policy/apply-policy.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';
import { readBack } from '../../../src/policy/verify.js';
import { discover } from '../../../src/inventory/discover.js';
import { PolicyRefusedError } from '../../../src/policy/refusal.js';
import { sourceFiles } from '../../lint/source-files.js';

const hosts: SimHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});
async function boot(fixture = 'dual-socket-e810-cx6') {
  const h = await loadSimHost(fixture, { timing: 'off' });
  hosts.push(h);
  return h;
}

const ENS1F1 = pciAddress('0000:3b:00.1');
const four = (driver: 'host' | 'vfio-pci', vlan = 300): PlanTarget => ({
  pciAddress: ENS1F1,
  numVfs: 4,
  vfs: [0, 1, 2, 3].map((i) => ({
    vfIndex: i,
    driver,
    settings: {
      mac: macAddress(`02:00:00:00:03:0${i}`),
      vlan: { vlan: vlanId(vlan + i), qos: 0, proto: '802.1Q' as const },
    },
  })),
});

async function refusal(p: Promise<unknown>): Promise<PolicyRefusedError> {
  const e = await p.then(
    () => expect.unreachable('the apply was not refused'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(PolicyRefusedError);
  return e as PolicyRefusedError;
}

describe('refusals: one rule set, one error type', () => {
  it('refuses unconfirmed disruptive steps with their code, field and fix in each spelling', async () => {
    const h = await boot();
    const uc = new ApplyPolicy({ host: h });
    await uc.apply(await uc.prepareTargets([four('host')]), { confirmedDisruptive: true });
    const journal = h.journal.length;
    const e = await refusal(
      uc.apply(await uc.prepareTargets([four('vfio-pci')]), { confirmedDisruptive: false }),
    );
    expect([e.code, e.field]).toEqual(['disruptive-unconfirmed', 'confirmDisruptive']);
    expect(e.message).toMatch(/^the plan has 1 disruptive step\(s\): bind VFs 0-3 of ens1f1/);
    expect(e.fixFor('api')).toContain('confirmDisruptive: true');
    expect(e.fixFor('cli')).toContain('confirm with --yes');
    expect(h.journal.length).toBe(journal);
  });

  it('refuses rebinding a VF the ledger says is held, even where no driver makes it look in use', async () => {
    const h = await boot();
    const direct = new ApplyPolicy({ host: h });
    await direct.apply(await direct.prepareTargets([four('vfio-pci')]), {
      confirmedDisruptive: true,
    });
    const uc = new ApplyPolicy({
      host: h,
      heldVfs: async () => [{ pf: ENS1F1, vfIndex: 2, heldBy: 'attachment a1 (team-a/vm:web)' }],
    });
    const e = await refusal(
      uc.apply(await uc.prepareTargets([four('host')]), { confirmedDisruptive: true }),
    );
    expect([e.code, e.field]).toEqual(['needs-override', 'force']);
    expect(e.message).toContain('attachment a1 (team-a/vm:web)');
    expect(e.fixFor('cli')).toBe('once you are sure, apply again with --force');
    expect(e.fixFor('api')).toBe('once you are sure, apply again with force: true');
    // With force, it runs.
    const forced = await uc.prepareTargets([four('host')], { force: true });
    expect((await uc.apply(forced, { confirmedDisruptive: true })).result.ok).toBe(true);
  });

  it('refuses what the daemon keeps and repairs, and a second apply while one holds the host', async () => {
    const h = await boot();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const uc = new ApplyPolicy({
      host: h,
      kept: { targets: [four('host', 100)], repair: true },
      hold: async (_label, _plan, run): Promise<Applied> => {
        await gate;
        return run();
      },
    });
    const kept = await refusal(
      uc.apply(await uc.prepareTargets([four('host')]), { confirmedDisruptive: true }),
    );
    expect([kept.code, kept.field, kept.pfs]).toEqual(['kept-by-daemon', 'text', ['0000:3b:00.1']]);
    const same = await uc.prepareTargets([four('host', 100)]);
    const first = uc.apply(same, { confirmedDisruptive: true, label: 'policy apply op-1' });
    const second = await refusal(uc.apply(same, { confirmedDisruptive: true }));
    expect(second.code).toBe('apply-running');
    expect(second.message).toContain('policy apply op-1');
    release();
    expect((await first).result.ok).toBe(true);
  });
});

describe('the read-back, typed per PF and VF', () => {
  it('says verified per VF after an apply, and which fields differ after an out-of-band change', async () => {
    const h = await boot();
    const uc = new ApplyPolicy({ host: h });
    const p = await uc.prepareTargets([four('host')]);
    const applied = await uc.apply(p, { confirmedDisruptive: true });
    expect(applied.readBack!.verdict).toBe('verified');
    expect(applied.readBack!.pfs).toEqual([
      { pf: ENS1F1, name: 'ens1f1', result: 'verified', fields: [] },
    ]);
    expect(applied.readBack!.vfs.map((v) => [v.vfIndex, v.result])).toEqual([
      [0, 'verified'],
      [1, 'verified'],
      [2, 'verified'],
      [3, 'verified'],
    ]);
    h.outOfBand([
      {
        kind: 'vf',
        pf: ifName('ens1f1'),
        vf: 1,
        vlan: { vlan: 999, qos: 0, proto: '802.1Q' },
      },
    ]);
    const back = await uc.readBack(p);
    expect(back.verdict).toBe('differs');
    expect(back.vfs[1]).toEqual({
      pf: ENS1F1,
      name: 'ens1f1',
      vfIndex: 1,
      result: 'differs',
      fields: ['vlan'],
    });
  });

  it('says when a VF is read but its driver does not report a field', async () => {
    const h = await boot();
    const uc = new ApplyPolicy({ host: h });
    const t = four('host');
    const trusted: PlanTarget = {
      ...t,
      vfs: t.vfs.map((v) => ({ ...v, settings: { ...v.settings, trust: true } })),
    };
    await uc.apply(await uc.prepareTargets([trusted]), { confirmedDisruptive: true });
    const inv = await discover(h);
    // As ice reports VFs: every setting but trust.
    const blind = {
      ...inv,
      pfs: inv.pfs.map((p) =>
        p.pciAddress !== ENS1F1
          ? p
          : {
              ...p,
              vfs: p.vfs.map((v) => ({ ...v, config: v.config && { ...v.config, trust: null } })),
            },
      ),
    };
    const back = readBack([trusted], blind, planChanges([trusted], blind));
    expect(back.verdict).toBe('unverified');
    expect(back.vfs[0]).toEqual({
      pf: ENS1F1,
      name: 'ens1f1',
      vfIndex: 0,
      result: 'unreadable',
      fields: ['trust'],
      why: 'driver-does-not-report',
    });
  });

  it('says why a VF could not be read: past the truncated netlink VF list', async () => {
    const h = await boot('e810-8x256');
    const uc = new ApplyPolicy({ host: h });
    const target: PlanTarget = {
      pciAddress: pciAddress('0000:17:00.0'),
      numVfs: 256,
      vfs: [
        { vfIndex: 10, driver: 'host', settings: { trust: false } },
        {
          vfIndex: 200,
          driver: 'host',
          settings: { vlan: { vlan: vlanId(42), qos: 0, proto: '802.1Q' } },
        },
      ],
    };
    const back = await uc.readBack(await uc.prepareTargets([target]));
    expect(back.vfs).toEqual([
      { pf: '0000:17:00.0', name: 'ens1f0', vfIndex: 10, result: 'verified' },
      {
        pf: '0000:17:00.0',
        name: 'ens1f0',
        vfIndex: 200,
        result: 'unreadable',
        fields: ['vlan'],
        why: 'vf-list-truncated',
      },
    ]);
  });
});

/** Places that decide verification or unknowns by matching the wording of a note or message. */
function noteTextMatches(source: string): string[] {
  const patterns = [
    /\bnotes?\b[^;\n]*\.(some|find|filter|every)\([^)]*\.(includes|startsWith|endsWith|match)\(/,
    /\.(includes|startsWith|endsWith|match|test)\(\s*(['"`/])[^'"`/\n]*(truncat|verif|unread|cannot be read|not reported)/i,
  ];
  return source.split('\n').filter((line) => patterns.some((p) => p.test(line)));
}

describe('no verification decided from note text', () => {
  it('recognizes the pattern it forbids', () => {
    expect(
      noteTextMatches("const v = plan.notes.some((n) => n.includes('truncated'));"),
    ).toHaveLength(1);
    expect(noteTextMatches("if (msg.includes('cannot be verified')) return;")).toHaveLength(1);
    expect(noteTextMatches("const v = back.vfs.filter((x) => x.result === 'unreadable');")).toEqual(
      [],
    );
  });

  it('finds none in src/', () => {
    const src = fileURLToPath(new URL('../../../src', import.meta.url));
    const hits = sourceFiles(src).flatMap((f) =>
      noteTextMatches(readFileSync(f, 'utf8')).map((l) => `${f}: ${l.trim()}`),
    );
    expect(hits).toEqual([]);
  });
});
