/** Loading policy files: format errors located at file:line:col with the field, value and fix. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadPolicyFiles,
  parsePolicyDocuments,
  parsePolicyText,
  PolicyLoadError,
} from '../../../src/policy/index.js';
import { localFiles } from '../../../src/host/linux/index.js';
import { locate } from '../../../src/policy/schema.js';
import { texts } from './support.js';
import { aliasBomb } from '../../support/yaml-bomb.js';

const HEAD = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata:
  name: a
`;

/** The error lines for a policy whose spec is given as YAML text (starting on line 5). */
function errorsFor(spec: string): string[] {
  return texts(parsePolicyDocuments(`${HEAD}spec:\n${spec}`, 'policies/a.yaml').errors);
}

describe('NodePolicy format', () => {
  it('loads a policy with defaults: priority 50, driver host', () => {
    const [p] = parsePolicyText(
      `${HEAD}spec:\n  selector: { pfNames: [ens1f0] }\n  numVfs: 4\n  vfGroups:\n    - range: 0-3\n`,
      'a.yaml',
    );
    expect(p).toMatchObject({
      name: 'a',
      priority: 50,
      numVfs: 4,
      selector: { pfNames: ['ens1f0'] },
      vfGroups: [{ range: '0-3', driver: 'host' }],
      source: { file: 'a.yaml', kind: 'NodePolicy', position: { line: 1, col: 1 } },
    });
  });

  it('reports an out-of-range VLAN at its key with the value and the fix', () => {
    expect(
      errorsFor(`  selector:
    pfNames: [ens1f0]
  numVfs: 8
  vfGroups:
    - range: 0-7
      driver: host
      vlan: 5000
`),
    ).toEqual([
      'policies/a.yaml:12:7: spec.vfGroups[0].vlan: 5000 is out of range — VLAN IDs are 1-4094 (0 = untagged)',
    ]);
  });

  it('reports every problem of a file at once', () => {
    expect(
      errorsFor(`  priority: 100
  selector:
    vendor: intel
  numVfs: -1
  eswitchMode: offload
  vfGroups:
    - qos: 9
      vlanProto: 802.1q
      maxTxRate: 1.5
      trust: yes
      linkState: up
      driver: iavf
      mac: [02:00:00:00:00:01, zz]
`),
    ).toEqual([
      'policies/a.yaml:6:3: spec.priority: 100 is out of range — priority is 0-99; a lower number wins (0 is the strongest)',
      'policies/a.yaml:8:5: spec.selector.vendor: "intel" is not valid — a PCI vendor ID is 4 hex digits without 0x, like 8086 (Intel) or 15b3 (NVIDIA)',
      "policies/a.yaml:9:3: spec.numVfs: -1 is out of range — numVfs is 0-65535 (the PF's totalVfs is the real limit)",
      'policies/a.yaml:10:3: spec.eswitchMode: "offload" is not valid — eswitchMode is legacy or switchdev',
      'policies/a.yaml:12:7: spec.vfGroups[0].qos: 9 is out of range — qos is the 802.1p priority, 0-7',
      'policies/a.yaml:13:7: spec.vfGroups[0].vlanProto: "802.1q" is not valid — vlanProto is 802.1Q or 802.1ad',
      'policies/a.yaml:14:7: spec.vfGroups[0].maxTxRate: 1.5 is not a whole number — rates are whole Mbit/s, 0-1000000 (0 = no limit)',
      'policies/a.yaml:15:7: spec.vfGroups[0].trust: "yes" is not true or false — trust is true or false',
      'policies/a.yaml:16:7: spec.vfGroups[0].linkState: "up" is not valid — linkState is auto, enable or disable',
      'policies/a.yaml:17:7: spec.vfGroups[0].driver: "iavf" is not valid — driver is host (the PF\'s VF driver, e.g. iavf), vfio-pci or none',
      'policies/a.yaml:18:32: spec.vfGroups[0].mac[1]: "zz" is not valid — a MAC address like 02:00:00:00:00:01',
    ]);
  });

  it('refuses unknown fields, suggesting the field meant', () => {
    expect(
      errorsFor(`  selector: { pfNames: [ens1f0], deviceId: "1592" }
  numVfs: 8
  vfGroups:
    - vlna: 100
      vlanproto: 802.1Q
      colour: blue
`),
    ).toEqual([
      'policies/a.yaml:6:34: spec.selector.deviceId: unknown field — did you mean "deviceID"?',
      'policies/a.yaml:9:7: spec.vfGroups[0].vlna: unknown field — did you mean "vlan"?',
      'policies/a.yaml:10:7: spec.vfGroups[0].vlanproto: unknown field — did you mean "vlanProto"?',
      'policies/a.yaml:11:7: spec.vfGroups[0].colour: unknown field — remove it (fields are listed in examples/policies/README.md)',
    ]);
  });

  it('points misplaced fields to where they belong', () => {
    const text = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
name: a
metadata: { name: a }
spec:
  priority: 10
  nicSelector: { pfNames: [ens1f0] }
`;
    expect(texts(parsePolicyDocuments(text, 'p.yaml').errors)).toEqual([
      'p.yaml:3:1: name: unknown field here — it belongs at metadata.name',
      'p.yaml:5:1: spec.selector: is required — selector is a mapping of vendor, deviceID, pfNames, rootDevices, pciAddresses and drivers',
      "p.yaml:7:3: spec.nicSelector: unknown field here — it belongs at spec.selector (nicSelector is the operator's name)",
    ]);
  });

  it('explains bad VF ranges and bad pfNames ranges', () => {
    expect(
      errorsFor(`  selector: { pfNames: ['ens1f0#7-3', 'ens1f1#a-b'] }
  numVfs: 8
  vfGroups:
    - range: 7-3
    - range: a-b
    - range: 0-3,2
`),
    ).toEqual([
      'policies/a.yaml:6:25: spec.selector.pfNames[0]: "ens1f0#7-3" is not a PF name — it has the VF range "7-3", where "7-3" starts after it ends (write 3-7); write names like ens1f0 or ens1f0#0-7,12',
      'policies/a.yaml:6:39: spec.selector.pfNames[1]: "ens1f1#a-b" is not a PF name — it has the VF range "a-b", where "a-b" is not a VF index or an a-b range; write names like ens1f0 or ens1f0#0-7,12',
      'policies/a.yaml:9:7: spec.vfGroups[0].range: "7-3" is not a VF range — "7-3" starts after it ends (write 3-7); write ranges like 0-7,12',
      'policies/a.yaml:10:7: spec.vfGroups[1].range: "a-b" is not a VF range — "a-b" is not a VF index or an a-b range; write ranges like 0-7,12',
      'policies/a.yaml:11:7: spec.vfGroups[2].range: "0-3,2" is not a VF range — VF 2 is named twice; write ranges like 0-7,12',
    ]);
  });

  it('takes unquoted YAML numbers back as PCI IDs and normalises addresses and MACs', () => {
    const [p] = parsePolicyText(
      `${HEAD}spec:
  selector: { vendor: 8086, deviceID: 0x1592, rootDevices: ['3B:00.0'] }
  vfGroups:
    - range: 3
      mac: 02-AA-00-00-00-01
`,
      'a.yaml',
    );
    expect(p!.selector).toEqual({
      vendor: '8086',
      deviceID: '1592',
      rootDevices: ['0000:3b:00.0'],
    });
    expect(p!.vfGroups[0]).toEqual({ range: '3', driver: 'host', mac: ['02:aa:00:00:00:01'] });
  });

  it('reads several YAML documents, a JSON object and a JSON array', () => {
    const yaml = `${HEAD}spec: { selector: { drivers: [ice] } }\n---\n${HEAD.replace('name: a', 'name: b')}spec: { selector: { drivers: [ice] } }\n---\n`;
    expect(parsePolicyText(yaml, 'a.yaml').map((p) => p.name)).toEqual(['a', 'b']);
    const one = {
      apiVersion: 'sriovctl.io/v1alpha1',
      kind: 'NodePolicy',
      metadata: { name: 'j' },
      spec: { selector: { drivers: ['ice'] }, numVfs: 2 },
    };
    expect(parsePolicyText(JSON.stringify(one), 'j.json')[0]!.numVfs).toBe(2);
    const arr = JSON.stringify([one, { ...one, metadata: { name: 'k' } }], null, 2);
    expect(parsePolicyText(arr, 'j.json').map((p) => p.name)).toEqual(['j', 'k']);
    const bad = JSON.stringify([one, { ...one, spec: { selector: {}, numVfs: 'x' } }], null, 2);
    expect(texts(parsePolicyDocuments(bad, 'j.json').errors)).toEqual([
      'j.json:25:7: spec.numVfs: "x" is not a number — numVfs is 0-65535 (the PF\'s totalVfs is the real limit)',
    ]);
  });

  it('reports YAML syntax errors, empty files and foreign kinds', () => {
    expect(texts(parsePolicyDocuments('a: [1, 2\n', 'x.yaml').errors)[0]).toMatch(
      /^x\.yaml:2:1: .* — fix the YAML\/JSON syntax$/,
    );
    expect(texts(parsePolicyDocuments('# nothing\n', 'x.yaml').errors)).toEqual([
      'x.yaml:1:1: holds no policy — expected apiVersion: sriovctl.io/v1alpha1, kind: NodePolicy',
    ]);
    const net = `apiVersion: sriovnetwork.openshift.io/v1\nkind: SriovNetwork\nmetadata: { name: n }\n`;
    expect(texts(parsePolicyDocuments(net, 'x.yaml').errors)).toEqual([
      'x.yaml:2:1: kind: "SriovNetwork" (apiVersion "sriovnetwork.openshift.io/v1") is not a node policy — sriovctl reads NodePolicy (sriovctl.io/v1alpha1) and SriovNetworkNodePolicy (sriovnetwork.openshift.io/v1); keep other objects in other files',
    ]);
    expect(
      texts(parsePolicyDocuments('kind: NodePolicy\napiVersion: v1\n', 'x.yaml').errors),
    ).toContain('x.yaml:2:1: apiVersion: "v1" is not valid — apiVersion is sriovctl.io/v1alpha1');
  });

  it('refuses an alias bomb, an alias without anchor and an oversized text, each located', () => {
    // The third level's second alias is where expansion goes over 100 (9 × 9 × 2).
    expect(texts(parsePolicyDocuments(aliasBomb(), 'bomb.yaml').errors)).toEqual([
      'bomb.yaml:4:15: too many aliases: expanding *a2 here goes over the limit of 100 alias expansions (nested aliases multiply) — write the values out or use fewer levels of aliases',
    ]);
    expect(texts(parsePolicyDocuments(`${HEAD}spec: *base\n`, 'x.yaml').errors)).toEqual([
      'x.yaml:5:7: alias *base names no anchor before it — define &base first',
    ]);
    const huge = `${HEAD}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(texts(parsePolicyDocuments(huge, 'huge.yaml').errors)).toEqual([
      `huge.yaml:1:1: the document is ${huge.length} bytes, over the limit of 1048576 bytes for YAML sriovctl reads — split it into several files`,
    ]);
  });

  it('still lets a policy reuse settings through anchors', () => {
    const [p] = parsePolicyText(
      `${HEAD}spec:\n  selector: { pfNames: [ens1f0] }\n  numVfs: 8\n  vfGroups:\n    - { range: 0-3, vlan: &v 7, maxTxRate: 100 }\n    - { range: 4-7, vlan: *v }\n`,
      'a.yaml',
    );
    expect(p!.vfGroups.map((g) => [g.range, g.vlan])).toEqual([
      ['0-3', 7],
      ['4-7', 7],
    ]);
  });

  it('locates fields of loaded policies for later checks', () => {
    const [p] = parsePolicyText(
      `${HEAD}spec:\n  selector: { pfNames: [ens1f0] }\n  numVfs: 4\n  vfGroups:\n    - range: 0-3\n      vlan: 7\n`,
      'a.yaml',
    );
    expect(locate(p!, 'spec.vfGroups[0].vlan')).toEqual({
      field: 'spec.vfGroups[0].vlan',
      pos: { line: 10, col: 7 },
      file: 'a.yaml',
    });
    // A defaulted field has no position of its own: the nearest enclosing one is used.
    expect(locate(p!, 'spec.vfGroups[0].driver').pos).toEqual({ line: 9, col: 7 });
  });
});

describe('loadPolicyFiles', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads files and directories, and throws with the problems of every file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-policy-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a.yaml'), `${HEAD}spec: { selector: { drivers: [ice] } }\n`);
    writeFileSync(join(dir, 'b.json'), '[1]');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(() => loadPolicyFiles([dir], localFiles)).toThrow(PolicyLoadError);
    expect(() => loadPolicyFiles([dir, join(dir, 'missing.yaml')], localFiles)).toThrow(
      expect.objectContaining({
        issues: [
          expect.objectContaining({
            text: `${join(dir, 'b.json')}:1:2: is not a policy object — expected a mapping with apiVersion: sriovctl.io/v1alpha1 and kind: NodePolicy`,
          }),
          expect.objectContaining({
            text: `${join(dir, 'missing.yaml')}:1:1: cannot be read (ENOENT) — check the path and its permissions`,
          }),
        ],
      }),
    );
    rmSync(join(dir, 'b.json'));
    expect(loadPolicyFiles([dir], localFiles).map((p) => p.name)).toEqual(['a']);
  });

  it('refuses a file over the YAML size limit without reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-policy-'));
    dirs.push(dir);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `${HEAD}# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect(() => loadPolicyFiles([big], localFiles)).toThrow(
      new RegExp(`^${big}:1:1: the document is \\d+ bytes, over the limit of 1048576 bytes`),
    );
  });
});
