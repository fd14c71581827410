/**
 * Builds a realistic sysfs (plus /proc, /etc, /run) tree in a temporary directory: PCI device
 * directories under /sys/devices with /sys/bus/pci/devices links, the formats Linux 6.1 prints
 * (linux-sriov-abi.md §1.2), virtfnN/physfn links, driver and iommu_group links, and netdevs.
 */
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';

export interface TreeVf {
  driver?: string | null;
  netdev?: string | null;
  iommuGroup?: number | null;
}

export interface TreePf {
  pci: string;
  vendor: string;
  device: string;
  subsystemVendor?: string;
  subsystemDevice?: string;
  classCode?: string;
  driver: string | null;
  totalVfs: number;
  numVfs: number;
  offset: number;
  stride: number;
  vfDevice: string;
  numaNode?: number;
  iommuGroup?: number | null;
  netdev?: { name: string; mac: string; mtu?: number; operstate?: string; speed?: string } | null;
  /** Per-VF settings; by default every VF gets `vfDriver`, a netdev `<pf>v<i>` and its own group. */
  vfDriver?: string | null;
  vfNetdevs?: boolean;
  vfs?: Record<number, TreeVf>;
}

const hex4 = (s: string) => `0x${s.padStart(4, '0')}\n`;

/** The address offset/stride give VF `i` (RID arithmetic, independent of the code under test). */
export function vfAddress(pf: string, offset: number, stride: number, i: number): string {
  const [domain, bus, devfn] = pf.split(':') as [string, string, string];
  const [dev, fn] = devfn.split('.') as [string, string];
  const rid =
    (parseInt(bus, 16) << 8) + (parseInt(dev, 16) << 3) + parseInt(fn, 16) + offset + stride * i;
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${domain}:${h(rid >> 8, 2)}:${h((rid >> 3) & 0x1f, 2)}.${rid & 7}`;
}

export class SysfsTree {
  readonly root: string;
  private nextGroup = 100;

  constructor(root?: string) {
    this.root = root ?? fs.mkdtempSync(nodePath.join(os.tmpdir(), 'sriovctl-inv-'));
  }

  /** Removes the whole tree. */
  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  real(path: string): string {
    return nodePath.join(this.root, path);
  }

  write(path: string, content: string): this {
    fs.mkdirSync(nodePath.dirname(this.real(path)), { recursive: true });
    fs.writeFileSync(this.real(path), content);
    return this;
  }

  mkdir(path: string): this {
    fs.mkdirSync(this.real(path), { recursive: true });
    return this;
  }

  link(path: string, target: string): this {
    fs.mkdirSync(nodePath.dirname(this.real(path)), { recursive: true });
    fs.rmSync(this.real(path), { force: true });
    fs.symlinkSync(target, this.real(path));
    return this;
  }

  unlink(path: string): this {
    fs.rmSync(this.real(path), { recursive: true, force: true });
    return this;
  }

  /** The real directory of a PCI device (what /sys/bus/pci/devices/<bdf> links to). */
  deviceDir(pci: string): string {
    return `/sys/devices/pci0000:00/${pci}`;
  }

  driver(name: string): this {
    return this.mkdir(`/sys/bus/pci/drivers/${name}`);
  }

  iommuGroup(n: number, type = 'DMA-FQ'): this {
    return this.write(`/sys/kernel/iommu_groups/${n}/type`, `${type}\n`).mkdir(
      `/sys/kernel/iommu_groups/${n}/devices`,
    );
  }

  /** A plain PCI function with the attributes every device has. */
  pciDevice(
    pci: string,
    a: {
      vendor: string;
      device: string;
      driver: string | null;
      numaNode: number;
      iommuGroup: number | null;
      classCode?: string;
    },
  ): this {
    const d = this.deviceDir(pci);
    this.write(`${d}/vendor`, hex4(a.vendor))
      .write(`${d}/device`, hex4(a.device))
      .write(`${d}/class`, `0x${a.classCode ?? '020000'}\n`)
      .write(`${d}/numa_node`, `${a.numaNode}\n`)
      .write(`${d}/driver_override`, '(null)\n')
      .link(`/sys/bus/pci/devices/${pci}`, `../../../devices/pci0000:00/${pci}`);
    if (a.driver !== null)
      this.driver(a.driver).link(`${d}/driver`, `../../../bus/pci/drivers/${a.driver}`);
    if (a.iommuGroup !== null) {
      this.iommuGroup(a.iommuGroup).link(
        `${d}/iommu_group`,
        `../../../kernel/iommu_groups/${a.iommuGroup}`,
      );
    }
    return this;
  }

  /** A netdev under a PCI device plus its /sys/class/net link. */
  netdev(
    pci: string,
    name: string,
    a: { mac: string; mtu?: number; operstate?: string; speed?: string },
  ): this {
    const n = `${this.deviceDir(pci)}/net/${name}`;
    return this.write(`${n}/address`, `${a.mac}\n`)
      .write(`${n}/mtu`, `${a.mtu ?? 1500}\n`)
      .write(`${n}/operstate`, `${a.operstate ?? 'up'}\n`)
      .write(`${n}/speed`, a.speed ?? '25000\n')
      .link(`/sys/class/net/${name}`, `../../devices/pci0000:00/${pci}/net/${name}`);
  }

  /** A PF with its sriov_* files and `numVfs` VFs (directories, virtfn/physfn links, drivers, netdevs). */
  pf(spec: TreePf): this {
    const d = this.deviceDir(spec.pci);
    const group = spec.iommuGroup === undefined ? this.nextGroup++ : spec.iommuGroup;
    this.pciDevice(spec.pci, {
      vendor: spec.vendor,
      device: spec.device,
      driver: spec.driver,
      numaNode: spec.numaNode ?? 0,
      iommuGroup: group,
      ...(spec.classCode ? { classCode: spec.classCode } : {}),
    });
    this.write(`${d}/subsystem_vendor`, hex4(spec.subsystemVendor ?? spec.vendor))
      .write(`${d}/subsystem_device`, hex4(spec.subsystemDevice ?? '0000'))
      .write(`${d}/sriov_totalvfs`, `${spec.totalVfs}\n`)
      .write(`${d}/sriov_numvfs`, `${spec.numVfs}\n`)
      .write(`${d}/sriov_offset`, `${spec.offset}\n`)
      .write(`${d}/sriov_stride`, `${spec.stride}\n`)
      .write(`${d}/sriov_vf_device`, `${spec.vfDevice}\n`)
      .write(`${d}/sriov_drivers_autoprobe`, '1\n');
    if (spec.netdev) this.netdev(spec.pci, spec.netdev.name, spec.netdev);
    for (let i = 0; i < spec.numVfs; i++) {
      const vf = vfAddress(spec.pci, spec.offset, spec.stride, i);
      const over = spec.vfs?.[i] ?? {};
      const vfGroup =
        over.iommuGroup === undefined
          ? group === null
            ? null
            : this.nextGroup++
          : over.iommuGroup;
      this.pciDevice(vf, {
        vendor: spec.vendor,
        device: spec.vfDevice,
        driver: over.driver === undefined ? (spec.vfDriver ?? null) : over.driver,
        numaNode: spec.numaNode ?? 0,
        iommuGroup: vfGroup,
      });
      this.link(`${d}/virtfn${i}`, `../${vf}`).link(
        `${this.deviceDir(vf)}/physfn`,
        `../${spec.pci}`,
      );
      const vfNetdev =
        over.netdev !== undefined
          ? over.netdev
          : spec.vfNetdevs && spec.netdev
            ? `${spec.netdev.name}v${i}`
            : null;
      if (vfNetdev)
        this.netdev(vf, vfNetdev, {
          mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
        });
    }
    return this;
  }

  /** /proc and /sys facts of a typical Intel host with VT-d on. */
  intelHost(opts: { ecap?: string; release?: string } = {}): this {
    const release = opts.release ?? '6.1.0-18-amd64';
    return this.write('/proc/sys/kernel/hostname', 'node1\n')
      .write('/proc/sys/kernel/osrelease', `${release}\n`)
      .write(
        '/proc/cmdline',
        `BOOT_IMAGE=/vmlinuz-${release} root=/dev/sda1 intel_iommu=on iommu=pt\n`,
      )
      .write(
        '/proc/cpuinfo',
        'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse vmx smx est\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n',
      )
      .write('/sys/firmware/acpi/tables/DMAR', 'binary')
      .write('/sys/class/iommu/dmar0/intel-iommu/ecap', `${opts.ecap ?? 'f050da'}\n`)
      .write('/sys/class/iommu/dmar1/intel-iommu/ecap', `${opts.ecap ?? 'f050da'}\n`)
      .mkdir('/sys/kernel/iommu_groups');
  }
}
