// Fault injection, the write journal, seam input safety and fixture validation on the simulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HostTimeoutError,
  MalformedHostError,
  UnsafeInputError,
} from '../../../src/host/errors.js';
import { driverName, ifName } from '../../../src/host/names.js';
import {
  listFixtures,
  loadSimHost,
  parseFixture,
  simHostFromYaml,
  type SimHost,
} from '../../../src/host/sim/index.js';
import { loadFixture } from '../../../src/host/sim/fixture-loader.js';
import { aliasBomb } from '../../support/yaml-bomb.js';
import { eventually } from '../../support/eventually.js';

const hosts: SimHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});
async function boot(name = 'dual-socket-e810-cx6') {
  const h = await loadSimHost(name, { timing: 'off' });
  hosts.push(h);
  return h;
}
const NUMVFS = '/sys/bus/pci/devices/0000:3b:00.1/sriov_numvfs';

describe('fault injection', () => {
  it('fails the Nth matching write with the chosen errno and leaves the state untouched', async () => {
    const h = await boot();
    h.faults.add({ op: 'write', target: /sriov_numvfs$/, nth: 2, errno: 'ENOMEM' });
    await h.writeFile(NUMVFS, '2');
    await expect(h.writeFile(NUMVFS, '0')).rejects.toMatchObject({ errno: 'ENOMEM' });
    expect(await h.readFile(NUMVFS)).toBe('2\n');
    // Only the second matching write failed; the third goes through.
    await h.writeFile(NUMVFS, '0');
    expect(await h.readFile(NUMVFS)).toBe('0\n');
    expect(h.faults.fired).toHaveLength(1);
  });

  it('makes a write hang until released; a timeout surfaces as HostTimeoutError', async () => {
    const h = await boot();
    h.faults.add({ op: 'write', target: NUMVFS, hang: true });
    const err = await h.writeFile(NUMVFS, '2', { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostTimeoutError);
    h.faults.releaseHangs();
    await eventually('the released write', () => h.journal.some((j) => j.value === '2'));
    // The hung write completed after release, as a real one eventually would.
    expect(await h.readFile(NUMVFS)).toBe('2\n');
  });

  it('fails a netlink change for one VF', async () => {
    const h = await boot();
    h.faults.add({ op: 'netlink', target: 'ens1f0 vf 2', errno: 'EIO' });
    const r = await h.linkApply([
      { kind: 'vf', pf: ifName('ens1f0'), vf: 1, trust: true },
      { kind: 'vf', pf: ifName('ens1f0'), vf: 2, trust: true },
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, false]);
  });

  it('journals every write with its result, in order', async () => {
    const h = await boot();
    await h.writeFile(NUMVFS, '2');
    await h.writeFile(NUMVFS, '3').catch(() => undefined);
    expect(h.journal.map((j) => [j.op, j.value, j.result])).toEqual([
      ['write', '2', 'ok'],
      ['write', '3', 'EBUSY'],
    ]);
  });
});

describe('seam input safety', () => {
  it('refuses traversal and writes outside /sys', async () => {
    const h = await boot();
    await expect(h.readFile('/sys/bus/pci/devices/../../../etc/shadow')).rejects.toBeInstanceOf(
      UnsafeInputError,
    );
    await expect(h.writeFile('/etc/passwd', 'x')).rejects.toBeInstanceOf(UnsafeInputError);
    await expect(h.readFile('relative/path')).rejects.toBeInstanceOf(UnsafeInputError);
    expect(() => ifName('eth0\nlink set dev lo down')).toThrow(UnsafeInputError);
    expect(() => ifName('a b')).toThrow(UnsafeInputError);
    expect(() => ifName('..')).toThrow(UnsafeInputError);
  });

  it('driver names: real ones pass; any "..", slash, space, newline or leading dot/dash is refused', () => {
    for (const ok of ['vfio-pci', 'mlx5_core', 'iavf', 'i40e', 'ixgbevf', 'pci-stub', 'v1.2'])
      expect(driverName(ok)).toBe(ok);
    // A driver name becomes a path component (/sys/bus/pci/drivers/<name>/unbind).
    for (const bad of [
      '..',
      'a..b',
      'vfio..',
      '../vfio-pci',
      'a/b',
      '.hidden',
      '-x',
      '',
      'a b',
      'a\nb',
    ])
      expect(() => driverName(bad), bad).toThrow(UnsafeInputError);
    expect(() => driverName('vfio..pci', 'pool.vfDriver')).toThrow(
      'refusing pool.vfDriver "vfio..pci": expected a driver name like vfio-pci or iavf',
    );
  });
});

describe('fixtures', () => {
  it('ships the documented fixtures and boots each of them', async () => {
    expect(listFixtures()).toEqual(
      expect.arrayContaining([
        'dual-socket-e810-cx6',
        'small-82599',
        'iommu-off',
        'mixed-firmware',
        'e810-8x256',
      ]),
    );
    for (const name of listFixtures()) {
      const h = await boot(name);
      expect(h.description).toMatchObject({ kind: 'sim', name });
    }
  });

  it('names file, line, column and field of a bad value', () => {
    const text = [
      'name: bad',
      'hostname: h1',
      'devices:',
      '  - model: intel-82599-sfp',
      '    address: 04:00.0',
    ].join('\n');
    try {
      parseFixture(text, 'bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MalformedHostError);
      expect((e as Error).message).toBe(
        'bad.yaml:5:14: devices[0].address: expected a PCI address like 0000:3b:00.0 (lowercase hex), found "04:00.0"',
      );
    }
  });

  it('reports a YAML syntax error with its position', () => {
    expect(() => parseFixture('name: [unclosed\nhostname: x\n', 'syntax.yaml')).toThrow(
      /^syntax\.yaml:\d+:\d+: expected valid YAML/,
    );
  });

  it('refuses an alias bomb and a file over the size limit, located', () => {
    expect(() =>
      parseFixture(`name: t\nhostname: h1\ndevices: []\n${aliasBomb()}`, 'b.yaml'),
    ).toThrow(
      new MalformedHostError(
        'b.yaml:7:15',
        "YAML within sriovctl's limits",
        'too many aliases: expanding *a2 here goes over the limit of 100 alias expansions (nested aliases multiply) — write the values out or use fewer levels of aliases',
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'sriovctl-fixture-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `name: t\n# ${'x'.repeat(2 * 1024 * 1024)}\n`);
      expect(() => loadFixture(big)).toThrow(
        `${big}:1:1: expected YAML within sriovctl's limits, found the document is 2097163 bytes, over the limit of 1048576 bytes`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown model, an unknown key, numVfs beyond totalVfs and duplicate addresses', () => {
    const base = ['name: t', 'hostname: h1', 'devices:'];
    expect(() =>
      parseFixture(
        [...base, '  - { model: intel-9999, address: "0000:01:00.0" }'].join('\n'),
        'f.yaml',
      ),
    ).toThrow(/devices\[0\]\.model: expected one of intel-82599-sfp/);
    expect(() =>
      parseFixture(
        [...base, '  - { model: intel-82599-sfp, address: "0000:01:00.0", colour: red }'].join(
          '\n',
        ),
        'f.yaml',
      ),
    ).toThrow(/devices\[0\]/);
    expect(() =>
      parseFixture(
        [
          ...base,
          '  - { model: mellanox-cx6dx, address: "0000:01:00.0", totalVfs: 8, numVfs: 9 }',
        ].join('\n'),
        'f.yaml',
      ),
    ).toThrow(/devices\[0\]\.numVfs: expected at most totalVfs \(8\), found 9/);
    expect(() =>
      parseFixture(
        [
          ...base,
          '  - { model: intel-i210, address: "0000:01:00.0" }',
          '  - { model: intel-i210, address: "0000:01:00.0" }',
        ].join('\n'),
        'f.yaml',
      ),
    ).toThrow(/devices\[1\]\.address: expected a PCI address not used by devices\[0\]/);
  });

  it('gives an mlx5 with SR-IOV disabled in firmware no sriov files at all', async () => {
    const h = await simHostFromYaml(
      [
        'name: t',
        'hostname: h1',
        'devices:',
        '  - { model: mellanox-cx6dx, address: "0000:5e:00.0", sriovEnabled: false }',
      ].join('\n'),
      { timing: 'off' },
    );
    hosts.push(h);
    expect(await h.entryKind('/sys/bus/pci/devices/0000:5e:00.0/sriov_totalvfs')).toBeNull();
    expect(await h.entryKind('/sys/bus/pci/devices/0000:5e:00.0/vendor')).toBe('file');
  });
});
