/**
 * LinuxHost: the host seam on a real Linux machine. Files come from sysfs and friends under
 * configurable roots; netlink goes through iproute2 (`ip -j`, `ip -force -batch -`); devlink and
 * ethtool through their tools. No shell is ever involved: every command is an argv array.
 */
import os from 'node:os';
import type {
  ConfigFileOptions,
  DefaultRoute,
  DevlinkInfo,
  EntryKind,
  EswitchMode,
  EthtoolDriverInfo,
  Host,
  HostDescription,
  LinkDump,
  LinkDumpOptions,
  NetlinkChange,
  NetlinkResult,
  WriteOptions,
} from '../host.js';
import type { DevlinkHandle, IfName, PciAddress } from '../names.js';
import { ConfigFiles } from './config-files.js';
import { Devlink } from './devlink.js';
import { Ethtool } from './ethtool.js';
import { resolveBinary } from './exec.js';
import { HostFiles } from './host-files.js';
import { Iproute2, netnsName } from './iproute2.js';

export interface LinuxHostOptions {
  /** Where sysfs is mounted; `/sys/...` seam paths map here. Default `/sys`. */
  sysfsRoot?: string;
  /** Root for every other path (/proc, /dev, /etc, /run, /lib/modules, /usr/share). Default `/`. */
  rootDir?: string;
  /**
   * Network namespace (a name under /run/netns) for `ip` and `ethtool`. devlink always runs in the
   * caller's namespace: PCI devlink instances belong to the initial one.
   */
  netns?: string;
  /** Binaries; by default found on PATH, then in /usr/sbin and /sbin. */
  ipPath?: string;
  devlinkPath?: string;
  ethtoolPath?: string;
  /** Label for HostDescription; default the hostname. */
  name?: string;
}

/** The real-kernel implementation of Host. */
export class LinuxHost implements Host {
  readonly description: HostDescription;
  private readonly files: HostFiles;
  private readonly config: ConfigFiles;
  private readonly ip: Iproute2;
  private readonly devlink: Devlink;
  private readonly ethtool: Ethtool;

  constructor(opts: LinuxHostOptions = {}) {
    const netns = opts.netns === undefined ? undefined : netnsName(opts.netns);
    const ipPath = opts.ipPath ?? resolveBinary('ip');
    this.description = { kind: 'linux', name: opts.name ?? os.hostname() };
    this.files = new HostFiles({
      sysfsRoot: opts.sysfsRoot ?? '/sys',
      rootDir: opts.rootDir ?? '/',
    });
    this.config = new ConfigFiles(opts.rootDir ?? '/');
    this.ip = new Iproute2(ipPath, netns);
    this.devlink = new Devlink(opts.devlinkPath ?? resolveBinary('devlink'));
    this.ethtool = new Ethtool(
      opts.ethtoolPath ?? resolveBinary('ethtool'),
      netns === undefined ? { ipPath } : { ipPath, netns },
    );
  }

  watchLinks(onChange: () => void): () => void {
    return this.ip.monitorLinks(onChange);
  }

  async readFile(path: string): Promise<string> {
    return this.files.readFile(path);
  }

  async readLink(path: string): Promise<string> {
    return this.files.readLink(path);
  }

  async readDir(path: string): Promise<string[]> {
    return this.files.readDir(path);
  }

  async entryKind(path: string): Promise<EntryKind | null> {
    return this.files.entryKind(path);
  }

  async writeFile(path: string, value: string, opts?: WriteOptions): Promise<void> {
    return this.files.writeFile(path, value, opts);
  }

  async writeConfigFile(path: string, content: string, opts?: ConfigFileOptions): Promise<void> {
    return this.config.write(path, content, opts);
  }

  async removeConfigFile(path: string): Promise<boolean> {
    return this.config.remove(path);
  }

  async linkDump(opts?: LinkDumpOptions): Promise<LinkDump> {
    return this.ip.linkDump(opts);
  }

  async linkApply(
    changes: readonly NetlinkChange[],
    opts?: WriteOptions,
  ): Promise<NetlinkResult[]> {
    return this.ip.linkApply(changes, opts);
  }

  async defaultRoutes(): Promise<DefaultRoute[]> {
    return this.ip.defaultRoutes();
  }

  async devlinkEswitchMode(dev: PciAddress | DevlinkHandle): Promise<EswitchMode | null> {
    return this.devlink.eswitchMode(dev);
  }

  async devlinkSetEswitchMode(
    dev: PciAddress | DevlinkHandle,
    mode: EswitchMode,
    opts?: WriteOptions,
  ): Promise<void> {
    return this.devlink.setEswitchMode(dev, mode, opts);
  }

  async devlinkInfo(dev: PciAddress | DevlinkHandle): Promise<DevlinkInfo | null> {
    return this.devlink.info(dev);
  }

  async ethtoolDriverInfo(ifname: IfName): Promise<EthtoolDriverInfo> {
    return this.ethtool.driverInfo(ifname);
  }
}

/** Builds a LinuxHost. @example const host = createLinuxHost({ netns: 'blue' }); */
export function createLinuxHost(opts: LinuxHostOptions = {}): LinuxHost {
  return new LinuxHost(opts);
}
