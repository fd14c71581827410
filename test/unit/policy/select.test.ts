/** Which PFs a policy selects on realistic hosts: fields AND-ed, list entries OR-ed. */
import { describe, expect, it } from 'vitest';
import { selectPfs } from '../../../src/policy/select.js';
import { inventory, policies, resolve, texts } from './support.js';

async function selected(fixture: string, selector: Record<string, unknown>): Promise<string[]> {
  const [p] = policies(['p', { selector }]);
  return selectPfs(p!, await inventory(fixture)).map((s) => s.pf.netdev ?? s.pf.pciAddress);
}

describe('selection', () => {
  it('matches vendor and deviceID as lowercase hex without 0x', async () => {
    expect(await selected('dual-socket-e810-cx6', { vendor: '8086' })).toEqual([
      'ens1f0',
      'ens1f1',
      'ens3f0',
      'ens3f1',
    ]);
    expect(await selected('dual-socket-e810-cx6', { vendor: '15B3', deviceID: '0x101D' })).toEqual([
      'ens2f0np0',
      'ens2f1np1',
    ]);
  });

  it('ANDs every field: vendor and a PF name of another vendor select nothing', async () => {
    expect(await selected('dual-socket-e810-cx6', { vendor: '15b3', pfNames: ['ens1f0'] })).toEqual(
      [],
    );
    expect(
      await selected('dual-socket-e810-cx6', {
        drivers: ['ice'],
        pfNames: ['ens3f1', 'ens2f0np0'],
      }),
    ).toEqual(['ens3f1']);
  });

  it('matches rootDevices and pciAddresses against the PF PCI address (short form allowed)', async () => {
    expect(await selected('dual-socket-e810-cx6', { rootDevices: ['5e:00.1'] })).toEqual([
      'ens2f1np1',
    ]);
    expect(
      await selected('dual-socket-e810-cx6', { pciAddresses: ['0000:86:00.0', '0000:3b:00.0'] }),
    ).toEqual(['ens1f0', 'ens3f0']);
  });

  it('matches drivers against the PF driver', async () => {
    expect(await selected('small-82599', { drivers: ['ixgbe'] })).toEqual(['enp4s0f0', 'enp4s0f1']);
    expect(await selected('iommu-off', { drivers: ['ice', 'i40e'] })).toEqual(['ens2f0', 'ens2f1']);
  });

  it('turns pfNames ranges into a claim on that PF, adding up several entries', async () => {
    const [p] = policies(['p', { selector: { pfNames: ['ens1f0#0-3', 'ens1f0#8', 'ens1f1'] } }]);
    const s = selectPfs(p!, await inventory('dual-socket-e810-cx6'));
    expect(s.map((x) => [x.pf.netdev, x.claim, x.claimField])).toEqual([
      ['ens1f0', [0, 1, 2, 3, 8], 'spec.selector.pfNames[0]'],
      ['ens1f1', null, null],
    ]);
  });

  it('warns, not errors, when a policy selects nothing on this host', async () => {
    const r = await resolve('small-82599', [
      'e810-only',
      { selector: { deviceID: '1592' }, numVfs: 4 },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.desired).toEqual([]);
    expect(texts(r.warnings)).toEqual([
      'e810-only.yaml:6:3: spec.selector: selects no PF on host edge-03 — SR-IOV PFs here: enp4s0f0 (8086:10fb ixgbe), enp4s0f1 (8086:10fb ixgbe); check the selector if this policy is meant for this host',
    ]);
  });

  it('refuses an empty selector instead of matching everything', async () => {
    const r = await resolve('small-82599', ['all', { selector: {}, numVfs: 4 }]);
    expect(texts(r.errors)).toEqual([
      'all.yaml:6:3: spec.selector: is empty — select PFs with at least one of vendor, deviceID, pfNames, rootDevices, pciAddresses or drivers (an empty selector matches nothing)',
    ]);
  });
});
