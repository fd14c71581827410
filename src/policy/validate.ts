/**
 * Policy rules beyond the schema: cross-field rules of one policy, and rules that need the host
 * (firmware caps, driver refusals the kernel would give, the IOMMU). Each issue points at the field
 * to change and says how; "warning" means sriovctl can proceed but the kernel or the NIC may not
 * do what the policy says.
 */
import { minRateSupported, vlanProtoSupport } from '../executor/quirks.js';
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { isMulticastMac, type MacAddress } from '../host/names.js';
import { parsedVfCount } from '../host/netlink-vf-list.js';
import { pfLabel, vfsText, type GroupPlacement, type MergedPf } from './merge.js';
import { formatRange } from './ranges.js';
import { isEmptySelector, type Selection } from './select.js';
import { policyIssue, policyRef, type LoadedPolicy, type PolicyIssue } from './schema.js';

/** The largest MTU each PF driver accepts (max frame 9728 minus headers; mlx5 9978). */
export const DRIVER_MAX_MTU: Record<string, number> = {
  ice: 9702,
  i40e: 9702,
  ixgbe: 9710,
  mlx5_core: 9978,
  bnxt_en: 9500,
};

/** Drivers without a devlink eswitch: no switchdev mode. */
const NO_ESWITCH = new Set(['ixgbe', 'i40e', 'igb']);
const HAS_ESWITCH = new Set(['ice', 'mlx5_core', 'bnxt_en']);
/** VF group fields that are set through the PF's netdev (rtnetlink) or the VF's netdev. */
const NETDEV_FIELDS = [
  'mtu',
  'mac',
  'vlan',
  'qos',
  'vlanProto',
  'minTxRate',
  'maxTxRate',
  'spoofchk',
  'trust',
  'linkState',
] as const;

/** Rules one policy must satisfy on its own, whatever the host. */
export function checkPolicy(policy: LoadedPolicy): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const err = (path: string, msg: string) => out.push(policyIssue('error', policy, path, msg));
  const warn = (path: string, msg: string) => out.push(policyIssue('warning', policy, path, msg));
  if (isEmptySelector(policy.selector)) {
    err(
      'spec.selector',
      'is empty — select PFs with at least one of vendor, deviceID, pfNames, rootDevices, pciAddresses or drivers (an empty selector matches nothing)',
    );
  }
  policy.vfGroups.forEach((g, i) => {
    const at = `spec.vfGroups[${i}]`;
    const vlan = g.vlan ?? 0;
    if (g.qos !== undefined && g.qos > 0 && vlan === 0) {
      err(
        `${at}.qos`,
        `${g.qos} needs a VLAN — the 802.1p priority travels in the VLAN tag; set vlan (1-4094) or remove qos`,
      );
    }
    if (g.vlanProto === '802.1ad' && vlan === 0) {
      err(`${at}.vlanProto`, '802.1ad needs a VLAN — set vlan (1-4094) or remove vlanProto');
    }
    if (
      g.minTxRate !== undefined &&
      g.maxTxRate !== undefined &&
      g.maxTxRate > 0 &&
      g.minTxRate > g.maxTxRate
    ) {
      err(
        `${at}.minTxRate`,
        `${g.minTxRate} is above maxTxRate ${g.maxTxRate} — the guaranteed rate cannot exceed the cap; lower minTxRate or raise maxTxRate (0 = no cap)`,
      );
    }
    if (Array.isArray(g.mac)) {
      g.mac.forEach((m, j) => {
        if (isMulticastMac(m)) {
          err(
            `${at}.mac[${j}]`,
            `${m} is a multicast address — a VF needs a unicast MAC (even first octet, e.g. 02:...)`,
          );
        } else if (/^(00:){5}00$/.test(m)) {
          err(`${at}.mac[${j}]`, `${m} is not an address — write mac: none to clear the admin MAC`);
        }
      });
    }
    if (g.mtu !== undefined && g.driver !== 'host') {
      warn(
        `${at}.mtu`,
        `is ignored for ${g.driver === 'none' ? 'VFs without a driver' : 'vfio-pci VFs'} — they have no host netdev; the guest or application sets its own MTU`,
      );
    }
  });
  return out;
}

/** A warning when a policy selects no PF of this host (it may be meant for another one). */
export function checkSelection(
  policy: LoadedPolicy,
  selections: Selection[],
  inv: Inventory,
): PolicyIssue[] {
  if (selections.length > 0 || isEmptySelector(policy.selector)) return [];
  const pfs = inv.pfs
    .slice(0, 8)
    .map(
      (p) => `${p.netdev ?? p.pciAddress} (${p.vendorId}:${p.deviceId} ${p.driver ?? 'no driver'})`,
    );
  const more = inv.pfs.length > 8 ? `, and ${inv.pfs.length - 8} more` : '';
  return [
    policyIssue(
      'warning',
      policy,
      'spec.selector',
      `selects no PF on host ${inv.host.hostname} — SR-IOV PFs here: ${pfs.length > 0 ? pfs.join(', ') + more : 'none'}; check the selector if this policy is meant for this host`,
    ),
  ];
}

/** Two policies with one name would make every message and every merge order ambiguous. */
export function checkNames(policies: LoadedPolicy[]): PolicyIssue[] {
  const seen = new Map<string, LoadedPolicy>();
  const out: PolicyIssue[] = [];
  for (const p of policies) {
    const first = seen.get(p.name);
    if (first) {
      out.push(
        policyIssue(
          'error',
          p,
          'metadata.name',
          `"${p.name}" is also the name of ${policyRef(first, 'metadata.name')} — policy names must be unique; rename one`,
        ),
      );
    } else {
      seen.set(p.name, p);
    }
  }
  return out;
}

/** How to raise a PF's VF limit, by driver. */
export function firmwareCapFix(pf: PfSnapshot, wanted: number): string {
  switch (pf.driver) {
    case 'mlx5_core':
      return `raise the firmware cap with mlxconfig -d ${pf.pciAddress} set SRIOV_EN=1 NUM_OF_VFS=${wanted} and reboot`;
    case 'ixgbe':
      return `63 is the ixgbe driver's cap and cannot be raised; use at most ${pf.totalVfs} VFs or a NIC with more (E810: 256 per port)`;
    case 'i40e':
      return `the cap comes from the NVM: raise the VF count in the BIOS/HII device settings (or with Intel's nvmupdate tools) and reboot, or use at most ${pf.totalVfs}`;
    case 'ice':
      return `the cap comes from the NVM (E810 supports up to 256 per port): raise it in the BIOS/HII device settings or with Intel's EPCT tool and reboot, or use at most ${pf.totalVfs}`;
    case 'bnxt_en':
      return `the cap comes from the NVM: raise it with Broadcom's niccli/bnxtnvm and reboot, or use at most ${pf.totalVfs}`;
    default:
      return `the cap comes from the device firmware (NVM) or the BIOS SR-IOV settings: raise it there and reboot, or use at most ${pf.totalVfs}`;
  }
}

/** Rules for the merged result of one PF against what the host has. */
export function checkMergedPf(m: MergedPf, inv: Inventory): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const pf = m.pf;
  const label = pfLabel(pf);
  const err = (p: LoadedPolicy, path: string, msg: string) =>
    out.push(policyIssue('error', p, path, msg, label));
  const warn = (p: LoadedPolicy, path: string, msg: string) =>
    out.push(policyIssue('warning', p, path, msg, label));

  if (m.numVfs) {
    const { value: n, policy } = m.numVfs;
    if (pf.driver === null && n !== pf.numVfs) {
      err(
        policy,
        'spec.numVfs',
        `${n} cannot be set on ${label}: no driver is bound to the PF — bind its network driver first`,
      );
    } else if (n > pf.totalVfs) {
      const fix =
        pf.totalVfs === 0
          ? `the PF offers no VFs (totalVfs 0): enable SR-IOV in the BIOS/firmware${pf.driver === 'mlx5_core' ? ` (mlxconfig -d ${pf.pciAddress} set SRIOV_EN=1 NUM_OF_VFS=${n}, then reboot)` : ''}`
          : firmwareCapFix(pf, n);
      err(policy, 'spec.numVfs', `${n} is above totalVfs ${pf.totalVfs} of ${label} — ${fix}`);
    } else if (pf.sriovConfigurable === false && n !== pf.numVfs) {
      err(
        policy,
        'spec.numVfs',
        `${n} cannot be set on ${label}: its driver ${pf.driver} has no sriov_configure (numVfs stays ${pf.numVfs}) — use the driver's max_vfs module parameter or a driver with SR-IOV support`,
      );
    }
  }
  if (m.eswitchMode) {
    const { value, policy } = m.eswitchMode;
    const driver = pf.driver ?? 'no driver';
    const noEswitch =
      NO_ESWITCH.has(driver) || (pf.eswitchMode === null && !HAS_ESWITCH.has(driver));
    if (noEswitch && value === 'switchdev') {
      err(
        policy,
        'spec.eswitchMode',
        `switchdev is not supported on ${label}: ${driver} has no devlink eswitch — remove eswitchMode, or use a switchdev-capable NIC (ice, mlx5_core)`,
      );
    } else if (noEswitch) {
      warn(
        policy,
        'spec.eswitchMode',
        `legacy is the only mode ${driver} has on ${label} (no devlink eswitch) — remove eswitchMode`,
      );
    }
  }
  if (m.adminState && m.adminState.value !== 'unchanged' && pf.netdev === null) {
    err(
      m.adminState.policy,
      'spec.adminState',
      `${m.adminState.value} cannot be set on ${label}: it has no netdev, so it has no administrative state — remove adminState`,
    );
  }
  const maxMtu = pf.driver === null ? undefined : DRIVER_MAX_MTU[pf.driver];
  if (m.mtu && maxMtu !== undefined && m.mtu.value > maxMtu) {
    err(
      m.mtu.policy,
      'spec.mtu',
      `${m.mtu.value} is above the largest MTU ${pf.driver} accepts on ${label} (${maxMtu}) — use at most ${maxMtu}`,
    );
  }
  const changes = [
    m.numVfs && m.numVfs.value !== pf.numVfs ? `numVfs ${pf.numVfs} → ${m.numVfs.value}` : null,
    m.mtu && m.mtu.value !== pf.mtu ? `mtu ${pf.mtu ?? '?'} → ${m.mtu.value}` : null,
    m.eswitchMode && m.eswitchMode.value !== (pf.eswitchMode ?? 'legacy')
      ? `eswitchMode → ${m.eswitchMode.value}`
      : null,
    m.adminState?.value === 'down' && pf.adminUp !== false ? 'adminState → down' : null,
  ].filter((c) => c !== null);
  if (pf.carriesDefaultRoute && changes.length > 0) {
    // Changing it can cut the host off the network; apply refuses unless explicitly overridden.
    warn(
      m.policies[0]!,
      'spec.selector',
      `selects ${label}, which carries the default route, and changes it (${changes.join(', ')}) — apply will refuse unless explicitly overridden; select the PF only if it is meant to be repurposed`,
    );
  }
  const pfMtu = m.mtu?.value ?? pf.mtu;
  const switchdev = (m.eswitchMode?.value ?? pf.eswitchMode) === 'switchdev';
  const unreadable = unreadableAfter(pf, m.numVfs?.value ?? pf.numVfs);
  for (const pl of m.placements)
    checkPlacement(pl, pf, inv, { maxMtu, pfMtu, switchdev, unreadable, err, warn });
  return out;
}

/**
 * The VFs whose settings the kernel will not report once the PF has `numVfs` VFs: those it leaves
 * out today when the count stays, else those past the netlink VF list's limit (netlink-vf-list.ts).
 */
function unreadableAfter(pf: PfSnapshot, numVfs: number): Set<number> {
  if (pf.netdev === null) return new Set();
  if (numVfs === pf.numVfs) return new Set(pf.unreadableVfs);
  const seen = parsedVfCount(numVfs);
  return new Set(Array.from({ length: numVfs - seen }, (_, i) => seen + i));
}

interface PlacementCtx {
  maxMtu: number | undefined;
  pfMtu: number | null;
  switchdev: boolean;
  /** VFs whose current settings cannot be read (see unreadableAfter). */
  unreadable: ReadonlySet<number>;
  err: (p: LoadedPolicy, path: string, msg: string) => void;
  warn: (p: LoadedPolicy, path: string, msg: string) => void;
}

function checkPlacement(pl: GroupPlacement, pf: PfSnapshot, inv: Inventory, c: PlacementCtx): void {
  const { group: g, policy } = pl;
  const at = `spec.vfGroups[${pl.groupIndex}]`;
  const label = pfLabel(pf);
  const driver = pf.driver ?? '';
  if (pf.netdev === null) {
    for (const f of NETDEV_FIELDS) {
      if (g[f] === undefined) continue;
      c.err(
        policy,
        `${at}.${f}`,
        `cannot be set on VFs of ${label}: the PF has no network interface (${driver || 'no driver'}), and VF settings go through it — remove ${f}; only numVfs and driver apply to this PF`,
      );
    }
  }
  if (pf.bus === 'netdevsim' && g.driver !== undefined && g.driver !== 'host') {
    c.err(
      policy,
      `${at}.driver`,
      `${g.driver} cannot be set on VFs of ${label}: netdevsim VFs have no PCI function to bind — remove driver (netdevsim VFs take netlink settings only)`,
    );
  } else if (pf.bus === 'netdevsim' && g.mtu !== undefined) {
    c.err(
      policy,
      `${at}.mtu`,
      `cannot be set on VFs of ${label}: netdevsim VFs have no host netdev — remove mtu`,
    );
  } else if (g.driver === 'vfio-pci') {
    if (inv.host.iommu.groupCount === 0) {
      const amd = /amd/i.test(inv.host.cpuVendor);
      c.err(
        policy,
        `${at}.driver`,
        `vfio-pci needs the IOMMU, which is off on this host (no IOMMU groups) — ${amd ? 'enable AMD-Vi/IOMMU in the BIOS and add amd_iommu=on iommu=pt' : 'enable VT-d in the BIOS and add intel_iommu=on iommu=pt'} to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)`,
      );
    } else if (!inv.host.vfioPci.available) {
      c.err(
        policy,
        `${at}.driver`,
        "vfio-pci is not available on this kernel — install the kernel's extra modules (Debian/Ubuntu: linux-modules-extra-$(uname -r)) or use a kernel built with CONFIG_VFIO_PCI",
      );
    }
  }
  if (Array.isArray(g.mac) && g.mac.length !== pl.indexes.length) {
    c.err(
      policy,
      `${at}.mac`,
      `has ${g.mac.length} MAC${g.mac.length === 1 ? '' : 's'} for the ${pl.indexes.length} VF${pl.indexes.length === 1 ? '' : 's'} ${formatRange(pl.indexes)} of ${label} — give one MAC per VF, in range order, or use mac: auto`,
    );
  }
  if (g.vlanProto === '802.1ad' && (g.vlan ?? 0) > 0) {
    const support = vlanProtoSupport(pf.driver, '802.1ad');
    if (support === 'no') {
      c.warn(
        policy,
        `${at}.vlanProto`,
        `802.1ad on ${label}: ${driver} refuses 802.1ad VF VLANs (EPROTONOSUPPORT) — use 802.1Q, or a NIC that does QinQ on VFs (ice in double VLAN mode)`,
      );
    } else if (support === 'depends') {
      c.warn(
        policy,
        `${at}.vlanProto`,
        `802.1ad on ${label}: ice accepts it only in double VLAN mode (DVM), otherwise the kernel refuses it (EPROTONOSUPPORT) — check the DDP package/NVM enable DVM, or use 802.1Q`,
      );
    }
  }
  const blind = pl.indexes.filter((i) => c.unreadable.has(i));
  if (g.minTxRate !== undefined && g.maxTxRate === undefined && blind.length) {
    // The kernel sets a minimum only with a maximum (IFLA_VF_RATE), so the current maximum must be
    // read to keep it, and the kernel does not report it for these VFs: apply would fail there.
    c.err(
      policy,
      `${at}.minTxRate`,
      `cannot be set alone on ${vfsText(blind)} of ${label}: the kernel sets minTxRate only together with maxTxRate, and it does not report ${blind.length === 1 ? "this VF's" : "these VFs'"} current maxTxRate (${blind.length === 1 ? 'it is' : 'they are'} past its netlink VF list) — give maxTxRate too (0 = no limit)`,
    );
  }
  if (!minRateSupported(pf.driver) && (g.minTxRate ?? 0) > 0) {
    c.warn(
      policy,
      `${at}.minTxRate`,
      `${g.minTxRate} is not supported by ${driver} on ${label} (the kernel refuses min_tx_rate with EINVAL) — remove minTxRate; only maxTxRate works on this NIC`,
    );
  }
  if (g.maxTxRate !== undefined && pf.speedMbps !== null && g.maxTxRate > pf.speedMbps) {
    c.warn(
      policy,
      `${at}.maxTxRate`,
      `${g.maxTxRate} is above the link speed of ${label} (${pf.speedMbps} Mbit/s) — drivers refuse a rate above the link speed (EINVAL); use at most ${pf.speedMbps}`,
    );
  }
  if (c.switchdev && driver === 'mlx5_core') {
    for (const f of ['vlan', 'spoofchk', 'trust'] as const) {
      if (g[f] === undefined) continue;
      c.err(
        policy,
        `${at}.${f}`,
        `cannot be set through the PF on ${label} in switchdev mode (mlx5 answers EOPNOTSUPP) — configure it on the VF representor (OVS/tc) instead, or use eswitchMode legacy`,
      );
    }
  }
  if (g.mtu !== undefined && g.driver === 'host') {
    if (c.maxMtu !== undefined && g.mtu > c.maxMtu) {
      c.err(
        policy,
        `${at}.mtu`,
        `${g.mtu} is above the largest MTU ${driver} VFs accept on ${label} (${c.maxMtu}) — use at most ${c.maxMtu}`,
      );
    } else if (c.pfMtu !== null && g.mtu > c.pfMtu) {
      c.warn(
        policy,
        `${at}.mtu`,
        `${g.mtu} is above the PF MTU of ${label} (${c.pfMtu}) — frames larger than the PF MTU are dropped on the uplink on most NICs; raise spec.mtu to at least ${g.mtu}`,
      );
    }
  }
}

/** One resolved MAC and where it came from, for the duplicate check. */
export interface MacUse {
  mac: MacAddress;
  policy: LoadedPolicy;
  path: string;
  pf: PfSnapshot;
  vfIndex: number;
}

/** Every VF MAC must be unique across all policies and differ from every PF's MAC. */
export function checkDuplicateMacs(uses: MacUse[], inv: Inventory): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const pfMacs = new Map(inv.pfs.filter((p) => p.mac !== null).map((p) => [p.mac!, p]));
  const seen = new Map<string, MacUse>();
  for (const u of uses) {
    const label = pfLabel(u.pf);
    const pf = pfMacs.get(u.mac);
    const first = seen.get(u.mac);
    if (pf) {
      out.push(
        policyIssue(
          'error',
          u.policy,
          u.path,
          `${u.mac} (VF ${u.vfIndex} of ${label}) is the MAC of PF ${pfLabel(pf)} — every VF needs its own MAC`,
          label,
        ),
      );
    } else if (first) {
      out.push(
        policyIssue(
          'error',
          u.policy,
          u.path,
          `${u.mac} (VF ${u.vfIndex} of ${label}) is also the MAC of VF ${first.vfIndex} of ${pfLabel(first.pf)} from ${policyRef(first.policy, first.path)} — every VF needs its own MAC`,
          label,
        ),
      );
    } else {
      seen.set(u.mac, u);
    }
  }
  return out;
}
