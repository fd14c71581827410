import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostCommandError, KernelError, MalformedHostError } from '../../../src/host/errors.js';
import type { IfName } from '../../../src/host/names.js';
import { createLinuxHost, parseEthtoolDriverInfo } from '../../../src/host/linux/index.js';
import { fakeTool } from './fake-tool.js';

// `ethtool -i` output from ethtool 6.1. Kept inline because the trailing space after an empty value
// (`expansion-rom-version: `) is the point, and editors strip trailing spaces from sample files.
const I40E = [
  'driver: i40e',
  'version: 6.1.0-18-amd64',
  'firmware-version: 9.20 0x8000d95e 1.3353.0',
  'expansion-rom-version: ',
  'bus-info: 0000:3b:00.0',
  'supports-statistics: yes',
  'supports-test: yes',
  'supports-eeprom-access: yes',
  'supports-register-dump: yes',
  'supports-priv-flags: yes',
  '',
].join('\n');
const IXGBEVF = [
  'driver: ixgbevf',
  'version: 6.1.0-18-amd64',
  'firmware-version: ',
  'expansion-rom-version: ',
  'bus-info: 0000:04:10.0',
  'supports-statistics: yes',
  'supports-test: yes',
  'supports-eeprom-access: no',
  'supports-register-dump: yes',
  'supports-priv-flags: yes',
  '',
].join('\n');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriovctl-ethtool-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('parseEthtoolDriverInfo', () => {
  it('reads a PF driver', () => {
    expect(parseEthtoolDriverInfo(I40E)).toEqual({
      driver: 'i40e',
      version: '6.1.0-18-amd64',
      firmwareVersion: '9.20 0x8000d95e 1.3353.0',
      busInfo: '0000:3b:00.0',
    });
  });
  it('reads an empty firmware-version (printed with a trailing space) as ""', () => {
    expect(parseEthtoolDriverInfo(IXGBEVF)).toMatchObject({
      driver: 'ixgbevf',
      firmwareVersion: '',
    });
  });
  it('refuses output without a driver line', () => {
    expect(() => parseEthtoolDriverInfo('bus-info: 0000:3b:00.0\n', 'ens1f0')).toThrow(
      MalformedHostError,
    );
  });
});

describe('LinuxHost ethtoolDriverInfo', () => {
  it('runs `ethtool -i IFNAME` and parses it', async () => {
    const tool = fakeTool(dir, 'ethtool-ok', { stdout: I40E });
    const host = createLinuxHost({ ethtoolPath: tool.path });
    expect(await host.ethtoolDriverInfo('ens1f0' as IfName)).toMatchObject({
      driver: 'i40e',
      busInfo: '0000:3b:00.0',
    });
    expect(tool.lastArgs()).toEqual(['-i', 'ens1f0']);
  });

  it("turns ethtool's perror into a KernelError", async () => {
    const tool = fakeTool(dir, 'ethtool-nodev', {
      stderr: 'Cannot get driver information: No such device\n',
      code: 71,
    });
    const host = createLinuxHost({ ethtoolPath: tool.path });
    await expect(host.ethtoolDriverInfo('nope0' as IfName)).rejects.toMatchObject({
      errno: 'ENODEV',
      op: 'ethtool',
      target: 'nope0',
    });
    await expect(host.ethtoolDriverInfo('nope0' as IfName)).rejects.toBeInstanceOf(KernelError);
  });

  it.each([[undefined], ['sriovctl-no-such-ns']])(
    'says how to install ethtool when it is missing (netns %s)',
    async (netns) => {
      const host = createLinuxHost({
        ethtoolPath: path.join(dir, 'no-such-ethtool'),
        ...(netns ? { netns } : {}),
      });
      const err = await host.ethtoolDriverInfo('lo' as IfName).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostCommandError);
      expect((err as HostCommandError).hint).toBe('apt-get install ethtool');
    },
  );
});
