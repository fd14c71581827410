/**
 * Firmware and driver versions for a PF. The headline version is ethtool's `firmware-version`, the
 * string vendors publish and admins compare (ice: NVM, EETRACK and OROM `4.20 0x80017785 1.3346.0`;
 * devlink's `fw.mgmt` alone would hide an NVM difference); devlink's per-component versions are kept
 * beside it and stand in when ethtool has nothing. /sys/module/<mod>/version covers PFs without a
 * netdev. Each query may fail on its own without sinking the others.
 */
import type { DevlinkInfo, EswitchMode, EthtoolDriverInfo, HostReader } from '../host/host.js';
import type { IfName, PciAddress } from '../host/names.js';
import { issue } from './issues.js';
import { isAbsent, tryCall, tryReadFile, type Outcome } from './seam-reads.js';
import type { DiscoveryIssue, FirmwareInfo } from './types.js';

/** Running-version keys that name "the" firmware, in order of preference (§6). */
const FW_VERSION_KEYS = ['fw', 'fw.version', 'fw.mgmt'] as const;

/** Errnos that mean "this driver has no devlink / no such op", which is normal, not a problem. */
const NOT_SUPPORTED = new Set(['EOPNOTSUPP', 'ENODEV', 'ENOSYS', 'ENOENT']);

export interface PfVersions {
  firmware: FirmwareInfo;
  driverVersion: string | null;
  eswitchMode: EswitchMode | null;
}

/** The firmware version users compare, from a devlink running map. */
export function firmwareVersionFromDevlink(info: DevlinkInfo): string | null {
  for (const key of FW_VERSION_KEYS) {
    const v = info.running[key];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return null;
}

/** ethtool prints `N/A` (iavf) or nothing (ixgbevf) when there is no firmware version. */
function usableVersion(v: string | undefined): string | null {
  const t = (v ?? '').trim();
  return t === '' || t === 'N/A' ? null : t;
}

function commandIssue(
  what: string,
  o: Outcome<unknown> & { ok: false },
  pci: PciAddress,
): DiscoveryIssue {
  return issue('command-failed', what, `failed: ${o.message}`, pci);
}

/** The kernel module behind a driver: driver `vfio-pci` lives in module `vfio_pci` (§2.1). */
export function moduleNameOf(driver: string): string {
  return driver.replaceAll('-', '_');
}

/** Queries devlink, ethtool and the module version for one PF; failures become issues. */
export async function readPfVersions(
  host: HostReader,
  pci: PciAddress,
  netdev: IfName | null,
  driver: string | null,
  issues: DiscoveryIssue[],
): Promise<PfVersions> {
  const [devlink, ethtool, eswitch] = await Promise.all([
    tryCall(() => host.devlinkInfo(pci)),
    netdev !== null
      ? tryCall(() => host.ethtoolDriverInfo(netdev))
      : Promise.resolve<Outcome<EthtoolDriverInfo> | null>(null),
    tryCall(() => host.devlinkEswitchMode(pci)),
  ]);

  let info: DevlinkInfo | null = null;
  if (devlink.ok) info = devlink.value;
  else if (!NOT_SUPPORTED.has(devlink.errno ?? '')) {
    issues.push(commandIssue(`devlink dev info pci/${pci}`, devlink, pci));
  }

  let ethInfo: EthtoolDriverInfo | null = null;
  if (ethtool !== null) {
    if (ethtool.ok) ethInfo = ethtool.value;
    else issues.push(commandIssue(`ethtool -i ${netdev}`, ethtool, pci));
  }

  let eswitchMode: EswitchMode | null = null;
  if (eswitch.ok) eswitchMode = eswitch.value;
  else if (!NOT_SUPPORTED.has(eswitch.errno ?? '')) {
    issues.push(commandIssue(`devlink dev eswitch show pci/${pci}`, eswitch, pci));
  }

  const devlinkVersion = info ? firmwareVersionFromDevlink(info) : null;
  const ethtoolVersion = usableVersion(ethInfo?.firmwareVersion);
  const firmware: FirmwareInfo = {
    version: ethtoolVersion ?? devlinkVersion,
    running: info ? { ...info.running } : {},
    stored: info ? { ...info.stored } : {},
    source: ethtoolVersion !== null ? 'ethtool' : devlinkVersion !== null ? 'devlink' : 'none',
  };

  let driverVersion = usableVersion(ethInfo?.version);
  if (driverVersion === null && driver !== null) {
    // Only modules that declare MODULE_VERSION have this file; in-tree drivers usually do not.
    const path = `/sys/module/${moduleNameOf(driver)}/version`;
    const read = await tryReadFile(host, path);
    if (read.ok) driverVersion = usableVersion(read.value);
    else if (!isAbsent(read))
      issues.push(issue('read-failed', path, `could not read: ${read.message}`, pci));
  }

  return { firmware, driverVersion, eswitchMode };
}
