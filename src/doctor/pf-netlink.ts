/**
 * The kernel reports VF settings through one nested netlink attribute whose length is a u16: past
 * 221 VFs (with the per-VF stats `ip link` always asks for) it wraps and user space gets a short
 * prefix of the list, or nothing. The missing VFs' settings are unknown, not unset.
 */
import { maxVfsInFullList } from '../host/netlink-vf-list.js';
import type { PfSnapshot } from '../inventory/types.js';
import { formatRanges, result } from './result.js';
import type { CheckResult } from './types.js';

/** Where discovery looked for the PF's netdev. */
function netDir(pf: PfSnapshot): string {
  return pf.bus === 'netdevsim'
    ? `/sys/bus/netdevsim/devices/${pf.pciAddress}/net`
    : `/sys/bus/pci/devices/${pf.pciAddress}/net`;
}

/** `pf.vf-list`: every VF's settings are readable through netlink. */
export function checkVfList(pf: PfSnapshot): CheckResult {
  const base = { id: 'pf.vf-list', scope: pf.pciAddress };
  if (pf.netdev === null) {
    // Nothing was asked of netlink: there is no interface to ask about.
    return result({
      ...base,
      title: `${pf.pciAddress} has no netdev: it has no netlink VF list (VF MAC, VLAN and rates do not apply)`,
      status: 'info',
      evidence: [`${netDir(pf)}: no network interface`],
    });
  }
  const ifname = pf.netdev;
  const reported = pf.vfs.filter((v) => v.config !== null).length;
  const missing = formatRanges(pf.unreadableVfs);
  if (pf.vfListTruncated) {
    const limit = maxVfsInFullList();
    return result({
      ...base,
      title: `The kernel's netlink VF list overflowed: sriovctl cannot read settings of VFs ${missing} through \`ip link\``,
      status: 'warn',
      evidence: [
        `ip -d -s link show ${ifname}: Truncated VF list (${reported} of ${pf.numVfs} VFs reported)`,
      ],
      fix:
        `Keep numVfs on ${ifname} at or below ${limit} if every VF's settings must be readable ` +
        `(the nested VF list, ${limit} VFs with per-VF stats, fills the kernel's 64 KiB attribute; above that it wraps); ` +
        `settings of VFs ${missing} can still be written but not read back or verified.`,
    });
  }
  if (pf.unreadableVfs.length > 0) {
    return result({
      ...base,
      title: `Netlink did not report VFs ${missing} of ${ifname}: their settings are unknown`,
      status: 'warn',
      evidence: [
        `ip -d -s link show ${ifname}: ${reported} of ${pf.numVfs} VFs reported, not truncated`,
      ],
      fix:
        `Run \`ip -d link show ${ifname}\`: without a \`vf\` line per VF, the PF driver does not report its VFs ` +
        `and sriovctl cannot read or verify their settings; with them, run doctor again (the interface may have changed during discovery).`,
    });
  }
  return result({
    ...base,
    title: 'All VF settings are readable through netlink',
    status: 'pass',
    evidence: [`ip -d -s link show ${ifname}: ${reported} of ${pf.numVfs} VFs reported`],
  });
}
