// The PF's admin state is the policy's to say (spec.adminState: up | down | unchanged). Left
// unchanged (the default), a down PF stays down and is no drift, unless creating VFs needs it up
// (bnxt_en creates none on a down PF), and the step says so.
import { afterEach, describe, expect, it } from 'vitest';
import { ifName, pciAddress } from '../../../src/host/names.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { applyPlan } from '../../../src/policy/apply.js';
import { parsePolicyText, resolvePolicies } from '../../../src/policy/index.js';
import { planChanges, type PlanTarget } from '../../../src/policy/plan.js';

const hosts: SimHost[] = [];
async function boot(fixture: string) {
  const h = await loadSimHost(fixture, { timing: 'off' });
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

/** ens6f0np0 on mixed-firmware: a Broadcom 57414 (bnxt_en), admin down, no VFs. */
const BNXT = pciAddress('0000:a1:00.0');
/** ens1f1 on dual-socket-e810-cx6: an E810 (ice) port with no VFs. */
const ICE = pciAddress('0000:3b:00.1');

const target = (pf: typeof BNXT, over: Partial<PlanTarget> = {}): PlanTarget => ({
  pciAddress: pf,
  numVfs: 4,
  vfs: [],
  ...over,
});

async function plan(h: SimHost, t: PlanTarget) {
  return planChanges([t], await discover(h));
}

const stepsOf = (p: Awaited<ReturnType<typeof plan>>) =>
  p.steps.map((s) => [s.kind, s.why, s.disruptive ?? null]);

describe('adminState left unchanged (the default)', () => {
  it('leaves a down PF down and plans no pfUp where creating VFs does not need it (ice)', async () => {
    const h = await boot('dual-socket-e810-cx6');
    h.outOfBand([{ kind: 'link', ifname: ifName('ens1f1'), up: false }]);
    const p = await plan(h, target(ICE));
    expect(p.steps.map((s) => s.kind)).toEqual(['numVfs', 'waitVfs']);
    expect((await applyPlan(h, p, { confirmedDisruptive: true })).ok).toBe(true);
    // Down with its VFs is what the policy asked for: no drift.
    expect((await plan(h, target(ICE))).steps).toEqual([]);
    expect((await discover(h)).pfs.find((x) => x.pciAddress === ICE)!.adminUp).toBe(false);
  });

  it('brings a down bnxt_en PF up to create VFs, says why, and is no drift once it is down again', async () => {
    const h = await boot('mixed-firmware');
    const p = await plan(h, target(BNXT));
    expect(stepsOf(p)[0]).toEqual([
      'pfUp',
      'the PF is down and bnxt_en creates VFs only on an up PF (the policy leaves adminState unchanged: it stays up)',
      null,
    ]);
    expect((await applyPlan(h, p, { confirmedDisruptive: true })).ok).toBe(true);
    const after = await discover(h);
    expect(after.pfs.find((x) => x.pciAddress === BNXT)).toMatchObject({
      numVfs: 4,
      adminUp: true,
    });
    h.outOfBand([{ kind: 'link', ifname: ifName('ens6f0np0'), up: false }]);
    expect((await plan(h, target(BNXT))).steps).toEqual([]);
  });
});

describe('adminState up or down', () => {
  it('up: brings a down PF up because the policy says so', async () => {
    const h = await boot('dual-socket-e810-cx6');
    h.outOfBand([{ kind: 'link', ifname: ifName('ens1f1'), up: false }]);
    const p = await plan(h, target(ICE, { numVfs: 0, adminState: 'up' }));
    expect(stepsOf(p)).toEqual([['pfUp', 'the PF is down; the policy sets adminState: up', null]]);
    expect((await applyPlan(h, p)).ok).toBe(true);
    expect((await discover(h)).pfs.find((x) => x.pciAddress === ICE)!.adminUp).toBe(true);
  });

  it('down: takes an up PF down, as a disruptive step', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const p = await plan(h, target(ICE, { numVfs: 0, adminState: 'down' }));
    expect(stepsOf(p)).toEqual([
      [
        'pfDown',
        'the PF is up; the policy sets adminState: down',
        "takes the PF's link down: its VFs lose their uplink",
      ],
    ]);
    expect((await applyPlan(h, p, { confirmedDisruptive: true })).ok).toBe(true);
    expect((await discover(h)).pfs.find((x) => x.pciAddress === ICE)!.adminUp).toBe(false);
    expect((await plan(h, target(ICE, { numVfs: 0, adminState: 'down' }))).steps).toEqual([]);
  });

  it('down on bnxt_en creating VFs: up first (it needs it), down again last', async () => {
    const h = await boot('mixed-firmware');
    const p = await plan(h, target(BNXT, { adminState: 'down' }));
    expect(p.steps.map((s) => s.kind)).toEqual(['pfUp', 'numVfs', 'waitVfs', 'pfDown']);
    expect(p.steps.at(-1)!.why).toBe(
      'the policy sets adminState: down (it was brought up only to create VFs: bnxt_en needs it)',
    );
    expect((await applyPlan(h, p, { confirmedDisruptive: true })).ok).toBe(true);
    expect((await discover(h)).pfs.find((x) => x.pciAddress === BNXT)).toMatchObject({
      numVfs: 4,
      adminUp: false,
    });
  });
});

describe('adminState in policy files', () => {
  const doc = (pf: string, state: string) =>
    `apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: p }\nspec:\n  selector: { pfNames: [${pf}] }\n  numVfs: 2\n  adminState: ${state}\n`;

  it('reads up, down and unchanged, and refuses anything else naming the choices', async () => {
    const h = await boot('dual-socket-e810-cx6');
    const inv = await discover(h);
    for (const s of ['up', 'down', 'unchanged'] as const)
      expect(
        resolvePolicies(parsePolicyText(doc('ens1f1', s), 'p.yaml'), inv).desired[0],
      ).toMatchObject({ adminState: s });
    expect(() => parsePolicyText(doc('ens1f1', 'on'), 'p.yaml')).toThrow(
      /p\.yaml:7:\d+: spec\.adminState: "on" is not valid — adminState is up, down or unchanged/,
    );
  });

  it('refuses it on a PF without a netdev, naming the field and the fix', async () => {
    const h = await boot('qemu-nvme-lab');
    const inv = await discover(h);
    const nvme = inv.pfs.find((p) => p.driver === 'nvme')!;
    const text = doc('x', 'up').replace('pfNames: [x]', `rootDevices: ['${nvme.pciAddress}']`);
    const r = resolvePolicies(parsePolicyText(text, 'p.yaml'), inv);
    expect(r.errors.map((e) => e.text)).toEqual([
      `p.yaml:7:3: spec.adminState: up cannot be set on ${nvme.pciAddress}: it has no netdev, so it has no administrative state — remove adminState`,
    ]);
  });
});
