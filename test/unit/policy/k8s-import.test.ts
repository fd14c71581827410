/** The operator's SriovNetworkNodePolicy, read as a NodePolicy with the operator's defaults. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  parsePolicyDocuments,
  parsePolicyText,
  resolvePolicies,
} from '../../../src/policy/index.js';
import { inventory, texts } from './support.js';

function k8s(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'sriovnetwork.openshift.io/v1',
    kind: 'SriovNetworkNodePolicy',
    metadata: { name, namespace: 'openshift-sriov-network-operator', uid: 'x' },
    spec,
  });
}

const BASE = { resourceName: 'intelnics', numVfs: 8, nicSelector: { pfNames: ['ens1f0'] } };

describe('SriovNetworkNodePolicy import', () => {
  it('converts fields: deviceType → driver, eSwitchMode, mtu on PF and netdevice VFs', () => {
    const [p] = parsePolicyText(
      k8s('a', {
        ...BASE,
        priority: 20,
        mtu: 9000,
        eSwitchMode: 'legacy',
        deviceType: 'netdevice',
      }),
      'a.yaml',
    );
    expect(p).toMatchObject({
      name: 'a',
      priority: 20,
      numVfs: 8,
      mtu: 9000,
      eswitchMode: 'legacy',
      selector: { pfNames: ['ens1f0'] },
      vfGroups: [{ driver: 'host', mtu: 9000 }],
      source: { kind: 'SriovNetworkNodePolicy', resourceName: 'intelnics' },
      warnings: [],
    });
    const [v] = parsePolicyText(
      k8s('v', { ...BASE, priority: 20, deviceType: 'vfio-pci', mtu: 9000 }),
      'v.yaml',
    );
    expect(v!.vfGroups).toEqual([{ driver: 'vfio-pci' }]);
    // numVfs 0: the operator makes no VF group.
    const [z] = parsePolicyText(k8s('z', { ...BASE, priority: 20, numVfs: 0 }), 'z.yaml');
    expect(z!.vfGroups).toEqual([]);
  });

  it('defaults an omitted priority to 99 (the webhook default) and says why', () => {
    const [p] = parsePolicyText(k8s('a', BASE), 'a.yaml');
    expect(p!.priority).toBe(99);
    expect(texts(p!.warnings)).toEqual([
      "a.yaml:7:1: spec.priority: is not set — using 99, the operator webhook's default and the weakest priority (without the webhook, Go's zero value 0 would make this the strongest policy); set priority explicitly",
    ]);
  });

  it('loses to a NodePolicy at the default priority because 99 is the weakest', async () => {
    const inv = await inventory('dual-socket-e810-cx6');
    const docs = [
      ...parsePolicyText(k8s('from-operator', { ...BASE, numVfs: 4 }), 'k.yaml'),
      ...parsePolicyText(
        stringify({
          apiVersion: 'sriovctl.io/v1alpha1',
          kind: 'NodePolicy',
          metadata: { name: 'native' },
          spec: { selector: { pfNames: ['ens1f0'] }, numVfs: 8 },
        }),
        'n.yaml',
      ),
    ];
    const r = resolvePolicies(docs, inv);
    expect(r.errors).toEqual([]);
    expect(r.desired[0]).toMatchObject({ netdev: 'ens1f0', numVfs: 8 });
    expect(r.desired[0]!.notes).toEqual([
      'numVfs 4 from policy "from-operator" (priority 99) is overridden by 8 from policy "native" (priority 50)',
    ]);
  });

  it('keeps pfNames ranges: two operator partitions of one PF merge without overlap', async () => {
    const inv = await inventory('dual-socket-e810-cx6');
    const text = [
      k8s('net', { ...BASE, priority: 10, nicSelector: { pfNames: ['ens1f0#0-3'] } }),
      k8s('dpdk', {
        ...BASE,
        priority: 10,
        deviceType: 'vfio-pci',
        nicSelector: { pfNames: ['ens1f0#4-7'] },
      }),
    ].join('---\n');
    const r = resolvePolicies(parsePolicyText(text, 'k.yaml'), inv);
    expect(r.errors).toEqual([]);
    expect(r.desired[0]!.vfs.map((v) => `${v.vfIndex}:${v.driver}`)).toEqual([
      '0:host',
      '1:host',
      '2:host',
      '3:host',
      '4:vfio-pci',
      '5:vfio-pci',
      '6:vfio-pci',
      '7:vfio-pci',
    ]);
  });

  it('reports conflicts with the operator field names', async () => {
    const inv = await inventory('dual-socket-e810-cx6');
    const text = [
      k8s('a', { ...BASE, priority: 10, mtu: 9000 }),
      k8s('b', { ...BASE, priority: 10, mtu: 1500 }),
    ].join('---\n');
    const r = resolvePolicies(parsePolicyText(text, 'k.yaml'), inv);
    expect(texts(r.errors)).toEqual([
      'k.yaml:24:3: spec.numVfs: VFs 0-7 of ens1f0 (0000:3b:00.0) are also configured by policy "a" (k.yaml:9) at the same priority 10 — make the ranges disjoint, or give the policy that should win a lower priority number',
      'k.yaml:29:3: spec.mtu: 1500 conflicts with 9000 from policy "a" (k.yaml:14) on ens1f0 (0000:3b:00.0) — both have priority 10; set the same mtu in both, or give the one that should win a lower priority number',
    ]);
  });

  it('refuses what sriovctl cannot honour and warns about what it ignores', () => {
    const r = parsePolicyDocuments(
      k8s('a', {
        ...BASE,
        priority: 10,
        nodeSelector: { 'node-role.kubernetes.io/worker': '' },
        linkType: 'IB',
        vdpaType: 'virtio',
        externallyManaged: true,
        bridge: { ovs: {} },
        nicSelector: { netFilter: 'openstack/NetworkID:abc' },
      }),
      'a.yaml',
    );
    expect(texts(r.errors)).toEqual([
      'a.yaml:11:5: spec.nicSelector.netFilter: "openstack/NetworkID:abc" is not supported — netFilter selects OpenStack/AWS networks from cloud metadata; select PFs with pfNames, rootDevices or vendor/deviceID',
      'a.yaml:15:3: spec.linkType: "IB" is not supported — sriovctl configures Ethernet VFs; InfiniBand VFs need GUIDs and the ib-sriov-cni',
      'a.yaml:16:3: spec.vdpaType: "virtio" is not supported — sriovctl does not create vDPA devices; remove vdpaType',
      "a.yaml:17:3: spec.externallyManaged: true is not supported — sriovctl creates and owns the VFs of the PFs it manages; remove externallyManaged to let sriovctl create them, or leave the PF out of sriovctl's policies",
      'a.yaml:18:3: spec.bridge: is not supported — sriovctl does not configure OVS bridges; remove bridge and manage OVS separately',
    ]);
    const w = parsePolicyText(
      k8s('w', { ...BASE, priority: 10, isRdma: true, needVhostNet: true, excludeTopology: true }),
      'w.yaml',
    )[0]!;
    expect(w.warnings.map((i) => i.field)).toEqual([
      'spec.isRdma',
      'spec.needVhostNet',
      'spec.excludeTopology',
    ]);
    const rdmaVfio = parsePolicyDocuments(
      k8s('x', { ...BASE, priority: 10, isRdma: true, deviceType: 'vfio-pci' }),
      'x.yaml',
    );
    expect(rdmaVfio.errors[0]!.message).toMatch(/^true conflicts with deviceType vfio-pci/);
  });

  it('checks operator fields strictly too, and reads kubectl List output', () => {
    const bad = parsePolicyDocuments(
      k8s('a', { ...BASE, numVfs: 'many', pfName: ['x'] }),
      'a.yaml',
    );
    expect(texts(bad.errors)).toEqual([
      'a.yaml:9:3: spec.numVfs: "many" is not a number — numVfs is 0-65535 (the PF\'s totalVfs is the real limit)',
      'a.yaml:13:3: spec.pfName: unknown field — did you mean "pfNames"?',
    ]);
    const list = stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'sriovnetwork.openshift.io/v1',
          kind: 'SriovNetworkNodePolicy',
          metadata: { name: 'a' },
          spec: { ...BASE, priority: 1 },
        },
        {
          apiVersion: 'sriovnetwork.openshift.io/v1',
          kind: 'SriovNetworkNodePolicy',
          metadata: { name: 'b' },
          spec: { ...BASE, priority: 2 },
        },
      ],
    });
    expect(parsePolicyText(list, 'l.yaml').map((p) => `${p.name}:${p.priority}`)).toEqual([
      'a:1',
      'b:2',
    ]);
  });
});
