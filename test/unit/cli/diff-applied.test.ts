// `sriovctl diff --applied`: the host against what the last successful apply recorded in
// applied.json, so an operator (or the boot unit's aftermath) can ask "did anything change since
// sriovctl last configured this host?" without the policy files at hand.
import { afterEach, expect, it } from 'vitest';
import { diffCommand } from '../../../src/cli/commands/plan.js';
import { UsageError } from '../../../src/cli/exit-codes.js';
import { ifName } from '../../../src/host/names.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';
import { recordAppliedState } from '../../../src/boot/state.js';
import { ApplyPolicy } from '../../../src/policy/apply-policy.js';
import { parsePolicyText } from '../../../src/policy/index.js';

const sims: SimHost[] = [];
afterEach(() => {
  for (const h of sims.splice(0)) h.close();
});

const POLICY = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: tenant-a }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 4
  vfGroups:
    - { range: 0-3, driver: host, mac: auto, vlan: 100 }
`;

async function diff(h: SimHost, flags: { applied?: boolean; json?: boolean; file?: string[] }) {
  let stdout = '';
  let code = 0;
  await diffCommand(
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: {} },
    h,
    flags,
    (n) => (code = n),
  );
  return { stdout, code };
}

it('compares the host with the recorded state: no drift after the apply, the VF that changed after', async () => {
  const h = await loadSimHost('dual-socket-e810-cx6', { timing: 'off' });
  sims.push(h);
  await expect(diff(h, { applied: true })).rejects.toThrow(UsageError);
  const uc = new ApplyPolicy({
    host: h,
    recordApplied: async (d) =>
      void (await recordAppliedState(h, d, new Date('2026-01-02T03:04:05Z'))),
  });
  const applied = await uc.apply(await uc.prepare(parsePolicyText(POLICY, 'p.yaml')), {
    confirmedDisruptive: true,
  });
  expect([applied.result.ok, applied.recordError]).toEqual([true, null]);

  const same = await diff(h, { applied: true });
  expect(same).toEqual({
    code: 0,
    stdout:
      'Against the state applied at 2026-01-02T03:04:05.000Z (/var/lib/sriovctl/applied.json):\nNo drift: the host matches the policy.\n',
  });

  h.outOfBand([
    { kind: 'vf', pf: ifName('ens1f1'), vf: 2, vlan: { vlan: 7, qos: 0, proto: '802.1Q' } },
  ]);
  const drifted = await diff(h, { applied: true, json: true });
  expect(drifted.code).toBe(1);
  const json = JSON.parse(drifted.stdout) as { readBack: { vfs: unknown[] } };
  expect(json.readBack.vfs[2]).toMatchObject({ vfIndex: 2, result: 'differs', fields: ['vlan'] });
  await expect(diff(h, { applied: true, file: ['p.yaml'] })).rejects.toThrow(
    '-f and --applied exclude each other',
  );
});
