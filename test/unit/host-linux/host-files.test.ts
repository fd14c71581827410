import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HostTimeoutError,
  KernelError,
  SriovctlError,
  UnsafeInputError,
} from '../../../src/host/errors.js';
import { createLinuxHost, type LinuxHost } from '../../../src/host/linux/index.js';
import { fsError } from '../../../src/host/linux/fs-errors.js';
import { eventually } from '../../support/eventually.js';

/**
 * A small but real-shaped sysfs: an i40e PF 0000:3b:00.0 with two VFs bound to iavf, the
 * /sys/bus/pci/devices links, driver links, and an iommu_group link whose target is missing.
 */
function buildTree(base: string): void {
  const sys = path.join(base, 'sys');
  const put = (p: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(sys, p)), { recursive: true });
    fs.writeFileSync(path.join(sys, p), content);
  };
  const link = (p: string, target: string) => {
    fs.mkdirSync(path.dirname(path.join(sys, p)), { recursive: true });
    fs.symlinkSync(target, path.join(sys, p));
  };
  const bridge = 'devices/pci0000:3a/0000:3a:00.0';
  const pf = `${bridge}/0000:3b:00.0`;
  put(`${pf}/vendor`, '0x8086\n');
  put(`${pf}/device`, '0x1572\n');
  put(`${pf}/sriov_totalvfs`, '64\n');
  put(`${pf}/sriov_numvfs`, '2\n');
  put(`${pf}/sriov_vf_device`, '154c\n');
  put(`${pf}/driver_override`, '(null)\n');
  put(`${pf}/net/ens1f0/operstate`, 'up\n');
  link(`${pf}/driver`, '../../../../bus/pci/drivers/i40e');
  link(`${pf}/virtfn0`, '../0000:3b:02.0');
  link(`${pf}/virtfn1`, '../0000:3b:02.1');
  link(`${pf}/iommu_group`, '../../../../kernel/iommu_groups/27'); // dangling on purpose
  for (const fn of [0, 1]) {
    const vf = `${bridge}/0000:3b:02.${fn}`;
    put(`${vf}/vendor`, '0x8086\n');
    put(`${vf}/device`, '0x154c\n');
    link(`${vf}/physfn`, '../0000:3b:00.0');
    link(`${vf}/driver`, '../../../../bus/pci/drivers/iavf');
    link(`bus/pci/devices/0000:3b:02.${fn}`, `../../../${vf}`);
  }
  link('bus/pci/devices/0000:3b:00.0', `../../../${pf}`);
  for (const drv of ['i40e', 'iavf']) put(`bus/pci/drivers/${drv}/bind`, '');
  put('bus/pci/drivers_probe', '');
  fs.mkdirSync(path.join(base, 'root/proc'), { recursive: true });
  fs.writeFileSync(
    path.join(base, 'root/proc/cmdline'),
    'BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt\n',
  );
  fs.mkdirSync(path.join(base, 'root/home'), { recursive: true });
  fs.writeFileSync(path.join(base, 'root/home/secret'), 'x');
}

const PF = '/sys/bus/pci/devices/0000:3b:00.0';

describe('LinuxHost files (fake sysfs tree)', () => {
  let base: string;
  let host: LinuxHost;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-sysfs-'));
    buildTree(base);
    host = createLinuxHost({ sysfsRoot: path.join(base, 'sys'), rootDir: path.join(base, 'root') });
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reads attributes through the bus/pci/devices links, newline included', async () => {
    expect(await host.readFile(`${PF}/sriov_totalvfs`)).toBe('64\n');
    expect(await host.readFile(`${PF}/virtfn1/device`)).toBe('0x154c\n');
  });

  it('maps non-/sys paths under rootDir', async () => {
    expect(await host.readFile('/proc/cmdline')).toContain('intel_iommu=on');
  });

  it('reads raw relative link targets', async () => {
    expect(await host.readLink(`${PF}/virtfn0`)).toBe('../0000:3b:02.0');
    expect(await host.readLink(`${PF}/driver`)).toBe('../../../../bus/pci/drivers/i40e');
    expect(await host.readLink('/sys/bus/pci/devices/0000:3b:02.0/physfn')).toBe('../0000:3b:00.0');
  });

  it('lists directories sorted', async () => {
    expect(await host.readDir(PF)).toEqual([
      'device',
      'driver',
      'driver_override',
      'iommu_group',
      'net',
      'sriov_numvfs',
      'sriov_totalvfs',
      'sriov_vf_device',
      'vendor',
      'virtfn0',
      'virtfn1',
    ]);
    expect(await host.readDir('/sys/bus/pci/devices')).toEqual([
      '0000:3b:00.0',
      '0000:3b:02.0',
      '0000:3b:02.1',
    ]);
  });

  it('tells files, directories and links apart with lstat, and null for nothing', async () => {
    expect(await host.entryKind(`${PF}/vendor`)).toBe('file');
    expect(await host.entryKind(`${PF}/net`)).toBe('dir');
    expect(await host.entryKind(`${PF}/virtfn0`)).toBe('link');
    expect(await host.entryKind(`${PF}/virtfn2`)).toBeNull();
  });

  it('sees a dangling link as a link, and reading through it as ENOENT', async () => {
    expect(await host.entryKind(`${PF}/iommu_group`)).toBe('link');
    expect(await host.readLink(`${PF}/iommu_group`)).toBe('../../../../kernel/iommu_groups/27');
    await expect(host.readDir(`${PF}/iommu_group`)).rejects.toMatchObject({
      errno: 'ENOENT',
      op: 'readdir',
    });
  });

  it('fails a missing file with KernelError ENOENT naming the seam path', async () => {
    const err = await host.readFile(`${PF}/sriov_offset`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect(err).toMatchObject({ errno: 'ENOENT', op: 'read', target: `${PF}/sriov_offset` });
    expect((err as Error).message).toBe(
      `read ${PF}/sriov_offset: No such file or directory (ENOENT)`,
    );
  });

  it('maps EISDIR and ENOTDIR', async () => {
    await expect(host.readFile(`${PF}/net`)).rejects.toMatchObject({ errno: 'EISDIR' });
    await expect(host.readDir(`${PF}/vendor`)).rejects.toMatchObject({ errno: 'ENOTDIR' });
  });

  it.each([
    ['a ".." component', `${PF}/../../../../etc/passwd`],
    ['a "." component', `${PF}/./vendor`],
    ['a relative path', 'sys/bus/pci/devices'],
    ['a control character', `${PF}/vendor\n`],
    ['a path outside the allowlist', '/home/secret'],
    ['a prefix look-alike', '/system/x'],
  ])('refuses to read %s', async (_what, p) => {
    await expect(host.readFile(p)).rejects.toBeInstanceOf(UnsafeInputError);
    await expect(host.entryKind(p)).rejects.toBeInstanceOf(UnsafeInputError);
  });

  it('writes exactly the value, once, with no newline added', async () => {
    await host.writeFile(`${PF}/driver_override`, 'vfio-pci');
    expect(
      fs.readFileSync(
        path.join(base, 'sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/driver_override'),
        'utf8',
      ),
    ).toBe('vfio-pci');
    await host.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:02.0');
    expect(await host.readFile('/sys/bus/pci/drivers_probe')).toBe('0000:3b:02.0');
  });

  it('does not create a missing attribute: ENOENT, as on sysfs', async () => {
    await expect(host.writeFile(`${PF}/sriov_drivers_autoprobe`, '0')).rejects.toMatchObject({
      errno: 'ENOENT',
      op: 'write',
      target: `${PF}/sriov_drivers_autoprobe`,
    });
    expect(await host.entryKind(`${PF}/sriov_drivers_autoprobe`)).toBeNull();
  });

  it.each([
    ['/proc/cmdline', 'x'],
    ['/etc/hosts', 'x'],
    ['/run/x', 'x'],
    [`${PF}/../../../../../root/proc/cmdline`, 'x'],
  ])('refuses to write %s', async (p, v) => {
    await expect(host.writeFile(p, v)).rejects.toBeInstanceOf(UnsafeInputError);
    expect(fs.readFileSync(path.join(base, 'root/proc/cmdline'), 'utf8')).toContain('BOOT_IMAGE');
  });

  it('gives up on a write that blocks past its deadline with HostTimeoutError', async () => {
    // A FIFO blocks open(O_WRONLY) until a reader appears: a stand-in for a store that takes seconds.
    const fifo = path.join(base, 'sys/bus/pci/drivers/iavf/unbind');
    execFileSync('mkfifo', [fifo]);
    const err = await host
      .writeFile('/sys/bus/pci/drivers/iavf/unbind', '0000:3b:02.0', { timeoutMs: 100 })
      .catch((e: unknown) => e);
    // The write was not cancelled: once a reader shows up it still lands (as a kernel write would).
    // The reader is opened before asserting, so a failed assertion cannot leave a thread blocked.
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    let got = '';
    try {
      await eventually(
        'the timed-out write landing in the FIFO',
        () => {
          try {
            got = fs.readFileSync(fd, 'utf8');
          } catch {
            // EAGAIN until the writer has written
          }
          return got !== '';
        },
        { pollMs: 10 },
      );
    } finally {
      fs.closeSync(fd);
    }
    expect(err).toBeInstanceOf(HostTimeoutError);
    expect(err).toMatchObject({ target: 'write /sys/bus/pci/drivers/iavf/unbind', timeoutMs: 100 });
    expect(got).toBe('0000:3b:02.0');
  });
});

describe('LinuxHost files (real /sys, read-only)', () => {
  const host = createLinuxHost();

  it('surfaces the kernel errno of a read: a write-only attribute gives EACCES', async () => {
    await expect(host.readFile('/sys/bus/pci/rescan')).rejects.toMatchObject({
      errno: 'EACCES',
      op: 'read',
    });
  });

  it('reads real procfs through rootDir /', async () => {
    expect(await host.readFile('/proc/sys/kernel/ostype')).toBe('Linux\n');
  });
});

describe('fsError', () => {
  it.each([
    [{ code: 'EBUSY' }, 'EBUSY'],
    [{ code: 'ERANGE' }, 'ERANGE'],
    [{ code: 'ENODEV' }, 'ENODEV'],
    [{ code: 'ENOTSUP', errno: -95 }, 'EOPNOTSUPP'],
    [{ code: 'EOPNOTSUPP' }, 'EOPNOTSUPP'],
    [{ errno: -16 }, 'EBUSY'],
    [{ code: 'EAGAIN', errno: -11 }, 'EAGAIN'],
    [{ code: 'EPERM' }, 'EPERM'],
    [{ code: 'EEXIST' }, 'EEXIST'],
    [{ code: 'ENOMEM' }, 'ENOMEM'],
    [{ code: 'EIO' }, 'EIO'],
    [{ code: 'EINVAL' }, 'EINVAL'],
  ])('maps %j to KernelError %s', (raw, errno) => {
    const e = fsError(Object.assign(new Error('x'), raw), 'write', '/sys/x');
    expect(e).toBeInstanceOf(KernelError);
    expect(e).toMatchObject({ errno, op: 'write', target: '/sys/x' });
  });

  it('keeps codes outside the errno table visible instead of inventing an errno', () => {
    const e = fsError(
      Object.assign(new Error('loop'), { code: 'ELOOP', errno: -40 }),
      'read',
      '/sys/x',
    );
    expect(e).not.toBeInstanceOf(KernelError);
    expect(e).toBeInstanceOf(SriovctlError);
    expect(e.message).toBe('read /sys/x: ELOOP');
  });
});
