/** The desired state: per PF and per VF, what the executor should make true. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localFiles } from '../../../src/host/linux/index.js';
import { autoMac, loadPolicyFiles, resolvePolicies } from '../../../src/policy/index.js';
import { inventory, resolve, texts } from './support.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/policies', import.meta.url));

describe('auto MACs', () => {
  it('are stable, unicast and locally administered', () => {
    const a = autoMac('compute-17', '0000:3b:00.0', 3);
    expect(a).toBe(autoMac('compute-17', '0000:3b:00.0', 3));
    expect(a).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const first = parseInt(a.slice(0, 2), 16);
    expect(first & 0x01).toBe(0); // unicast
    expect(first & 0x02).toBe(2); // locally administered
  });

  it('differ by host, PF and VF index', () => {
    const base = autoMac('compute-17', '0000:3b:00.0', 0);
    expect(autoMac('compute-18', '0000:3b:00.0', 0)).not.toBe(base);
    expect(autoMac('compute-17', '0000:3b:00.1', 0)).not.toBe(base);
    expect(autoMac('compute-17', '0000:3b:00.0', 1)).not.toBe(base);
  });

  it('pin the scheme: a changed derivation would re-MAC every deployed VF', () => {
    expect(autoMac('compute-17', '0000:3b:00.0', 0)).toBe('ea:a2:b3:95:4f:d4');
  });

  it('are unique across 2048 VFs of the 8 x 256 host', async () => {
    const r = await resolve('e810-8x256', [
      'all',
      { selector: { drivers: ['ice'] }, numVfs: 256, vfGroups: [{ mac: 'auto' }] },
    ]);
    expect(r.errors).toEqual([]);
    const macs = r.desired.flatMap((d) => d.vfs.map((v) => v.settings.mac));
    expect(macs).toHaveLength(2048);
    expect(new Set(macs).size).toBe(2048);
  });
});

describe('resolvePolicies', () => {
  it('maps a group to executor settings: VLAN defaults, mac none clears, VF MTU on host VFs', async () => {
    const r = await resolve('dual-socket-e810-cx6', [
      'p',
      {
        selector: { pfNames: ['ens1f0'] },
        numVfs: 3,
        mtu: 9000,
        vfGroups: [
          { range: '0', vlan: 100, mac: 'none', mtu: 9000, linkState: 'enable' },
          { range: '1', vlan: 200, qos: 2, vlanProto: '802.1Q', spoofchk: false, trust: true },
          { range: '2', driver: 'none', minTxRate: 100, maxTxRate: 1000 },
        ],
      },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.desired).toEqual([
      {
        pciAddress: '0000:3b:00.0',
        netdev: 'ens1f0',
        numVfs: 3,
        mtu: 9000,
        vfs: [
          {
            vfIndex: 0,
            driver: 'host',
            mtu: 9000,
            policy: 'p',
            settings: {
              mac: '00:00:00:00:00:00',
              vlan: { vlan: 100, qos: 0, proto: '802.1Q' },
              linkState: 'enable',
            },
          },
          {
            vfIndex: 1,
            driver: 'host',
            policy: 'p',
            settings: {
              vlan: { vlan: 200, qos: 2, proto: '802.1Q' },
              spoofchk: false,
              trust: true,
            },
          },
          {
            vfIndex: 2,
            driver: 'none',
            policy: 'p',
            settings: { minTxRate: 100, maxTxRate: 1000 },
          },
        ],
        sources: ['p'],
        notes: [],
      },
    ]);
  });

  it('lists only the VFs a group covers; the others are left alone', async () => {
    const r = await resolve('dual-socket-e810-cx6', [
      'p',
      { selector: { pfNames: ['ens1f0'] }, numVfs: 8, vfGroups: [{ range: '2,5', trust: true }] },
    ]);
    expect(r.desired[0]!.vfs.map((v) => v.vfIndex)).toEqual([2, 5]);
  });

  it('returns no desired state at all while any error remains', async () => {
    const r = await resolve(
      'dual-socket-e810-cx6',
      ['good', { selector: { pfNames: ['ens1f1'] }, numVfs: 4 }],
      ['bad', { selector: { pfNames: ['ens1f0'] }, numVfs: 400 }],
    );
    expect(r.errors).toHaveLength(1);
    expect(r.desired).toEqual([]);
  });

  it('resolves the shipped examples on the default simulated host without errors', async () => {
    const inv = await inventory('dual-socket-e810-cx6');
    const r = resolvePolicies(loadPolicyFiles([EXAMPLES], localFiles), inv);
    expect(texts(r.errors)).toEqual([]);
    expect(r.warnings.map((w) => `${w.field}: ${w.message.split(' — ')[0]}`)).toEqual([
      'spec.nodeSelector: is ignored',
    ]);
    expect(
      r.desired.map(
        (d) => `${d.netdev} numVfs=${d.numVfs} vfs=${d.vfs.length} ${d.sources.join(',')}`,
      ),
    ).toEqual([
      'ens1f0 numVfs=16 vfs=16 e810-dpdk-split',
      'ens1f1 numVfs=16 vfs=16 e810-dpdk-split',
      'ens2f0np0 numVfs=8 vfs=8 cx6-switchdev',
      'ens3f0 numVfs=6 vfs=6 tenant-b-quarantine,tenants-ens3f0',
      'ens3f1 numVfs=8 vfs=4 intel-dpdk',
    ]);
    const ens3f0 = r.desired.find((d) => d.netdev === 'ens3f0')!;
    expect(ens3f0.notes).toEqual([
      'VF 4 of ens3f0 (0000:86:00.0): policy "tenant-b-quarantine" (priority 10) wins over policy "tenants-ens3f0" (priority 50), whose spec.vfGroups[1] also covers it',
    ]);
    expect(ens3f0.vfs[4]).toMatchObject({
      policy: 'tenant-b-quarantine',
      settings: { vlan: { vlan: 999, qos: 0, proto: '802.1Q' }, linkState: 'disable' },
    });
  });
});
