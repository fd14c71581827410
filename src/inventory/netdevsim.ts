/**
 * netdevsim devices as PFs (linux-sriov-abi.md §5): not PCI, so they are found under
 * /sys/bus/netdevsim/devices, named by their bus device name (`netdevsim<ID>`) and marked
 * `bus: 'netdevsim'`. Their VFs have no PCI function and no netdev: one VfSnapshot per entry of the
 * PF port's netlink VF list, with no per-VF sysfs reads.
 */
import { devlinkHandle, isNetdevsimDevice, type NetdevsimDevice } from '../host/names.js';
import type { LinkInfo } from '../host/host.js';
import { failedReadIssue, issue, parseOr } from './issues.js';
import { detectManagers } from './managed-by.js';
import type { PfReadContext } from './pf-reader.js';
import { isAbsent, tryCall, tryReadDir, tryReadFile } from './seam-reads.js';
import { matchVfConfigs } from './vf-config.js';
import type { DiscoveryIssue, PfSnapshot } from './types.js';

export const NETDEVSIM_DEVICES_DIR = '/sys/bus/netdevsim/devices';
const DEBUGFS = '/sys/kernel/debug/netdevsim';
/** NSIM_BUS_DEV_MAX_VFS: the limit a device has unless debugfs max_vfs was rewritten. */
const DEFAULT_MAX_VFS = 4;

function parseCount(text: string, path: string): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) throw new Error(`${path}: expected a decimal number, found ${t}`);
  return Number(t);
}

/** The PF port: the first port netdev (by name) that lists VFs; representors list none. */
function pfPort(names: readonly string[], ctx: PfReadContext): LinkInfo | null {
  const links = [...names]
    .sort()
    .map((n) => ctx.linksByName.get(n))
    .filter((l): l is LinkInfo => l !== undefined);
  return links.find((l) => l.vfs !== undefined) ?? links[0] ?? null;
}

async function readDevice(
  ctx: PfReadContext,
  name: NetdevsimDevice,
  issues: DiscoveryIssue[],
): Promise<PfSnapshot | null> {
  const { host } = ctx;
  const dir = `${NETDEVSIM_DEVICES_DIR}/${name}`;
  const [numVfsRead, netRead, maxVfsRead, eswitch] = await Promise.all([
    tryReadFile(host, `${dir}/sriov_numvfs`),
    tryReadDir(host, `${dir}/net`),
    tryReadFile(host, `${DEBUGFS}/${name}/max_vfs`),
    tryCall(() => host.devlinkEswitchMode(devlinkHandle(`netdevsim/${name}`))),
  ]);
  if (!numVfsRead.ok) {
    // Not probed yet (or being deleted): no SR-IOV to report.
    if (!isAbsent(numVfsRead))
      issues.push(failedReadIssue(`${dir}/sriov_numvfs`, numVfsRead, name));
    return null;
  }
  const numVfs = parseOr(issues, parseCount, numVfsRead.value, `${dir}/sriov_numvfs`, 0, name);
  let totalVfs = DEFAULT_MAX_VFS;
  if (maxVfsRead.ok) {
    totalVfs = parseOr(issues, parseCount, maxVfsRead.value, `${DEBUGFS}/${name}/max_vfs`, 4, name);
  } else {
    issues.push(
      issue(
        'read-failed',
        `${DEBUGFS}/${name}/max_vfs`,
        `could not read max_vfs (${maxVfsRead.message}); assuming netdevsim's default of ${DEFAULT_MAX_VFS}`,
        name,
      ),
    );
  }
  if (!netRead.ok && !isAbsent(netRead)) issues.push(failedReadIssue(`${dir}/net`, netRead, name));
  const link = pfPort(netRead.ok ? netRead.value : [], ctx);
  const netdev = link?.ifname ?? null;
  const indexes = [...Array(numVfs).keys()];
  const configs = matchVfConfigs(name, netdev, link, indexes, issues);
  const managedBy =
    netdev === null ? [] : await detectManagers(host, ctx.managers, netdev, link?.ifindex ?? null);

  return {
    pciAddress: name,
    bus: 'netdevsim',
    vendorId: '',
    deviceId: '',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    vendorName: 'netdevsim',
    deviceName: 'simulated SR-IOV device',
    classCode: null,
    vfDeviceId: null,
    driver: 'netdevsim',
    driverOverride: null,
    sriovConfigurable: true,
    driverVersion: null,
    firmware: { version: null, running: {}, stored: {}, source: 'none' },
    netdev,
    mac: link?.mac ?? null,
    mtu: link?.mtu ?? null,
    adminUp: link?.adminUp ?? null,
    linkUp: link === null ? null : link.operstate === 'UP' || link.lowerUp,
    speedMbps: null,
    numaNode: -1,
    iommuGroup: null,
    totalVfs,
    numVfs,
    vfOffset: 0,
    vfStride: 0,
    // No VF driver ever probes: netdevsim VFs are not devices.
    driversAutoprobe: false,
    eswitchMode: eswitch.ok ? eswitch.value : null,
    carriesDefaultRoute: netdev !== null && ctx.routeCarriers.has(netdev),
    managedBy,
    vfListTruncated: configs.vfListTruncated,
    unreadableVfs: configs.unreadableVfs,
    vfs: indexes.map((vfIndex) => ({
      vfIndex,
      pciAddress: null,
      deviceId: '',
      driver: null,
      driverOverride: null,
      netdev: null,
      netdevMtu: null,
      iommuGroup: null,
      numaNode: -1,
      config: configs.byIndex.get(vfIndex) ?? null,
    })),
  };
}

/** Every probed netdevsim device, sorted by name; none when the bus is absent. */
export async function discoverNetdevsim(
  ctx: PfReadContext,
  issues: DiscoveryIssue[],
): Promise<PfSnapshot[]> {
  const list = await tryReadDir(ctx.host, NETDEVSIM_DEVICES_DIR);
  if (!list.ok) {
    if (!isAbsent(list)) issues.push(failedReadIssue(NETDEVSIM_DEVICES_DIR, list));
    return [];
  }
  const names = list.value.filter(isNetdevsimDevice).sort();
  const per = await Promise.all(
    names.map(async (n) => {
      const own: DiscoveryIssue[] = [];
      return { pf: await readDevice(ctx, n, own), own };
    }),
  );
  issues.push(...per.flatMap((p) => p.own));
  return per.map((p) => p.pf).filter((p): p is PfSnapshot => p !== null);
}
