// The one model of a VF's settings and its one comparison, and the places that use it agreeing:
// the planner, the executor's read-back and (in ledger/vlan-proto.test.ts) reconcile. Unknown —
// a VF past a truncated list, a field the driver does not report — is never a difference.
import { describe, expect, it } from 'vitest';
import { compareVf } from '../../../src/executor/vf-settings.js';
import { UnsafeInputError } from '../../../src/host/errors.js';
import type { VfInfo } from '../../../src/host/host.js';
import { macAddress, pciAddress } from '../../../src/host/names.js';
import {
  diffVfSettings,
  kernelVfSettings,
  mbps,
  vlanId,
  type KernelVfSettings,
  type VfSettings,
} from '../../../src/host/vf-settings.js';
import { verify } from '../../../src/policy/verify.js';
import { planChanges } from '../../../src/policy/plan.js';
import { e810, inventory, vfs } from '../doctor/builders.js';

const MAC = macAddress('02:00:00:00:00:01');

/** A VF as the PF lists it: untagged, no rates, spoof checking on, trust off. */
function found(over: Partial<KernelVfSettings> = {}): KernelVfSettings {
  return {
    mac: MAC,
    vlan: vlanId(0),
    qos: 0,
    vlanProto: '802.1Q',
    minTxRate: mbps(0),
    maxTxRate: mbps(0),
    spoofchk: true,
    trust: false,
    linkState: 'auto',
    ...over,
  };
}

/** The same VF as the seam's link dump lists it: this driver reports spoofchk but not trust. */
const INFO: VfInfo = {
  vf: 0,
  mac: MAC,
  vlan: 0,
  qos: 0,
  vlanProto: '802.1Q',
  minTxRate: 0,
  maxTxRate: 0,
  spoofchk: true,
  linkState: 'auto',
};

const verdicts = (wanted: VfSettings, f: KernelVfSettings | null) =>
  diffVfSettings(wanted, f).fields.map((d) => `${d.field} ${d.verdict}`);

describe('diffVfSettings', () => {
  it('compares only the fields asked for, each equal, differs or unknown', () => {
    const d = diffVfSettings(
      { mac: MAC, maxTxRate: mbps(100), spoofchk: false, trust: true },
      found({ maxTxRate: mbps(100), trust: null }),
    );
    expect(d.fields.map((x) => [x.field, x.verdict, x.wanted, x.found])).toEqual([
      ['mac', 'equal', MAC, MAC],
      ['maxTxRate', 'equal', 100, 100],
      ['spoofchk', 'differs', false, true],
      ['trust', 'unknown', true, null],
    ]);
    expect(d.verdict).toBe('differs');
    expect(d.differs.map((x) => x.field)).toEqual(['spoofchk']);
    expect(d.unknown.map((x) => x.field)).toEqual(['trust']);
  });

  it('never counts unknown as a difference: a field the driver leaves unreported, or a VF not listed', () => {
    expect(diffVfSettings({ trust: true }, found({ trust: null })).verdict).toBe('unknown');
    expect(diffVfSettings({ spoofchk: true }, found({ spoofchk: null })).verdict).toBe('unknown');
    expect(verdicts({ mac: MAC, trust: false }, null)).toEqual(['mac unknown', 'trust unknown']);
    expect(diffVfSettings({}, null).verdict).toBe('equal');
  });

  it('compares the VLAN protocol only when the VLAN is tagged', () => {
    const qinq = { vlan: vlanId(10), qos: 0, proto: '802.1ad' as const };
    expect(verdicts({ vlan: qinq }, found({ vlan: vlanId(10) }))).toEqual([
      'vlan equal',
      'qos equal',
      'vlanProto differs',
    ]);
    expect(
      verdicts({ vlan: { ...qinq, vlan: vlanId(0) } }, found({ vlanProto: '802.1Q' })),
    ).toEqual(['vlan equal', 'qos equal']);
    // A priority alone tags the frames too.
    expect(verdicts({ vlan: { ...qinq, vlan: vlanId(0), qos: 3 } }, found({ qos: 3 })).at(-1)).toBe(
      'vlanProto differs',
    );
  });

  it('gives VLAN IDs and rates their names only when they are in range', () => {
    expect(() => vlanId(4096)).toThrow(UnsafeInputError);
    expect(() => vlanId(-1, 'spec.vlan')).toThrow(/spec\.vlan/);
    expect(() => mbps(1.5, 'maxTxRate')).toThrow(
      'refusing maxTxRate "1.5": expected an integer from 0 to 4294967294',
    );
    expect(mbps(0xffff_fffe)).toBe(0xffff_fffe);
  });

  it('reads a VF entry of the kernel list with unreported fields as null', () => {
    const info: VfInfo = {
      ...INFO,
      vf: 3,
      vlan: 5,
      qos: 1,
      vlanProto: '802.1ad',
      minTxRate: 10,
      maxTxRate: 20,
      linkState: 'enable',
    };
    delete info.spoofchk;
    expect(kernelVfSettings(info)).toEqual({
      mac: MAC,
      vlan: 5,
      qos: 1,
      vlanProto: '802.1ad',
      minTxRate: 10,
      maxTxRate: 20,
      spoofchk: null,
      trust: null,
      linkState: 'enable',
    });
  });
});

describe('the planner and the read-back agree with it', () => {
  const info = INFO;

  it('the read-back says a setting the driver does not report could not be verified, not that it differs', () => {
    expect(compareVf({ trust: true, spoofchk: true }, info)).toEqual({
      state: 'unreadable',
      fields: ['trust'],
    });
    expect(compareVf({ trust: true, spoofchk: false }, info)).toEqual({
      state: 'mismatch',
      fields: [{ field: 'spoofchk', wanted: false, found: true }],
    });
    expect(compareVf({ trust: true }, undefined)).toEqual({ state: 'unreadable' });
  });

  it('the planner sets an unreported setting without comparing (basis unknown), and only what differs as a difference', () => {
    const pf = e810('0000:3b:00.0', 'ens1f0', {
      numVfs: 2,
      vfs: vfs(pciAddress('0000:3b:00.0'), 2).map((v) => ({
        ...v,
        config: { ...v.config!, trust: null },
      })),
    });
    const inv = inventory([pf]);
    const plan = planChanges(
      [
        {
          pciAddress: pf.pciAddress,
          numVfs: 2,
          vfs: [
            { vfIndex: 0, driver: 'host', settings: { trust: true } },
            { vfIndex: 1, driver: 'host', settings: { trust: true, spoofchk: false } },
          ],
        },
      ],
      inv,
    );
    expect(plan.steps.map((s) => [s.kind, s.basis, s.vfs, s.what])).toEqual([
      ['vfSettings', 'differs', [1], 'apply VF settings to VFs 1 of ens1f0'],
      [
        'vfSettings',
        'unknown',
        [0, 1],
        'apply VF settings to VFs 0-1 of ens1f0 (ice does not report trust)',
      ],
    ]);
    expect(plan.notes).toEqual([
      'ens1f0: ice does not report trust of VFs 0-1; it is set without comparing every time and cannot be verified',
    ]);
    const v = verify(plan);
    expect([v.verdict, v.unverifiedSettings]).toEqual(['differs', 2]);
  });
});
