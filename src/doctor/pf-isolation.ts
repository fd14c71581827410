/**
 * VF IOMMU isolation: a VF can be given to one VM only if its IOMMU group holds nothing else.
 * Devices below a PCIe bridge without ACS share a group and can only be assigned together.
 */
import type { Inventory, PfSnapshot } from '../inventory/types.js';
import { formatRanges, result } from './result.js';
import type { CheckResult } from './types.js';

/** Every device discovery saw, by IOMMU group: PFs and VFs of all PFs. */
export function groupMembers(inv: Inventory): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  const add = (group: number | null, label: string) => {
    if (group === null) return;
    const list = groups.get(group) ?? [];
    list.push(label);
    groups.set(group, list);
  };
  for (const pf of inv.pfs) {
    add(pf.iommuGroup, `${pf.pciAddress} (PF ${pf.netdev ?? pf.pciAddress})`);
    for (const vf of pf.vfs)
      add(vf.iommuGroup, `${vf.pciAddress} (VF ${vf.vfIndex} of ${pf.netdev ?? pf.pciAddress})`);
  }
  return groups;
}

/** `pf.vf-iommu-groups`: each VF alone in its IOMMU group. */
export function checkVfIsolation(pf: PfSnapshot, inv: Inventory): CheckResult {
  const base = { id: 'pf.vf-iommu-groups', scope: pf.pciAddress };
  if (pf.vfs.length === 0) {
    return result({
      ...base,
      title: 'No VFs enabled: IOMMU group isolation is checked once VFs exist',
      status: 'pass',
      evidence: [`/sys/bus/pci/devices/${pf.pciAddress}/sriov_numvfs: ${pf.numVfs}`],
    });
  }
  if (inv.host.iommu.groupCount === 0) {
    return result({
      ...base,
      title: 'VF isolation not evaluated: the IOMMU is off (see iommu.enabled)',
      status: 'info',
      evidence: ['/sys/kernel/iommu_groups: 0 groups'],
    });
  }
  const ungrouped = pf.vfs.filter((vf) => vf.iommuGroup === null).map((vf) => vf.vfIndex);
  if (ungrouped.length > 0) {
    return result({
      ...base,
      title: `VFs ${formatRanges(ungrouped)} have no IOMMU group although the IOMMU is on: vfio-pci refuses them`,
      status: 'fail',
      evidence: [
        `/sys/bus/pci/devices/<vf>/iommu_group: absent for VFs ${formatRanges(ungrouped)}`,
        `/sys/kernel/iommu_groups: ${inv.host.iommu.groupCount} groups`,
      ],
      fix:
        `Re-create the VFs (\`echo 0 > /sys/bus/pci/devices/${pf.pciAddress}/sriov_numvfs\`, then write the count again) ` +
        'and check `dmesg | grep -i -e DMAR -e AMD-Vi -e iommu` for errors about their addresses.',
    });
  }
  const members = groupMembers(inv);
  const shared = new Map<number, string[]>();
  for (const vf of pf.vfs) {
    const list = members.get(vf.iommuGroup!) ?? [];
    if (list.length > 1) shared.set(vf.iommuGroup!, list);
  }
  if (shared.size === 0) {
    return result({
      ...base,
      title: `Each of the ${pf.vfs.length} VFs has its own IOMMU group`,
      status: 'pass',
      evidence: [`/sys/bus/pci/devices/<vf>/iommu_group: ${pf.vfs.length} distinct groups`],
    });
  }
  return result({
    ...base,
    title: `VFs share IOMMU groups (${shared.size} shared): they can only be assigned together`,
    status: 'warn',
    evidence: [...shared].map(
      ([g, list]) => `/sys/kernel/iommu_groups/${g}/devices: ${list.join(', ')}`,
    ),
    fix:
      'Assign each shared group as a whole to one consumer, or move the card to a slot whose upstream PCIe ' +
      'bridges support ACS (`lspci -vvv` shows ACSCtl) and enable ACS in the BIOS/UEFI setup if it is offered.',
  });
}
