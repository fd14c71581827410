/**
 * Merge rules per PF: PF fields from the strongest policy that sets them, VFs to the strongest
 * group; equal-priority disagreement is an error naming both policies, never a max or last-wins.
 */
import { describe, expect, it } from 'vitest';
import { resolve, texts } from './support.js';

const E810 = 'dual-socket-e810-cx6';
const ens1f0 = { pfNames: ['ens1f0'] };

describe('merge: PF fields', () => {
  it('takes each PF field from the strongest policy that sets it, noting what it overrides', async () => {
    const r = await resolve(
      E810,
      ['base', { priority: 50, selector: { vendor: '8086' }, numVfs: 4, mtu: 1500 }],
      ['jumbo', { priority: 10, selector: ens1f0, mtu: 9000 }],
    );
    expect(r.errors).toEqual([]);
    const pf = r.desired.find((d) => d.netdev === 'ens1f0')!;
    expect(pf).toMatchObject({ numVfs: 4, mtu: 9000, sources: ['jumbo', 'base'] });
    expect(pf.notes).toEqual([
      'mtu 1500 from policy "base" (priority 50) is overridden by 9000 from policy "jumbo" (priority 10)',
    ]);
    expect(r.desired.find((d) => d.netdev === 'ens1f1')).toMatchObject({ numVfs: 4, mtu: 1500 });
  });

  it('refuses different numVfs at the same priority, naming both policies (no silent max)', async () => {
    const r = await resolve(
      E810,
      ['a', { priority: 20, selector: ens1f0, numVfs: 8 }],
      ['b', { priority: 20, selector: ens1f0, numVfs: 16 }],
    );
    expect(r.desired).toEqual([]);
    expect(texts(r.errors)).toEqual([
      'b.yaml:10:3: spec.numVfs: 16 conflicts with 8 from policy "a" (a.yaml:10) on ens1f0 (0000:3b:00.0) — both have priority 20; set the same numVfs in both, or give the one that should win a lower priority number',
    ]);
  });

  it('refuses different eswitchMode at the same priority, and accepts equal values', async () => {
    const conflict = await resolve(
      E810,
      [
        'ovs',
        { priority: 30, selector: { pfNames: ['ens2f0np0'] }, numVfs: 4, eswitchMode: 'switchdev' },
      ],
      [
        'plain',
        { priority: 30, selector: { drivers: ['mlx5_core'] }, numVfs: 4, eswitchMode: 'legacy' },
      ],
    );
    expect(texts(conflict.errors)).toEqual([
      'plain.yaml:11:3: spec.eswitchMode: "legacy" conflicts with "switchdev" from policy "ovs" (ovs.yaml:11) on ens2f0np0 (0000:5e:00.0) — both have priority 30; set the same eswitchMode in both, or give the one that should win a lower priority number',
    ]);
    const same = await resolve(
      E810,
      ['a', { priority: 30, selector: ens1f0, numVfs: 4 }],
      ['b', { priority: 30, selector: ens1f0, numVfs: 4 }],
    );
    expect(same.errors).toEqual([]);
    expect(same.desired[0]!.sources).toEqual(['a', 'b']);
  });

  it('leaves a field to the policies that set it: a later policy without eswitchMode does not reset it', async () => {
    // The operator takes eSwitchMode from the last-applied policy, silently reverting to legacy.
    const r = await resolve(
      E810,
      [
        'ovs',
        { priority: 60, selector: { pfNames: ['ens2f0np0'] }, numVfs: 4, eswitchMode: 'switchdev' },
      ],
      [
        'rates',
        { priority: 10, selector: { pfNames: ['ens2f0np0'] }, vfGroups: [{ maxTxRate: 1000 }] },
      ],
    );
    expect(r.errors).toEqual([]);
    expect(r.desired[0]).toMatchObject({
      numVfs: 4,
      eswitchMode: 'switchdev',
      sources: ['rates', 'ovs'],
    });
    expect(r.desired[0]!.vfs.map((v) => v.policy)).toEqual(['rates', 'rates', 'rates', 'rates']);
  });

  it('refuses a PF no policy gives numVfs', async () => {
    const r = await resolve(E810, ['vlans', { selector: ens1f0, vfGroups: [{ vlan: 10 }] }]);
    expect(texts(r.errors)).toEqual([
      'vlans.yaml:5:1: spec: no policy sets numVfs for ens1f0 (0000:3b:00.0) — it is selected by "vlans"; add spec.numVfs to one of them',
    ]);
  });

  it('refuses two policies with one name', async () => {
    const r = await resolve(
      E810,
      ['dup', { selector: ens1f0, numVfs: 2 }],
      ['dup', { selector: { pfNames: ['ens1f1'] }, numVfs: 2 }],
    );
    expect(texts(r.errors)).toEqual([
      'dup.yaml:4:3: metadata.name: "dup" is also the name of policy "dup" (dup.yaml:4) — policy names must be unique; rename one',
    ]);
  });
});

describe('merge: VF groups', () => {
  it('refuses overlapping ranges at equal priority, naming both policies', async () => {
    const r = await resolve(
      E810,
      ['a', { priority: 40, selector: ens1f0, numVfs: 8, vfGroups: [{ range: '0-3' }] }],
      ['b', { priority: 40, selector: ens1f0, vfGroups: [{ range: '2-5', driver: 'vfio-pci' }] }],
    );
    expect(texts(r.errors)).toEqual([
      'b.yaml:11:7: spec.vfGroups[0].range: VFs 2-3 of ens1f0 (0000:3b:00.0) are also configured by policy "a" (a.yaml:12) at the same priority 40 — make the ranges disjoint, or give the policy that should win a lower priority number',
    ]);
  });

  it('refuses two whole-PF groups at equal priority (the operator webhook case), whatever their names', async () => {
    const r = await resolve(
      E810,
      ['z', { selector: ens1f0, numVfs: 4, vfGroups: [{}] }],
      ['a', { selector: ens1f0, numVfs: 4, vfGroups: [{ driver: 'vfio-pci' }] }],
    );
    expect(r.errors.map((e) => e.message)).toEqual([
      'VFs 0-3 of ens1f0 (0000:3b:00.0) are also configured by policy "a" (a.yaml:9) at the same priority 50 — make the ranges disjoint, or give the policy that should win a lower priority number',
    ]);
  });

  it('gives overlapping VFs to the stronger policy and keeps the weaker one elsewhere', async () => {
    const r = await resolve(
      E810,
      ['tenant', { priority: 50, selector: ens1f0, numVfs: 8, vfGroups: [{ vlan: 100 }] }],
      [
        'dpdk',
        { priority: 10, selector: { pfNames: ['ens1f0#6-7'] }, vfGroups: [{ driver: 'vfio-pci' }] },
      ],
    );
    expect(r.errors).toEqual([]);
    const pf = r.desired[0]!;
    expect(pf.vfs.map((v) => `${v.vfIndex}:${v.policy}:${v.driver}`)).toEqual([
      '0:tenant:host',
      '1:tenant:host',
      '2:tenant:host',
      '3:tenant:host',
      '4:tenant:host',
      '5:tenant:host',
      '6:dpdk:vfio-pci',
      '7:dpdk:vfio-pci',
    ]);
    expect(pf.notes).toEqual([
      'VFs 6-7 of ens1f0 (0000:3b:00.0): policy "dpdk" (priority 10) wins over policy "tenant" (priority 50), whose spec.vfGroups[0] also covers them',
    ]);
  });

  it('refuses overlapping groups within one policy', async () => {
    const r = await resolve(E810, [
      'p',
      { selector: ens1f0, numVfs: 8, vfGroups: [{ range: '0-4' }, { range: '4-7' }] },
    ]);
    expect(r.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.vfGroups[1].range: VF 4 of ens1f0 (0000:3b:00.0) is also in spec.vfGroups[0] of this policy — a VF belongs to one group; make the ranges disjoint',
    ]);
  });

  it('refuses a range beyond the resolved numVfs, naming the policy, the range and numVfs', async () => {
    const r = await resolve(
      E810,
      ['count', { priority: 10, selector: ens1f0, numVfs: 8 }],
      ['wide', { priority: 50, selector: ens1f0, vfGroups: [{ range: '0-7,12' }] }],
    );
    expect(texts(r.errors)).toEqual([
      'wide.yaml:11:7: spec.vfGroups[0].range: range 0-7,12 goes beyond numVfs 8 of ens1f0 (0000:3b:00.0) (numVfs from policy "count" (count.yaml:10)): VF 12 would not exist — VF indexes run 0-7; narrow the range or raise numVfs',
    ]);
  });

  it('refuses a weaker policy whose own numVfs (its implicit range) exceeds the winner', async () => {
    const r = await resolve(
      E810,
      ['small', { priority: 10, selector: ens1f0, numVfs: 4 }],
      ['big', { priority: 50, selector: ens1f0, numVfs: 8, vfGroups: [{ trust: true }] }],
    );
    expect(r.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.numVfs: VFs 0-7 (its own numVfs 8) goes beyond numVfs 4 of ens1f0 (0000:3b:00.0) (numVfs from policy "small" (small.yaml:10)): VFs 4-7 would not exist — VF indexes run 0-3; narrow the range or raise numVfs',
    ]);
  });

  it('keeps a group inside its pfNames range', async () => {
    const r = await resolve(E810, [
      'p',
      { selector: { pfNames: ['ens1f0#0-3'] }, numVfs: 8, vfGroups: [{ range: '2-5' }] },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      '"2-5" includes VFs 4-5 of ens1f0 (0000:3b:00.0), outside VFs 0-3 that spec.selector.pfNames[0] limits this policy to — narrow the range or widen the pfNames range',
    ]);
  });
});
