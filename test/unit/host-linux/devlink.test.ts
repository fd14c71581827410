import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HostCommandError,
  KernelError,
  MalformedHostError,
  UnsafeInputError,
} from '../../../src/host/errors.js';
import { devlinkHandle, type DevlinkHandle, type PciAddress } from '../../../src/host/names.js';
import {
  createLinuxHost,
  parseDevlinkEswitchJson,
  parseDevlinkInfoJson,
} from '../../../src/host/linux/index.js';
import { fakeTool } from './fake-tool.js';
import { sample } from './sample.js';

const pci = '0000:3b:00.0' as PciAddress;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-devlink-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('parseDevlinkEswitchJson', () => {
  it('reads the mode', () => {
    expect(parseDevlinkEswitchJson(sample('devlink-eswitch-mlx5.json'), 'pci/0000:03:00.0')).toBe(
      'switchdev',
    );
  });
  it('refuses a mode it does not know', () => {
    expect(() =>
      parseDevlinkEswitchJson('{"dev":{"pci/0000:03:00.0":{"mode":"other"}}}', 'pci/0000:03:00.0'),
    ).toThrow(/pci\/0000:03:00\.0\.mode: expected legacy or switchdev/);
  });
});

describe('parseDevlinkInfoJson', () => {
  it('reads driver, serial and the three version groups', () => {
    const info = parseDevlinkInfoJson(sample('devlink-info-ice.json'), 'pci/0000:3b:00.0');
    expect(info).toMatchObject({
      handle: 'pci/0000:3b:00.0',
      driver: 'ice',
      serialNumber: '00-01-00-ff-ff-00-00-00',
      fixed: { 'board.id': 'K65390-000' },
    });
    expect(info.running['fw.mgmt']).toBe('2.1.7');
    expect(info.running['fw.app.name']).toBe('ICE OS Default Package');
    expect(info.stored['fw.bundle_id']).toBe('0x80002ec0');
  });
  it('accepts a device without versions', () => {
    expect(
      parseDevlinkInfoJson(
        '{"info":{"pci/0000:3b:00.0":{"driver":"netdevsim"}}}',
        'pci/0000:3b:00.0',
      ),
    ).toEqual({
      handle: 'pci/0000:3b:00.0',
      driver: 'netdevsim',
      fixed: {},
      running: {},
      stored: {},
    });
  });
  it('names the missing field', () => {
    expect(() =>
      parseDevlinkInfoJson('{"info":{"pci/0000:3b:00.0":{}}}', 'pci/0000:3b:00.0'),
    ).toThrow(MalformedHostError);
  });
});

describe('LinuxHost devlink (fake devlink binary)', () => {
  it('runs the exact argv and returns the mode', async () => {
    const tool = fakeTool(dir, 'devlink-ok', {
      stdout: '{"dev":{"pci/0000:3b:00.0":{"mode":"legacy"}}}',
    });
    const host = createLinuxHost({ devlinkPath: tool.path });
    expect(await host.devlinkEswitchMode(pci)).toBe('legacy');
    expect(tool.lastArgs()).toEqual(['-j', 'dev', 'eswitch', 'show', 'pci/0000:3b:00.0']);
  });

  it.each([
    ['the driver has no eswitch op', 'kernel answers: Operation not supported\n'],
    ['the device has no devlink instance', 'kernel answers: No such device\n'],
    ['the kernel has no devlink at all', 'Failed to connect to devlink Netlink\n'],
  ])('reads as null when %s', async (_what, stderr) => {
    const tool = fakeTool(dir, 'devlink-unsupported', { stderr, code: 1 });
    const host = createLinuxHost({ devlinkPath: tool.path });
    expect(await host.devlinkEswitchMode(pci)).toBeNull();
    expect(await host.devlinkInfo(pci)).toBeNull();
  });

  it('reads as null when the devlink binary is missing', async () => {
    const host = createLinuxHost({ devlinkPath: path.join(dir, 'no-such-devlink') });
    expect(await host.devlinkEswitchMode(pci)).toBeNull();
    expect(await host.devlinkInfo(pci)).toBeNull();
  });

  it('throws KernelError with the extack for other refusals', async () => {
    const tool = fakeTool(dir, 'devlink-busy', {
      stderr: 'Error: Rate node(s) exists.\nkernel answers: Device or resource busy\n',
      code: 1,
    });
    const host = createLinuxHost({ devlinkPath: tool.path });
    const err = await host.devlinkSetEswitchMode(pci, 'legacy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect(err).toMatchObject({
      errno: 'EBUSY',
      op: 'devlink',
      target: 'pci/0000:3b:00.0',
      detail: 'Error: Rate node(s) exists.',
    });
    expect(tool.lastArgs()).toEqual([
      'dev',
      'eswitch',
      'set',
      'pci/0000:3b:00.0',
      'mode',
      'legacy',
    ]);
  });

  it('refuses a set on a kernel without devlink as EOPNOTSUPP', async () => {
    const tool = fakeTool(dir, 'devlink-nofamily', {
      stderr: 'Failed to connect to devlink Netlink\n',
      code: 1,
    });
    const host = createLinuxHost({ devlinkPath: tool.path });
    await expect(host.devlinkSetEswitchMode(pci, 'switchdev')).rejects.toMatchObject({
      errno: 'EOPNOTSUPP',
      op: 'devlink',
      detail: 'this kernel has no devlink support',
    });
  });

  it('throws HostCommandError with an install hint when setting without devlink', async () => {
    const host = createLinuxHost({ devlinkPath: path.join(dir, 'no-such-devlink') });
    const err = await host.devlinkSetEswitchMode(pci, 'switchdev').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    expect((err as HostCommandError).hint).toMatch(/iproute2/);
  });

  it('accepts a netdevsim devlink handle and passes it as the argv word', async () => {
    const tool = fakeTool(dir, 'devlink-nsim', {
      stdout:
        '{"info":{"netdevsim/netdevsim10":{"driver":"netdevsim","versions":{"running":{"fw.mgmt":"10.20.30"}}}}}',
    });
    const host = createLinuxHost({ devlinkPath: tool.path });
    const info = await host.devlinkInfo(devlinkHandle('netdevsim/netdevsim10'));
    expect(info).toMatchObject({ handle: 'netdevsim/netdevsim10', driver: 'netdevsim' });
    expect(tool.lastArgs()).toEqual(['-j', 'dev', 'info', 'netdevsim/netdevsim10']);
  });

  it('refuses a forged devlink handle before running anything', async () => {
    const host = createLinuxHost({ devlinkPath: path.join(dir, 'no-such-devlink') });
    for (const bad of ['netdevsim/netdevsim10 -j', 'usb/1-1', 'pci/3b:00.0'])
      await expect(host.devlinkInfo(bad as DevlinkHandle)).rejects.toBeInstanceOf(UnsafeInputError);
  });

  it('refuses a forged PCI address or mode before running anything', async () => {
    const host = createLinuxHost({ devlinkPath: path.join(dir, 'no-such-devlink') });
    await expect(host.devlinkEswitchMode('0000:3b:00.0 -j' as PciAddress)).rejects.toBeInstanceOf(
      UnsafeInputError,
    );
    await expect(host.devlinkSetEswitchMode(pci, 'offload' as 'legacy')).rejects.toBeInstanceOf(
      UnsafeInputError,
    );
  });
});

describe('LinuxHost devlink (this machine, read-only)', () => {
  it('answers null for a device without devlink, whatever this kernel lacks', async () => {
    // On the dev VM the kernel has no devlink family at all ("Failed to connect to devlink Netlink").
    expect(await createLinuxHost().devlinkEswitchMode('0000:00:00.0' as PciAddress)).toBeNull();
  });
});
