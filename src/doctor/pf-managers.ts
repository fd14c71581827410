/**
 * Double management: another host tool also configures SR-IOV on this PF and will undo or fight
 * sriovctl's changes (NetworkManager enforces sriov.total-vfs on activation and resets it on
 * deactivation; netplan and systemd-networkd re-apply their VF count when the link appears).
 */
import type { NetworkManagerClaim, PfSnapshot } from '../inventory/types.js';
import { ifnameOf } from './pf-common.js';
import { result } from './result.js';
import type { CheckResult } from './types.js';

function fixFor(claim: NetworkManagerClaim, ifname: string, alsoNetplan: boolean): string {
  switch (claim.manager) {
    case 'NetworkManager':
      return (
        `NetworkManager: run \`nmcli device set ${ifname} managed no\` (persist it with ` +
        `\`unmanaged-devices=interface-name:${ifname}\` under [keyfile] in /etc/NetworkManager/conf.d/), ` +
        `or remove the sriov setting from the connection in ${claim.evidence}.`
      );
    case 'netplan':
      return (
        `netplan: remove the SR-IOV settings for ${ifname} (virtual-function-count, embedded-switch-mode, ` +
        `VF entries with \`link: ${ifname}\`) from ${claim.evidence}, then run \`netplan apply\`.`
      );
    case 'systemd-networkd': {
      if (alsoNetplan) {
        return "systemd-networkd: renders netplan's configuration on this host; the netplan change above is enough.";
      }
      // Runtime state under /run/systemd/netif names no config file; networkctl shows which one applies.
      const file = /\.(link|network)$/.test(claim.evidence)
        ? claim.evidence
        : `the .link/.network file that matches ${ifname} (\`networkctl status ${ifname}\` shows it)`;
      return `systemd-networkd: remove SR-IOVVirtualFunctions= and the [SR-IOV] sections from ${file}, then run \`networkctl reload\`.`;
    }
  }
}

const WHY: Record<NetworkManagerClaim['manager'], string> = {
  NetworkManager:
    'NetworkManager enforces sriov.total-vfs on activation and resets it on deactivation',
  netplan: 'netplan re-applies its VF count at boot and whenever the PF appears',
  'systemd-networkd':
    'udev/networkd re-apply SR-IOVVirtualFunctions= and [SR-IOV] whenever the link appears',
};

/**
 * One claim per manager: discovery may cite several files for the same manager (a connection
 * profile and the runtime device state); the fix should name the configuration file under /etc.
 */
function byManager(claims: readonly NetworkManagerClaim[]): NetworkManagerClaim[] {
  const picked = new Map<NetworkManagerClaim['manager'], NetworkManagerClaim>();
  for (const c of claims) {
    const prev = picked.get(c.manager);
    if (!prev || (!prev.evidence.startsWith('/etc/') && c.evidence.startsWith('/etc/')))
      picked.set(c.manager, c);
  }
  return [...picked.values()];
}

/** `pf.managed-by`: warn per manager claiming the PF, with the manager-specific way to let go. */
export function checkManagedBy(pf: PfSnapshot): CheckResult {
  const base = { id: 'pf.managed-by', scope: pf.pciAddress };
  if (pf.managedBy.length === 0) {
    return result({
      ...base,
      title: 'No other network manager configures SR-IOV on this PF',
      status: 'pass',
      evidence: ['NetworkManager, netplan, systemd-networkd: no SR-IOV settings for this PF'],
    });
  }
  const ifname = ifnameOf(pf);
  const managers = byManager(pf.managedBy);
  return result({
    ...base,
    title:
      `Also managed by ${managers.map((c) => c.manager).join(', ')}: double management ` +
      `(${managers.map((c) => WHY[c.manager]).join('; ')})`,
    status: 'warn',
    evidence: pf.managedBy.map((c) => `${c.evidence}: claims ${ifname} (${c.manager})`),
    fix: managers
      .map((c) =>
        fixFor(
          c,
          ifname,
          managers.some((m) => m.manager === 'netplan'),
        ),
      )
      .join('\n'),
  });
}
