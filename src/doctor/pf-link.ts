/** The PF's netdev: is the link up, and is this the interface the host itself is reached through. */
import type { PfSnapshot } from '../inventory/types.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

function linkEvidence(pf: PfSnapshot, ifname: string): string {
  const admin = pf.adminUp === null ? 'unknown' : pf.adminUp ? 'UP' : 'DOWN';
  const carrier = pf.linkUp === null ? 'unknown' : pf.linkUp ? 'up' : 'down';
  const speed = pf.speedMbps !== null ? `, speed ${pf.speedMbps}Mb/s` : '';
  return `/sys/class/net/${ifname}: admin ${admin}, operstate ${carrier}${speed}`;
}

/** `pf.link`: VFs have no link while the PF is down, and bnxt_en will not even create them. */
export function checkPfLink(pf: PfSnapshot): CheckResult {
  const base = { id: 'pf.link', scope: pf.pciAddress };
  if (pf.netdev === null) {
    return result({
      ...base,
      title: 'No netdev: link state not checked',
      status: 'info',
      evidence: [`/sys/bus/pci/devices/${pf.pciAddress}/net: absent`],
    });
  }
  const ifname = pf.netdev;
  const evidence = [linkEvidence(pf, ifname)];
  if (pf.linkUp === true) {
    return result({ ...base, title: `Link is up on ${ifname}`, status: 'pass', evidence });
  }
  if (pf.adminUp === false) {
    // bnxt_en's sriov_configure returns 0 while the netdev is down: the write succeeds, nothing happens.
    const bnxt =
      pf.driver === 'bnxt_en'
        ? '; bnxt_en refuses to create VFs while the interface is down (numVfs stays 0)'
        : '';
    return result({
      ...base,
      title: `${ifname} is administratively down: its VFs have no link${bnxt}`,
      status: 'warn',
      evidence,
      fix: `Run \`ip link set dev ${ifname} up\`.`,
    });
  }
  if (pf.linkUp === false) {
    return result({
      ...base,
      title: `${ifname} has no carrier: its VFs report link down`,
      status: 'warn',
      evidence,
      fix: `Check the cable, transceiver and switch port of ${ifname}; \`ethtool ${ifname}\` must show "Link detected: yes".`,
    });
  }
  return result({ ...base, title: `Link state of ${ifname} is unknown`, status: 'info', evidence });
}

/** `pf.default-route`: changing numVfs or rebinding this PF would cut the host off the network. */
export function checkDefaultRoute(pf: PfSnapshot): CheckResult {
  const base = { id: 'pf.default-route', scope: pf.pciAddress };
  if (!pf.carriesDefaultRoute) {
    return result({
      ...base,
      title: 'Does not carry the default route',
      status: 'pass',
      evidence: [`ip route show default: not via ${pf.netdev ?? pf.pciAddress}`],
    });
  }
  const ifname = pf.netdev ?? pf.pciAddress;
  return result({
    ...base,
    title: `${ifname} carries the default route: do not repurpose it (changing numVfs or rebinding drops host connectivity)`,
    status: 'warn',
    evidence: [`ip route show default: dev ${ifname}`],
    fix: `Manage a different PF, or move the management traffic (the default route) off ${ifname} before changing its VFs or driver.`,
  });
}
