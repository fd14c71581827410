/**
 * The simulated host: the Host seam over a SimKernel, with fault injection, a journal of every
 * change (for ordering assertions) and controls a test or demo uses to move the world (traffic,
 * link loss, a VM holding a VF).
 */
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
import {
  devlinkHandleOf,
  safeAbsPath,
  type DevlinkHandle,
  type IfName,
  type PciAddress,
} from '../names.js';
import { renderBatchLine } from '../batch-line.js';
import { configFilePath } from '../config-paths.js';
import { HostTimeoutError, KernelError, UnsafeInputError, type ErrnoName } from '../errors.js';
import { withTimeout } from '../timeout.js';
import { DRIVERS } from './drivers.js';
import { FaultInjector, type FaultOp } from './faults.js';
import type { SimKernel, SimPciDevice, TrafficRates } from './kernel.js';
import type { NsimDevice } from './netdevsim.js';
import { applyNetlink, dumpLinks } from './netlink.js';
import { VfsError } from './vfs.js';

/** One change the simulated host accepted or refused, in order. */
export interface JournalEntry {
  seq: number;
  at: number;
  op: 'write' | 'netlink' | 'devlink' | 'config-write' | 'config-remove';
  target: string;
  value: string;
  result: 'ok' | ErrnoName | 'error';
}

/** The journal's view of a change: the PF/VF it targets and the exact `ip -batch` line. */
function describeChange(c: NetlinkChange): { target: string; value: string } {
  return { target: c.kind === 'vf' ? `${c.pf} vf ${c.vf}` : c.ifname, value: renderBatchLine(c) };
}

/** ice reports its NVM as `fw.psid.api`, EETRACK as `fw.bundle_id`, OROM as `fw.undi` (abi §6). */
function iceVersions(fw: string): Record<string, string> {
  const [nvm = '', eetrack = '', orom = ''] = fw.split(' ');
  // Each NVM release bundles its own management firmware; older NVMs carry older fw.mgmt.
  const mgmt: Record<string, string> = {
    '4.20': '7.3.4',
    '4.10': '7.1.2',
    '4.01': '6.1.5',
    '3.20': '5.5.17',
  };
  return {
    'fw.mgmt': mgmt[nvm] ?? `${nvm.split('.')[0] ?? '0'}.0.0`,
    'fw.mgmt.api': '1.7.11',
    'fw.mgmt.build': '0x3e9a7a01',
    'fw.undi': orom,
    'fw.psid.api': nvm,
    'fw.bundle_id': eetrack,
    'fw.app.name': 'ICE OS Default Package',
    'fw.app': '1.3.30.0',
    'fw.netlist': '4.1.3000-1.9.0.a5e6c3b4',
  };
}

export class SimHost implements Host {
  readonly faults = new FaultInjector();
  readonly journal: JournalEntry[] = [];
  private seq = 0;

  constructor(
    readonly kernel: SimKernel,
    readonly description: HostDescription,
    private readonly routes: DefaultRoute[],
  ) {}

  private record(
    op: JournalEntry['op'],
    target: string,
    value: string,
    result: JournalEntry['result'],
  ): void {
    this.journal.push({
      seq: ++this.seq,
      at: this.kernel.config.clock(),
      op,
      target,
      value,
      result,
    });
    // Config files are not kernel state: only kernel changes reach link watchers.
    if (result === 'ok' && !op.startsWith('config-')) this.announce();
  }

  /**
   * Runs one journaled change: the fault injected for it first (a hang, or an errno), then the
   * change itself; the outcome is recorded either way.
   */
  private async journaled(
    op: JournalEntry['op'],
    fault: { op: FaultOp; kernelOp: KernelError['op'] },
    target: string,
    value: string,
    change: () => void | Promise<void>,
  ): Promise<void> {
    const f = this.faults.check(fault.op, target);
    if (f.kind === 'hang') await f.released;
    if (f.kind === 'fail') {
      this.record(op, target, value, f.errno);
      throw new KernelError(f.errno, fault.kernelOp, target, 'injected fault');
    }
    try {
      await change();
    } catch (e) {
      const err = e instanceof VfsError ? new KernelError(e.errno, fault.kernelOp, target) : e;
      this.record(op, target, value, err instanceof KernelError ? err.errno : 'error');
      throw err;
    }
    this.record(op, target, value, 'ok');
  }
  private readonly linkWatchers = new Set<() => void>();

  /** Tells link watchers something changed, as the kernel's RTM_NEWLINK notifications would. */
  private announce(): void {
    for (const w of this.linkWatchers) queueMicrotask(w);
  }

  watchLinks(onChange: () => void): () => void {
    this.linkWatchers.add(onChange);
    return () => this.linkWatchers.delete(onChange);
  }

  private node(path: string, follow: boolean, op: KernelError['op']) {
    const p = safeAbsPath(path);
    try {
      return { path: p, node: this.kernel.vfs.lookup(p, follow) };
    } catch (e) {
      if (e instanceof VfsError) throw new KernelError(e.errno, op, p);
      throw e;
    }
  }

  async readFile(path: string): Promise<string> {
    const { path: p, node } = this.node(path, true, 'read');
    if (node.kind === 'dir') throw new KernelError('EISDIR', 'read', p);
    if (node.kind !== 'file' || !node.read) throw new KernelError('EACCES', 'read', p);
    return node.read();
  }

  async readLink(path: string): Promise<string> {
    const { path: p, node } = this.node(path, false, 'readlink');
    if (node.kind !== 'link') throw new KernelError('EINVAL', 'readlink', p);
    return node.target;
  }

  async readDir(path: string): Promise<string[]> {
    const { path: p, node } = this.node(path, true, 'readdir');
    if (node.kind !== 'dir') throw new KernelError('ENOTDIR', 'readdir', p);
    return [...node.children.keys()].sort();
  }

  async entryKind(path: string): Promise<EntryKind | null> {
    const p = safeAbsPath(path);
    const n = this.kernel.vfs.peek(p);
    return n ? n.kind : null;
  }

  async writeFile(path: string, value: string, opts?: WriteOptions): Promise<void> {
    const p = safeAbsPath(path);
    if (!p.startsWith('/sys/'))
      throw new UnsafeInputError(
        'path',
        path,
        'a path under /sys (the only place sriovctl writes)',
      );
    const ms = opts?.timeoutMs;
    return withTimeout(
      this.doWrite(p, value),
      ms,
      (settled) => new HostTimeoutError(`write ${p}`, ms ?? 0, settled),
    );
  }

  private doWrite(p: string, value: string): Promise<void> {
    return this.journaled('write', { op: 'write', kernelOp: 'write' }, p, value, async () => {
      const { node } = this.node(p, true, 'write');
      if (node.kind === 'dir') throw new KernelError('EISDIR', 'write', p);
      if (node.kind !== 'file' || !node.write) throw new KernelError('EACCES', 'write', p);
      // A zero-length write(2) succeeds without reaching the attribute's store (measured in the
      // lab: writing "" to sriov_numvfs is not EINVAL); the open-time EACCES above still applies.
      if (value.length > 0) await node.write(value);
    });
  }

  /** Permission bits each config file was written with (the Vfs itself has no modes). */
  readonly configModes = new Map<string, number>();

  async writeConfigFile(path: string, content: string, opts?: ConfigFileOptions): Promise<void> {
    const p = configFilePath(path);
    await this.journaled('config-write', { op: 'write', kernelOp: 'write' }, p, content, () => {
      if (this.kernel.vfs.peek(p)?.kind === 'dir') throw new KernelError('EISDIR', 'write', p);
      this.kernel.vfs.constant(p, content);
    });
    this.configModes.set(p, opts?.mode ?? 0o644);
  }

  async removeConfigFile(path: string): Promise<boolean> {
    const p = configFilePath(path, 'remove');
    const node = this.kernel.vfs.peek(p);
    if (!node) return false;
    if (node.kind === 'dir' && node.children.size > 0) {
      this.record('config-remove', p, '', 'ENOTEMPTY');
      throw new KernelError('ENOTEMPTY', 'write', p);
    }
    this.kernel.vfs.remove(p);
    this.configModes.delete(p);
    this.record('config-remove', p, '', 'ok');
    return true;
  }

  async linkDump(opts?: LinkDumpOptions): Promise<LinkDump> {
    return dumpLinks(this.kernel, opts?.ifname, opts?.vfs);
  }

  async linkApply(
    changes: readonly NetlinkChange[],
    opts?: WriteOptions,
  ): Promise<NetlinkResult[]> {
    // The same validation as the Linux implementation: a change that could not be rendered as a
    // batch line is refused before anything is applied.
    for (const c of changes) renderBatchLine(c);
    const run = async () => {
      let hang: Promise<void> | null = null;
      const results = applyNetlink(this.kernel, changes, (c) => {
        const { target } = describeChange(c);
        const f = this.faults.check('netlink', target);
        if (f.kind === 'hang') hang = f.released;
        return f.kind === 'fail' ? f.errno : null;
      });
      if (hang) await hang;
      changes.forEach((c, i) => {
        const { target, value } = describeChange(c);
        const r = results[i]!;
        this.record('netlink', target, value, r.ok ? 'ok' : (r.errno ?? 'error'));
      });
      return results;
    };
    const ms = opts?.timeoutMs;
    return withTimeout(run(), ms, (settled) => new HostTimeoutError('ip -batch', ms ?? 0, settled));
  }

  async defaultRoutes(): Promise<DefaultRoute[]> {
    return this.routes.map((r) => ({ ...r }));
  }

  /** The device behind a devlink handle: a PCI device or a netdevsim device; ENODEV if none. */
  private devlinkTarget(
    ref: PciAddress | DevlinkHandle,
  ): { handle: DevlinkHandle; pci: SimPciDevice } | { handle: DevlinkHandle; nsim: NsimDevice } {
    const handle = devlinkHandleOf(ref);
    if (handle.startsWith('pci/')) {
      const dev = this.kernel.devices.get(handle.slice('pci/'.length));
      if (dev) return { handle, pci: dev };
    } else {
      const dev = this.kernel.netdevsim?.byHandle(handle);
      if (dev) return { handle, nsim: dev };
    }
    throw new KernelError('ENODEV', 'devlink', handle);
  }

  async devlinkEswitchMode(ref: PciAddress | DevlinkHandle): Promise<EswitchMode | null> {
    const t = this.devlinkTarget(ref);
    if ('nsim' in t) return t.nsim.eswitchMode;
    const def = t.pci.driver ? DRIVERS[t.pci.driver] : undefined;
    return def?.eswitch ? t.pci.board.eswitchMode : null;
  }

  async devlinkSetEswitchMode(
    ref: PciAddress | DevlinkHandle,
    mode: EswitchMode,
    opts?: WriteOptions,
  ): Promise<void> {
    const target = devlinkHandleOf(ref);
    const run = () =>
      this.journaled(
        'devlink',
        { op: 'devlink', kernelOp: 'devlink' },
        target,
        `eswitch ${mode}`,
        () => {
          const t = this.devlinkTarget(target);
          if ('nsim' in t) this.kernel.netdevsim!.setEswitchMode(t.nsim, mode);
          else this.kernel.setEswitchMode(t.pci, mode);
        },
      );
    const ms = opts?.timeoutMs;
    return withTimeout(
      run(),
      ms,
      (settled) => new HostTimeoutError(`devlink ${target}`, ms ?? 0, settled),
    );
  }

  async devlinkInfo(ref: PciAddress | DevlinkHandle): Promise<DevlinkInfo | null> {
    const t = this.devlinkTarget(ref);
    if ('nsim' in t) return this.kernel.netdevsim!.devlinkInfo(t.nsim);
    const dev = t.pci;
    const handle = t.handle;
    const fw = dev.board.firmware;
    switch (dev.driver) {
      case 'ice': {
        const v = iceVersions(fw);
        return {
          handle,
          driver: 'ice',
          serialNumber: dev.board.serial,
          fixed: { 'board.id': 'K91258-000' },
          running: v,
          stored: { ...v },
        };
      }
      case 'mlx5_core':
        if (dev.pf) return null;
        return {
          handle,
          driver: 'mlx5_core',
          serialNumber: dev.board.serial,
          fixed: { 'fw.psid': 'MT_0000000359' },
          running: { 'fw.version': fw, fw: fw },
          stored: { 'fw.version': fw, fw: fw },
        };
      case 'bnxt_en': {
        const main = fw.split('/')[0] ?? fw;
        return {
          handle,
          driver: 'bnxt_en',
          serialNumber: dev.board.serial,
          fixed: { 'board.id': 'BCM957414A4142CC', asic: '14e4:16d7' },
          running: {
            fw: main,
            'fw.psid': '0.0.6',
            'fw.mgmt': main,
            'fw.mgmt.api': '1.10.2',
            'fw.roce': main,
          },
          stored: { fw: main, 'fw.psid': '0.0.6' },
        };
      }
      default:
        return null;
    }
  }

  async ethtoolDriverInfo(ifname: IfName): Promise<EthtoolDriverInfo> {
    const nd = this.kernel.netdevs.get(ifname);
    if (!nd) throw new KernelError('ENODEV', 'ethtool', ifname);
    const nsim = this.kernel.netdevsim?.ethtoolDriverInfo(nd);
    if (nsim) return nsim;
    const dev = nd.device;
    if (!dev || !dev.driver) throw new KernelError('EOPNOTSUPP', 'ethtool', ifname);
    const def = DRIVERS[dev.driver];
    let firmwareVersion = dev.board.firmware;
    if (dev.pf)
      firmwareVersion =
        dev.driver === 'iavf' ? 'N/A' : dev.driver === 'ixgbevf' ? '' : dev.board.firmware;
    else if (dev.driver === 'mlx5_core') firmwareVersion = `${dev.board.firmware} (MT_0000000359)`;
    return {
      driver: dev.driver,
      version: def?.version ?? '',
      firmwareVersion,
      busInfo: dev.address,
    };
  }

  // ---------------------------------------------------------------- controls for tests and demos

  /** The PF device with this PCI address or netdev name. */
  pf(ref: string): SimPciDevice {
    const dev = this.kernel.devices.get(ref) ?? this.kernel.pfByNetdev(ref);
    if (!dev || !dev.sriov) throw new Error(`sim: no SR-IOV PF ${ref}`);
    return dev;
  }

  /** Starts (or stops, with null) traffic on a VF; counters then move on every dump. */
  setTraffic(pfRef: string, vf: number, rates: TrafficRates | null): void {
    this.kernel.setTraffic(this.pf(pfRef), vf, rates);
  }

  /** Pulls or plugs the PF's cable. */
  setCarrier(pfRef: string, up: boolean): void {
    this.kernel.setCarrier(this.pf(pfRef), up);
    this.announce();
  }

  /** Makes a VF look held by a running VM (vfio user), as pci_vfs_assigned sees it. */
  setVfAssigned(pfRef: string, vf: number, assigned: boolean): void {
    const dev = this.pf(pfRef).sriov!.vfs[vf];
    if (!dev) throw new Error(`sim: ${pfRef} has no VF ${vf}`);
    this.kernel.setAssigned(dev, assigned);
  }

  /**
   * Changes applied out of band (another tool, or a raw `ip` call), bypassing the seam's own input
   * checks, so kernel-side refusals such as qos > 7 can be exercised.
   */
  outOfBand(changes: NetlinkChange[]): NetlinkResult[] {
    const results = applyNetlink(this.kernel, changes, () => null);
    this.announce();
    return results;
  }

  /** Stops background timers. */
  close(): void {
    this.kernel.dispose();
  }
}
