/**
 * A Host for discovery tests: files, links and directories come from a real temporary tree through
 * the Linux host's own file code (createLinuxHost with sysfsRoot/rootDir); the netlink, devlink and
 * ethtool answers are what the test scripts, since those come from commands, not files.
 */
import { KernelError, type ErrnoName } from '../../../../src/host/errors.js';
import type {
  DefaultRoute,
  DevlinkInfo,
  EntryKind,
  EswitchMode,
  EthtoolDriverInfo,
  Host,
  HostDescription,
  LinkDump,
  NetlinkResult,
} from '../../../../src/host/host.js';
import { createLinuxHost } from '../../../../src/host/linux/index.js';
import type { IfName, PciAddress } from '../../../../src/host/names.js';

/** A scripted answer: the value, or an errno the tool would have reported. */
export type Scripted<T> = T | { errno: ErrnoName };

export interface ScriptedCommands {
  linkDump?: Scripted<LinkDump>;
  defaultRoutes?: DefaultRoute[];
  devlinkInfo?: Record<string, Scripted<DevlinkInfo | null>>;
  eswitch?: Record<string, Scripted<EswitchMode | null>>;
  ethtool?: Record<string, Scripted<EthtoolDriverInfo>>;
  /** Reads that fail with an errno the way the kernel fails them (speed while down: EINVAL). */
  readFaults?: Record<string, ErrnoName>;
}

function answer<T>(
  v: Scripted<T> | undefined,
  fallback: T,
  op: KernelError['op'],
  target: string,
): T {
  if (v === undefined) return fallback;
  if (typeof v === 'object' && v !== null && 'errno' in v)
    throw new KernelError(v.errno, op, target);
  return v;
}

export class TreeHost implements Host {
  readonly description: HostDescription = { kind: 'linux', name: 'tree' };
  private readonly files: Host;
  /** Every seam call, as `op path`, for tests that check what discovery reads. */
  readonly calls: string[] = [];

  constructor(
    readonly root: string,
    readonly commands: ScriptedCommands = {},
  ) {
    this.files = createLinuxHost({ sysfsRoot: `${root}/sys`, rootDir: root, name: 'tree' });
  }

  private fault(path: string): void {
    const errno = this.commands.readFaults?.[path];
    if (errno) throw new KernelError(errno, 'read', path);
  }

  async readFile(path: string): Promise<string> {
    this.calls.push(`readFile ${path}`);
    this.fault(path);
    return this.files.readFile(path);
  }
  async readLink(path: string): Promise<string> {
    this.calls.push(`readLink ${path}`);
    return this.files.readLink(path);
  }
  async readDir(path: string): Promise<string[]> {
    this.calls.push(`readDir ${path}`);
    return this.files.readDir(path);
  }
  async entryKind(path: string): Promise<EntryKind | null> {
    this.calls.push(`entryKind ${path}`);
    return this.files.entryKind(path);
  }
  async writeFile(path: string): Promise<void> {
    throw new KernelError('EPERM', 'write', path, 'discovery tests never write');
  }
  async writeConfigFile(path: string): Promise<void> {
    throw new KernelError('EPERM', 'write', path, 'discovery tests never write');
  }
  async removeConfigFile(path: string): Promise<boolean> {
    throw new KernelError('EPERM', 'write', path, 'discovery tests never write');
  }
  async linkDump(): Promise<LinkDump> {
    this.calls.push('linkDump');
    return answer(this.commands.linkDump, { links: [], warnings: [] }, 'netlink', 'link dump');
  }
  async linkApply(): Promise<NetlinkResult[]> {
    throw new KernelError('EPERM', 'netlink', 'link apply', 'discovery tests never write');
  }
  async defaultRoutes(): Promise<DefaultRoute[]> {
    this.calls.push('defaultRoutes');
    return this.commands.defaultRoutes ?? [];
  }
  async devlinkEswitchMode(pci: PciAddress): Promise<EswitchMode | null> {
    this.calls.push(`devlinkEswitchMode ${pci}`);
    return answer(this.commands.eswitch?.[pci], null, 'devlink', `pci/${pci}`);
  }
  async devlinkSetEswitchMode(pci: PciAddress): Promise<void> {
    throw new KernelError('EPERM', 'devlink', `pci/${pci}`, 'discovery tests never write');
  }
  async devlinkInfo(pci: PciAddress): Promise<DevlinkInfo | null> {
    this.calls.push(`devlinkInfo ${pci}`);
    return answer(this.commands.devlinkInfo?.[pci], null, 'devlink', `pci/${pci}`);
  }
  async ethtoolDriverInfo(ifname: IfName): Promise<EthtoolDriverInfo> {
    this.calls.push(`ethtoolDriverInfo ${ifname}`);
    const scripted = this.commands.ethtool?.[ifname];
    if (scripted === undefined) throw new KernelError('EOPNOTSUPP', 'ethtool', ifname);
    return answer(scripted, null as never, 'ethtool', ifname);
  }
}
