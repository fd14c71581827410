/** `ethtool -i`: what a netdev's driver says about itself. */
import fs from 'node:fs';
import nodePath from 'node:path';
import { KernelError, MalformedHostError } from '../errors.js';
import type { EthtoolDriverInfo } from '../host.js';
import { ifName, type IfName } from '../names.js';
import { CommandNotFoundError, commandFailed, runCommand } from './exec.js';
import { errnoFromToolOutput } from './tool-messages.js';

export const ETHTOOL_HINT = 'apt-get install ethtool';

/**
 * Parses `ethtool -i` text. Each line is `key: value`; an empty value still has its space
 * (`expansion-rom-version: `), so values are trimmed rather than split on ": ".
 * @throws MalformedHostError when `driver` or `bus-info` is missing.
 */
export function parseEthtoolDriverInfo(text: string, ifname = 'ethtool -i'): EthtoolDriverInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const required = (key: string): string => {
    const v = fields.get(key);
    if (v === undefined)
      throw new MalformedHostError(`ethtool -i ${ifname}: ${key}`, 'a value', 'nothing');
    return v;
  };
  return {
    driver: required('driver'),
    version: fields.get('version') ?? '',
    firmwareVersion: fields.get('firmware-version') ?? '',
    busInfo: required('bus-info'),
  };
}

/** Runs ethtool, inside the host's netns when it has one (interface names are per namespace). */
export class Ethtool {
  constructor(
    readonly ethtoolPath: string,
    private readonly ip: { ipPath: string; netns?: string },
  ) {}

  /**
   * `ethtool -i IFNAME` (or `ip netns exec NS ethtool -i IFNAME`).
   * @throws CommandNotFoundError with an install hint when ethtool is missing; KernelError with the
   *   errno ethtool printed (ENODEV for an unknown interface).
   */
  async driverInfo(ifname: IfName): Promise<EthtoolDriverInfo> {
    const name = ifName(ifname);
    const tool = [this.ethtoolPath, '-i', name];
    const netns = this.ip.netns;
    if (netns !== undefined) {
      // Under `ip netns exec` a missing binary is ip's error, not ENOENT from spawn: check first.
      if (!isExecutable(this.ethtoolPath)) {
        throw new CommandNotFoundError(
          tool,
          null,
          '',
          `${this.ethtoolPath}: not found`,
          ETHTOOL_HINT,
        );
      }
    }
    const argv = netns === undefined ? tool : [this.ip.ipPath, 'netns', 'exec', netns, ...tool];
    const r = await runCommand(argv, { missingHint: ETHTOOL_HINT });
    if (r.code !== 0) {
      const errno = errnoFromToolOutput(r.stderr);
      if (errno) throw new KernelError(errno, 'ethtool', name, r.stderr.trim().split('\n')[0]);
      throw commandFailed(argv, r);
    }
    return parseEthtoolDriverInfo(r.stdout, name);
  }
}

function isExecutable(path: string): boolean {
  if (!nodePath.isAbsolute(path)) return false;
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
