// The config-file seam: sriovctl writes its own files only under /etc/sriovctl, /var/lib/sriovctl
// and /etc/systemd/system/sriovctl*, atomically on Linux, journaled on the simulator.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFilePath } from '../../../src/host/config-paths.js';
import { KernelError, UnsafeInputError } from '../../../src/host/errors.js';
import type { Host } from '../../../src/host/host.js';
import { createLinuxHost } from '../../../src/host/linux/index.js';
import { loadSimHost, type SimHost } from '../../../src/host/sim/index.js';

const REFUSED = [
  'etc/sriovctl/x.yaml', // relative
  '/etc/sriovctl', // the directory itself
  '/etc/sriovctl/../passwd', // traversal
  '/etc/sriovctl/policies.d/../../shadow',
  '/var/lib/sriovctl/./applied.json',
  '/etc/passwd',
  '/etc/sriovctlx/a.yaml', // a sibling that merely shares the prefix
  '/var/lib/other/applied.json',
  '/etc/systemd/system/other.service',
  '/etc/systemd/system/multi-user.target.wants/sriovctl.service',
  '/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs',
  '/etc/sriovctl/policies.d/with space.yaml',
  '/etc/sriovctl/policies.d/new\nline.yaml',
  // modules-load.d: only sriovctl's own file, never the operator's or the directory.
  '/etc/modules-load.d/other.conf',
  '/etc/modules-load.d/sriovctl.conf.d/x.conf',
  '/etc/modules-load.d/../modules-load.d/sriovctl.conf',
  '/etc/modules-load.d',
  '/usr/lib/modules-load.d/sriovctl.conf',
];

describe('configFilePath', () => {
  it('accepts sriovctl files and units', () => {
    for (const p of [
      '/etc/sriovctl/policies.d/tenants.yaml',
      '/var/lib/sriovctl/applied.json',
      '/etc/systemd/system/sriovctl-apply.service',
      '/etc/systemd/system/sriovctl.service.d/override.conf',
      '//etc//sriovctl/policies.d/a.yaml',
      '/etc/modules-load.d/sriovctl.conf',
    ])
      expect(configFilePath(p)).toBe(p.replace(/\/+/g, '/'));
  });

  it.each(REFUSED)('refuses %j', (p) => {
    expect(() => configFilePath(p)).toThrow(UnsafeInputError);
  });
});

const sims: SimHost[] = [];
afterEach(() => {
  for (const h of sims.splice(0)) h.close();
});

describe('SimHost config files', () => {
  async function sim() {
    const h = await loadSimHost('small-82599', { timing: 'off' });
    sims.push(h);
    return h;
  }

  it('writes into the simulated filesystem, readable through the seam, and journals it', async () => {
    const h = await sim();
    await h.writeConfigFile('/etc/sriovctl/policies.d/a.yaml', 'one\n', { mode: 0o600 });
    await h.writeConfigFile('/etc/sriovctl/policies.d/a.yaml', 'two\n');
    expect(await h.readFile('/etc/sriovctl/policies.d/a.yaml')).toBe('two\n');
    expect(await h.readDir('/etc/sriovctl/policies.d')).toEqual(['a.yaml']);
    expect(h.configModes.get('/etc/sriovctl/policies.d/a.yaml')).toBe(0o644);
    expect(await h.removeConfigFile('/etc/sriovctl/policies.d/a.yaml')).toBe(true);
    expect(await h.removeConfigFile('/etc/sriovctl/policies.d/a.yaml')).toBe(false);
    expect(await h.entryKind('/etc/sriovctl/policies.d/a.yaml')).toBeNull();
    expect(h.journal.map((j) => [j.op, j.target, j.result])).toEqual([
      ['config-write', '/etc/sriovctl/policies.d/a.yaml', 'ok'],
      ['config-write', '/etc/sriovctl/policies.d/a.yaml', 'ok'],
      ['config-remove', '/etc/sriovctl/policies.d/a.yaml', 'ok'],
    ]);
  });

  it('refuses paths outside the allowlist before touching anything', async () => {
    const h = await sim();
    for (const p of REFUSED) {
      await expect(h.writeConfigFile(p, 'x')).rejects.toThrow(UnsafeInputError);
      // Only uninstall --purge may name the directory itself (to remove it once empty).
      if (p !== '/etc/sriovctl')
        await expect(h.removeConfigFile(p)).rejects.toThrow(UnsafeInputError);
    }
    expect(h.journal).toEqual([]);
  });

  it('removes only empty directories, and fails writes as injected', async () => {
    const h = await sim();
    await h.writeConfigFile('/var/lib/sriovctl/applied.json', '{}');
    await expect(h.removeConfigFile('/var/lib/sriovctl')).rejects.toMatchObject({
      errno: 'ENOTEMPTY',
    });
    h.faults.add({ op: 'write', target: '/var/lib/sriovctl/applied.json', errno: 'ENOSPC' });
    await expect(h.writeConfigFile('/var/lib/sriovctl/applied.json', '[]')).rejects.toThrow(
      KernelError,
    );
    expect(await h.readFile('/var/lib/sriovctl/applied.json')).toBe('{}');
  });
});

describe('LinuxHost config files', () => {
  function linux(): { host: Host; root: string } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-config-'));
    fs.mkdirSync(path.join(root, 'sys'));
    const host = createLinuxHost({
      sysfsRoot: path.join(root, 'sys'),
      rootDir: root,
      ipPath: '/bin/true',
      devlinkPath: '/bin/true',
      ethtoolPath: '/bin/true',
    });
    return { host, root };
  }

  it('writes atomically under rootDir with the requested mode and no temp files left', async () => {
    const { host, root } = linux();
    const file = path.join(root, 'var/lib/sriovctl/applied.json');
    await host.writeConfigFile('/var/lib/sriovctl/applied.json', '{"a":1}\n', { mode: 0o600 });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await host.writeConfigFile('/var/lib/sriovctl/applied.json', '{"a":2}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['applied.json']);
    // Read back through the seam: /var/lib/sriovctl is readable.
    expect(await host.readFile('/var/lib/sriovctl/applied.json')).toBe('{"a":2}\n');
  });

  it('replaces a file by rename: a reader holding the old one keeps seeing it whole', async () => {
    const { host, root } = linux();
    await host.writeConfigFile('/etc/systemd/system/sriovctl.service', 'old\n');
    const fd = fs.openSync(path.join(root, 'etc/systemd/system/sriovctl.service'), 'r');
    await host.writeConfigFile('/etc/systemd/system/sriovctl.service', 'new\n');
    expect(fs.readFileSync(fd, 'utf8')).toBe('old\n');
    fs.closeSync(fd);
    expect(await host.readFile('/etc/systemd/system/sriovctl.service')).toBe('new\n');
  });

  it('writes and removes /etc/modules-load.d/sriovctl.conf and leaves its neighbours alone', async () => {
    const { host, root } = linux();
    const dir = path.join(root, 'etc/modules-load.d');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'operator.conf'), 'bonding\n');
    await host.writeConfigFile('/etc/modules-load.d/sriovctl.conf', 'vfio_pci\n');
    expect(fs.readFileSync(path.join(dir, 'sriovctl.conf'), 'utf8')).toBe('vfio_pci\n');
    expect(await host.removeConfigFile('/etc/modules-load.d/sriovctl.conf')).toBe(true);
    await expect(host.removeConfigFile('/etc/modules-load.d/operator.conf')).rejects.toThrow(
      UnsafeInputError,
    );
    expect(fs.readdirSync(dir)).toEqual(['operator.conf']);
  });

  it('removes files and empty directories, reports what was not there', async () => {
    const { host, root } = linux();
    await host.writeConfigFile('/etc/sriovctl/policies.d/a.yaml', 'x');
    await expect(host.removeConfigFile('/etc/sriovctl/policies.d')).rejects.toMatchObject({
      errno: 'ENOTEMPTY',
    });
    expect(await host.removeConfigFile('/etc/sriovctl/policies.d/a.yaml')).toBe(true);
    expect(await host.removeConfigFile('/etc/sriovctl/policies.d/a.yaml')).toBe(false);
    expect(await host.removeConfigFile('/etc/sriovctl/policies.d')).toBe(true);
    expect(fs.readdirSync(path.join(root, 'etc/sriovctl'))).toEqual([]);
  });

  it('refuses paths outside the allowlist and never creates anything for them', async () => {
    const { host, root } = linux();
    for (const p of REFUSED)
      await expect(host.writeConfigFile(p, 'x')).rejects.toThrow(UnsafeInputError);
    expect(fs.readdirSync(root)).toEqual(['sys']);
  });
});
