/**
 * devlink through iproute2's `devlink -j`. PCI devlink instances live in the initial network
 * namespace, so unlike `ip` this is never run inside the host's configured netns.
 */
import { KernelError, MalformedHostError, UnsafeInputError } from '../errors.js';
import type { DevlinkInfo, EswitchMode, WriteOptions } from '../host.js';
import { devlinkHandleOf, type DevlinkHandle, type PciAddress } from '../names.js';
import { CommandNotFoundError, commandFailed, runCommand, type RunResult } from './exec.js';
import { Fields, parseJson } from './json-shape.js';
import { errnoFromToolOutput, messageLines } from './tool-messages.js';

export const DEVLINK_HINT = 'install iproute2 (apt-get install iproute2), which provides devlink';

// devlink prints this when the kernel has no devlink generic-netlink family at all.
const NO_FAMILY = 'Failed to connect to devlink Netlink';

function handleOf(dev: PciAddress | DevlinkHandle): string {
  // Re-validate: the brand may have been forged with a cast, and this string becomes an argv word.
  return devlinkHandleOf(dev);
}

function entryFor(root: Fields, key: string, handle: string): Fields {
  const byHandle = root.child(key);
  if (byHandle.has(handle)) return byHandle.child(handle);
  const keys = Object.keys(byHandle.obj);
  if (keys.length === 1) return byHandle.child(keys[0]!);
  throw new MalformedHostError(
    `${byHandle.path}`,
    `an entry for ${handle}`,
    keys.length ? keys.join(', ') : 'no entries',
  );
}

/** Parses `devlink -j dev eswitch show HANDLE`: `{"dev":{"pci/…":{"mode":"switchdev",…}}}`. */
export function parseDevlinkEswitchJson(stdout: string, handle: string): EswitchMode {
  const source = `devlink -j dev eswitch show ${handle}`;
  const entry = entryFor(Fields.of(parseJson(stdout, source), source), 'dev', handle);
  const mode = entry.str('mode');
  if (mode !== 'legacy' && mode !== 'switchdev') {
    throw new MalformedHostError(`${entry.path}.mode`, 'legacy or switchdev', JSON.stringify(mode));
  }
  return mode;
}

function versions(group: Fields | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!group) return out;
  for (const [k, v] of Object.entries(group.obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = String(v);
    else throw new MalformedHostError(`${group.path}.${k}`, 'a version string', typeof v);
  }
  return out;
}

/** Parses `devlink -j dev info HANDLE`: driver, serial number and fixed/running/stored versions. */
export function parseDevlinkInfoJson(stdout: string, handle: string): DevlinkInfo {
  const source = `devlink -j dev info ${handle}`;
  const entry = entryFor(Fields.of(parseJson(stdout, source), source), 'info', handle);
  const v = entry.optChild('versions');
  const info: DevlinkInfo = {
    handle,
    driver: entry.str('driver'),
    fixed: versions(v?.optChild('fixed')),
    running: versions(v?.optChild('running')),
    stored: versions(v?.optChild('stored')),
  };
  const serial = entry.optStr('serial_number');
  if (serial !== undefined) info.serialNumber = serial;
  return info;
}

/** True when devlink's failure means "this device or kernel has no such devlink feature". */
function unsupported(r: RunResult): boolean {
  if (r.stderr.includes(NO_FAMILY)) return true;
  const errno = errnoFromToolOutput(r.stderr);
  // EOPNOTSUPP: the driver lacks the op. ENODEV: the device has no devlink instance.
  return errno === 'EOPNOTSUPP' || errno === 'ENODEV';
}

function failure(argv: readonly string[], r: RunResult, handle: string): Error {
  if (r.stderr.includes(NO_FAMILY)) {
    return new KernelError('EOPNOTSUPP', 'devlink', handle, 'this kernel has no devlink support');
  }
  const errno = errnoFromToolOutput(r.stderr);
  if (!errno) return commandFailed(argv, r);
  // Keep the driver's extack ("Error: Rate node(s) exists.") as the detail: it says why.
  const detail = messageLines(r.stderr)
    .filter((l) => !/answers: /.test(l))
    .join('; ');
  return new KernelError(errno, 'devlink', handle, detail || undefined);
}

/** Runs `devlink`. */
export class Devlink {
  constructor(readonly devlinkPath: string) {}

  private async read<T>(
    args: string[],
    handle: string,
    parse: (stdout: string) => T,
  ): Promise<T | null> {
    const argv = [this.devlinkPath, ...args];
    let r: RunResult;
    try {
      r = await runCommand(argv, { missingHint: DEVLINK_HINT });
    } catch (err) {
      // No devlink tool means sriovctl cannot know: the caller sees "no devlink data", as on old kernels.
      if (err instanceof CommandNotFoundError) return null;
      throw err;
    }
    if (r.code === 0) return parse(r.stdout);
    if (unsupported(r)) return null;
    throw failure(argv, r, handle);
  }

  /** `devlink -j dev eswitch show HANDLE`; null when unsupported or devlink is absent. */
  async eswitchMode(dev: PciAddress | DevlinkHandle): Promise<EswitchMode | null> {
    const handle = handleOf(dev);
    return this.read(['-j', 'dev', 'eswitch', 'show', handle], handle, (s) =>
      parseDevlinkEswitchJson(s, handle),
    );
  }

  /** `devlink -j dev info HANDLE`; null when unsupported or devlink is absent. */
  async info(dev: PciAddress | DevlinkHandle): Promise<DevlinkInfo | null> {
    const handle = handleOf(dev);
    return this.read(['-j', 'dev', 'info', handle], handle, (s) => parseDevlinkInfoJson(s, handle));
  }

  /**
   * `devlink dev eswitch set HANDLE mode MODE`.
   * @throws CommandNotFoundError (a HostCommandError with an install hint) when devlink is missing;
   *   KernelError with the errno devlink reports; HostTimeoutError on the deadline.
   */
  async setEswitchMode(
    dev: PciAddress | DevlinkHandle,
    mode: EswitchMode,
    opts?: WriteOptions,
  ): Promise<void> {
    const handle = handleOf(dev);
    if (mode !== 'legacy' && mode !== 'switchdev') {
      throw new UnsafeInputError('eswitchMode', String(mode), 'legacy or switchdev');
    }
    const argv = [this.devlinkPath, 'dev', 'eswitch', 'set', handle, 'mode', mode];
    const r = await runCommand(argv, {
      missingHint: DEVLINK_HINT,
      target: `devlink dev eswitch set ${handle}`,
      ...(opts?.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    if (r.code !== 0) throw failure(argv, r, handle);
  }
}
