/**
 * The kernel reports VF settings through one nested netlink attribute whose length is a u16: past
 * about 220 VFs it overflows and `ip link` gets only a prefix of the list. The missing VFs' settings
 * are unknown, not unset.
 */
import type { PfSnapshot } from '../inventory/types.js';
import { formatRanges, result } from './result.js';
import type { CheckResult } from './types.js';

/** `pf.vf-list`: every VF's settings are readable through netlink. */
export function checkVfList(pf: PfSnapshot): CheckResult {
  const ifname = pf.netdev ?? pf.pciAddress;
  const base = { id: 'pf.vf-list', scope: pf.pciAddress };
  if (!pf.vfListTruncated) {
    return result({
      ...base,
      title: 'All VF settings are readable through netlink',
      status: 'pass',
      evidence: [`ip -d link show ${ifname}: ${pf.numVfs} of ${pf.numVfs} VFs reported`],
    });
  }
  const missing = formatRanges(pf.unreadableVfs);
  const reported = pf.numVfs - pf.unreadableVfs.length;
  return result({
    ...base,
    title: `The kernel's netlink VF list overflowed: sriovctl cannot read settings of VFs ${missing} through \`ip link\``,
    status: 'warn',
    evidence: [
      `ip -d link show ${ifname}: Truncated VF list (${reported} of ${pf.numVfs} VFs reported)`,
    ],
    fix:
      `Keep numVfs on ${ifname} at or below ${Math.max(reported, 1)} if every VF's settings must be readable; ` +
      `settings of VFs ${missing} can still be written but not read back or verified.`,
  });
}
