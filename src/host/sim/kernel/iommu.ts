/**
 * IOMMU groups and VFIO in the simulated kernel (drivers/iommu/iommu.c, drivers/vfio): the group a
 * device joins when it is added, /sys/kernel/iommu_groups, and the /dev/vfio nodes vfio-pci creates
 * for the groups it holds (linux-sriov-abi.md §3).
 */
import { relativeLink, type KernelBase, type SimPciDevice } from './objects.js';

/** IOMMU groups and vfio-pci's device nodes. */
export class Iommu {
  /** IOMMU group number → devices in it. */
  private readonly groupUsers = new Map<number, number>();
  private lowestFreeGroup = 0;

  constructor(private readonly k: KernelBase) {}

  assignIommuGroup(dev: SimPciDevice): void {
    let group: number;
    if (dev.sharedGroup && dev.pf?.iommuGroup != null) {
      group = dev.pf.iommuGroup;
    } else {
      // The kernel's IDA hands out the lowest free group number.
      group = this.lowestFreeGroup;
      while (this.groupUsers.has(group)) group++;
    }
    dev.iommuGroup = group;
    this.groupUsers.set(group, (this.groupUsers.get(group) ?? 0) + 1);
    if (group === this.lowestFreeGroup) this.lowestFreeGroup = group + 1;
    const gdir = `/sys/kernel/iommu_groups/${group}`;
    this.k.vfs.mkdirp(`${gdir}/devices`);
    this.k.vfs.file(`${gdir}/type`, { read: () => `${this.k.config.iommuDefaultDomain}\n` });
    this.k.vfs.constant(`${gdir}/reserved_regions`, '0x00000000fee00000 0x00000000feefffff msi\n');
    this.k.vfs.link(`${gdir}/devices/${dev.address}`, relativeLink(`${gdir}/devices`, dev.sysDir));
    this.k.vfs.link(`${dev.sysDir}/iommu_group`, relativeLink(dev.sysDir, gdir));
    const unit =
      this.k.config.iommuUnits[
        dev.numaNode > 0 ? dev.numaNode % this.k.config.iommuUnits.length : 0
      ];
    if (unit)
      this.k.vfs.link(
        `${dev.sysDir}/iommu`,
        relativeLink(dev.sysDir, `/sys/devices/virtual/iommu/${unit}`),
      );
  }

  removeIommuGroup(dev: SimPciDevice): void {
    if (dev.iommuGroup === null) return;
    const gdir = `/sys/kernel/iommu_groups/${dev.iommuGroup}`;
    this.k.vfs.remove(`${gdir}/devices/${dev.address}`);
    const users = (this.groupUsers.get(dev.iommuGroup) ?? 1) - 1;
    if (users > 0) this.groupUsers.set(dev.iommuGroup, users);
    else {
      this.groupUsers.delete(dev.iommuGroup);
      this.k.vfs.remove(gdir);
      this.lowestFreeGroup = Math.min(this.lowestFreeGroup, dev.iommuGroup);
    }
    dev.iommuGroup = null;
  }

  /** Marks a VF as held by a VM through vfio (pci_vfs_assigned). */
  setAssigned(vf: SimPciDevice, assigned: boolean): void {
    vf.assigned = assigned;
  }

  /** vfio-pci loaded: its enable_sriov parameter and /dev/vfio/vfio. */
  vfioLoaded(): void {
    this.k.vfs.file('/sys/module/vfio_pci/parameters/enable_sriov', {
      read: () => (this.k.config.vfioEnableSriov ? 'Y\n' : 'N\n'),
    });
    this.k.vfs.mkdirp('/dev/vfio');
    this.k.vfs.constant('/dev/vfio/vfio', '');
  }

  /** vfio-pci bound `dev`: its group's /dev/vfio node exists. */
  vfioBound(dev: SimPciDevice): void {
    if (dev.iommuGroup !== null) {
      this.k.vfs.constant(`/dev/vfio/${dev.iommuGroup}`, '');
    }
  }

  /** vfio-pci let `dev` go: the group's node goes when no other device of the group is held. */
  vfioReleased(dev: SimPciDevice): void {
    if (dev.iommuGroup !== null) {
      const stillHeld = [...this.k.devices.values()].some(
        (d) => d !== dev && d.iommuGroup === dev.iommuGroup && d.driver === 'vfio-pci',
      );
      if (!stillHeld) this.k.vfs.remove(`/dev/vfio/${dev.iommuGroup}`);
    }
  }
}
