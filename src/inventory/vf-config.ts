/**
 * The PF's netlink view of its VFs (IFLA_VFINFO_LIST) mapped onto VF indexes. The kernel silently
 * drops VFs from the list once it overflows (~220 VFs); those VFs are reported as unknown
 * (`config: null`), never as unset, and named in an issue.
 */
import type { LinkInfo, VfInfo } from '../host/host.js';
import type { PfId } from '../host/names.js';
import { kernelVfSettings } from '../host/vf-settings.js';
import { issue } from './issues.js';
import type { DiscoveryIssue, VfConfig } from './types.js';

/** One VF's netlink settings as snapshot data. */
export function vfConfigFrom(info: VfInfo): VfConfig {
  return { ...kernelVfSettings(info), counters: info.counters ? { ...info.counters } : null };
}

/**
 * Formats VF indexes compactly (sorted, duplicates dropped): `34-255`, `3, 7-9`. The one formatter
 * for index ranges; policy files use it with `,` as the separator (`0-7,12`).
 */
export function formatIndexRanges(indexes: readonly number[], separator = ', '): string {
  const s = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(separator);
}

export interface VfConfigs {
  /** Settings by VF index; absent indexes are unknown. */
  byIndex: Map<number, VfConfig>;
  vfListTruncated: boolean;
  unreadableVfs: number[];
}

/**
 * Matches the PF's VF list against the VFs sysfs shows. `link` is null when the PF has a netdev
 * that the dump did not contain; `netdev` null means the PF has no netdev (nvme, vfio-pci), where
 * there is no netlink view at all and nothing is expected.
 */
export function matchVfConfigs(
  pci: PfId,
  netdev: string | null,
  link: LinkInfo | null,
  vfIndexes: readonly number[],
  issues: DiscoveryIssue[],
): VfConfigs {
  const byIndex = new Map<number, VfConfig>();
  if (netdev === null || vfIndexes.length === 0) {
    return { byIndex, vfListTruncated: false, unreadableVfs: [] };
  }
  const path = `rtnetlink ${netdev} IFLA_VFINFO_LIST`;
  for (const info of link?.vfs ?? []) byIndex.set(info.vf, vfConfigFrom(info));
  const truncated = link?.vfListTruncated === true;
  const unreadableVfs = vfIndexes.filter((i) => !byIndex.has(i));

  if (unreadableVfs.length > 0) {
    const which = `${formatIndexRanges(unreadableVfs)} (${unreadableVfs.length} of ${vfIndexes.length})`;
    if (truncated) {
      issues.push(
        issue(
          'vf-list-truncated',
          path,
          `the kernel truncated the VF list (it overflows above ~220 VFs): settings of VFs ${which} are unknown, not unset`,
          pci,
        ),
      );
    } else if (link === null) {
      issues.push(
        issue(
          'vf-config-unreadable',
          path,
          `${netdev} is not in the link dump: settings of VFs ${which} are unknown`,
          pci,
        ),
      );
    } else if (link.vfs === undefined) {
      issues.push(
        issue(
          'vf-config-unreadable',
          path,
          `${netdev} reports no VF list: settings of VFs ${which} are unknown`,
          pci,
        ),
      );
    } else {
      issues.push(
        issue(
          'vf-config-unreadable',
          path,
          `${netdev}'s VF list omits VFs ${which}: their settings are unknown`,
          pci,
        ),
      );
    }
  }
  return { byIndex, vfListTruncated: truncated, unreadableVfs };
}
