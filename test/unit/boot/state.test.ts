// applied.json: what the last successful apply brought the host to, written through the seam and
// read back validated; a damaged file is an error that names it and says how to recover.
import { afterEach, describe, expect, it } from 'vitest';
import { recordApplied } from '../../../src/cli/persist-hooks.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { discover } from '../../../src/inventory/discover.js';
import { APPLIED_STATE_FILE } from '../../../src/boot/locations.js';
import {
  AppliedStateError,
  loadAppliedState,
  parseAppliedState,
  recordAppliedState,
  renderAppliedState,
} from '../../../src/boot/state.js';
import { parsePolicyText, resolvePolicies } from '../../../src/policy/index.js';

const sims: SimHost[] = [];
afterEach(() => {
  for (const h of sims.splice(0)) h.close();
});

const POLICY = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenant-a }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 8
  mtu: 9000
  vfGroups:
    - { range: 0-3, driver: host, mac: auto, vlan: 100, maxTxRate: 10000 }
    - { range: 4-7, driver: vfio-pci, vlan: 200, spoofchk: true, trust: false }
`;

async function desiredOn(h: SimHost) {
  const r = resolvePolicies(parsePolicyText(POLICY, 'tenant.yaml'), await discover(h));
  expect(r.errors).toEqual([]);
  return r.desired;
}

async function sim() {
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  sims.push(h);
  return h;
}

describe('applied state', () => {
  it('round-trips through the seam with version, time, host and the desired PFs', async () => {
    const h = await sim();
    const desired = await desiredOn(h);
    expect(await loadAppliedState(h)).toBeNull();
    const at = new Date('2026-11-25T10:00:00.000Z');
    expect(await recordAppliedState(h, desired, at)).toBe(APPLIED_STATE_FILE);
    const back = await loadAppliedState(h);
    expect(back).toEqual({
      version: 1,
      appliedAt: '2026-11-25T10:00:00.000Z',
      host: h.description.name,
      desired,
    });
    expect(h.journal.at(-1)).toMatchObject({
      op: 'config-write',
      target: APPLIED_STATE_FILE,
      result: 'ok',
    });
  });

  it('reads back the PF fields a policy can set: adminState and drift', async () => {
    const h = await sim();
    const doc = POLICY.replace('  mtu: 9000\n', '  mtu: 9000\n  adminState: up\n  drift: repair\n');
    const r = resolvePolicies(parsePolicyText(doc, 'tenant.yaml'), await discover(h));
    expect(r.errors).toEqual([]);
    expect(r.desired[0]).toMatchObject({ adminState: 'up', drift: 'repair' });
    await recordAppliedState(h, r.desired);
    expect((await loadAppliedState(h))?.desired).toEqual(r.desired);
  });

  it.each([
    ['not JSON', '{"version": 1,', /not valid JSON/],
    ['a newer version', '{"version": 2}', /version 2 is not supported/],
    [
      'a bad PCI address',
      JSON.stringify({
        version: 1,
        appliedAt: '2026-11-25T10:00:00.000Z',
        host: 'h',
        desired: [
          { pciAddress: '3b:00.1', netdev: null, numVfs: 1, vfs: [], sources: [], notes: [] },
        ],
      }),
      /desired\.0\.pciAddress: expected a PCI address/,
    ],
    [
      'an unknown field',
      JSON.stringify({
        version: 1,
        appliedAt: '2026-11-25T10:00:00.000Z',
        host: 'h',
        desired: [],
        x: 1,
      }),
      /\(top level\)|x/,
    ],
  ])('refuses %s, naming the file and the fix', (_what, text, problem) => {
    let err: unknown;
    try {
      parseAppliedState(text, '/var/lib/sriovctl/applied.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppliedStateError);
    const e = err as AppliedStateError;
    expect(e.message).toMatch(/^\/var\/lib\/sriovctl\/applied\.json: /);
    expect(e.message).toMatch(problem);
    expect(e.hint).toMatch(/sriovctl apply/);
  });

  it('reports corruption of the recorded file with its path', async () => {
    const h = await sim();
    await h.writeConfigFile(
      APPLIED_STATE_FILE,
      renderAppliedState([], 'x', new Date()).slice(0, 20),
    );
    await expect(loadAppliedState(h)).rejects.toThrow(
      /^\/var\/lib\/sriovctl\/applied\.json: not valid JSON/,
    );
  });

  it('a failure to record is a warning after apply, not an error', async () => {
    const h = await sim();
    h.faults.add({ op: 'write', target: APPLIED_STATE_FILE, errno: 'ENOSPC' });
    let stderr = '';
    await recordApplied(
      { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {} },
      h,
      await desiredOn(h),
    );
    expect(stderr).toMatch(
      /warning: applied, but could not record the applied state in \/var\/lib\/sriovctl\/applied\.json: .*No space left on device/,
    );
  });
});
