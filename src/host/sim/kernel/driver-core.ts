/**
 * The driver core of the simulated kernel (drivers/base/dd.c, drivers/pci/pci-driver.c): drivers
 * registered by modprobe, matching (driver_override, new_id, the ID table), probe, bind and unbind
 * through sysfs, and drivers_probe (linux-sriov-abi.md §2).
 */
import type { ErrnoName } from '../../errors.js';
import { DRIVERS, type DriverDef } from '../drivers.js';
import type { Iommu } from './iommu.js';
import type { NetCore } from './netdev.js';
import { fail, PCI_DRIVERS, relativeLink, type KernelBase, type SimPciDevice } from './objects.js';

/** What the driver core calls in PCI/IOV, which itself calls the driver core. */
export interface IovLink {
  /** Removes a PF's VF devices (a PF driver's remove() disables SR-IOV). */
  removeVfDevices(pf: SimPciDevice): void;
}

/** Driver registration, matching, probe, bind and unbind. */
export class DriverCore {
  /** new_id dynamic IDs per driver. */
  readonly dynIds = new Map<string, { vendor: number; device: number }[]>();

  constructor(
    private readonly k: KernelBase,
    private readonly net: NetCore,
    private readonly iommu: Iommu,
    private readonly iov: IovLink,
  ) {}

  /** Registers a driver (as modprobe would) and creates its /sys/bus/pci/drivers directory. */
  registerDriver(name: string): void {
    const def = DRIVERS[name];
    if (!def) throw new Error(`sim: no driver model named ${name}`);
    if (this.k.drivers.has(name)) return;
    this.k.drivers.set(name, def);
    const dir = `${PCI_DRIVERS}/${name}`;
    this.k.vfs.mkdirp(dir);
    this.k.vfs.file(`${dir}/bind`, { write: (v) => this.bindFile(def, v) });
    this.k.vfs.file(`${dir}/unbind`, { write: (v) => this.unbindFile(def, v) });
    this.k.vfs.file(`${dir}/new_id`, { write: (v) => this.newId(def, v) });
    this.k.vfs.file(`${dir}/remove_id`, { write: (v) => this.removeId(def, v) });
    this.k.vfs.file(`${dir}/uevent`, { read: () => '', write: () => undefined });
    this.k.vfs.link(`${dir}/module`, relativeLink(dir, `/sys/module/${def.module}`));
    this.k.vfs.mkdirp(`/sys/module/${def.module}/drivers`);
    if (def.version) this.k.vfs.constant(`/sys/module/${def.module}/version`, `${def.version}\n`);
    if (name === 'vfio-pci') this.iommu.vfioLoaded();
  }

  /** pci_match_device(): driver_override first, then dynamic IDs, then the static table. */
  private matches(def: DriverDef, dev: SimPciDevice): boolean {
    if (dev.driverOverride !== null) return dev.driverOverride === def.name;
    const same = (id: { vendor: number; device: number }) =>
      id.vendor === dev.vendorId && id.device === dev.deviceId;
    if ((this.dynIds.get(def.name) ?? []).some(same)) return true;
    // Override-only tables (vfio-pci) match nothing without driver_override.
    if (def.overrideOnly) return false;
    if (def.ids.some(same)) return true;
    return def.classMatch !== undefined && def.classMatch === dev.classCode;
  }

  /** pci_device_can_probe(): VFs of a PF with autoprobe off stay unbound unless overridden. */
  canAutoprobe(dev: SimPciDevice): boolean {
    return !dev.pf || (dev.pf.sriov?.autoprobe ?? true) || dev.driverOverride !== null;
  }

  /** really_probe(): the driver's probe; an errno when it refuses. */
  probe(def: DriverDef, dev: SimPciDevice): ErrnoName | null {
    if (def.refusesPfWithVfs && dev.sriov && dev.sriov.numVfs > 0) return 'EBUSY';
    if (def.needsIommuGroup && dev.iommuGroup === null) return 'EINVAL';
    this.attach(def, dev);
    return null;
  }

  /** driver_bound(): the links, then what the driver sets up (netdev, /dev/vfio node). */
  private attach(def: DriverDef, dev: SimPciDevice): void {
    dev.driver = def.name;
    const drvDir = `${PCI_DRIVERS}/${def.name}`;
    this.k.vfs.link(`${dev.sysDir}/driver`, relativeLink(dev.sysDir, drvDir));
    this.k.vfs.link(`${drvDir}/${dev.address}`, relativeLink(drvDir, dev.sysDir));
    if (dev.sriov && def.driverMaxVfs !== undefined) {
      dev.sriov.driverMaxVfs = Math.min(def.driverMaxVfs, dev.sriov.capTotalVfs);
    }
    if (def.name === 'vfio-pci') this.iommu.vfioBound(dev);
    if (def.netdev && dev.model.netdev) this.net.registerDeviceNetdev(dev);
    const failsAfter = dev.pf?.model.vfProbeFailsAfterMs;
    if (failsAfter !== undefined && def.name === dev.pf?.model.vfDriver)
      this.failProbeLater(dev, def, failsAfter);
  }

  /** The driver's asynchronous init fails and it releases the device (device_release_driver). */
  private failProbeLater(dev: SimPciDevice, def: DriverDef, ms: number): void {
    this.k.schedule(ms, `${def.name} releases ${dev.address}`, () => {
      if (dev.driver === def.name && this.k.devices.get(dev.address) === dev) this.detach(dev);
    });
  }

  /** device_release_driver(): the driver's remove, then the links go. */
  detach(dev: SimPciDevice): void {
    const name = dev.driver;
    if (!name) return;
    const def = this.k.drivers.get(name);
    // A PF driver's remove() disables SR-IOV first (pci_disable_sriov in ixgbe/i40e/ice/mlx5 remove).
    if (dev.sriov && dev.sriov.numVfs > 0 && def?.sriovConfigure) {
      this.iov.removeVfDevices(dev);
      dev.sriov.numVfs = 0;
    }
    if (dev.netdev) this.net.unregisterNetdev(dev.netdev);
    dev.driver = null;
    this.k.vfs.remove(`${dev.sysDir}/driver`);
    this.k.vfs.remove(`${PCI_DRIVERS}/${name}/${dev.address}`);
    if (dev.sriov) dev.sriov.driverMaxVfs = null;
    if (name === 'vfio-pci') this.iommu.vfioReleased(dev);
  }

  /** device_attach(): try every registered driver in registration order. */
  deviceAttach(dev: SimPciDevice): void {
    if (dev.driver !== null) return;
    for (const def of this.k.drivers.values()) {
      if (this.matches(def, dev) && this.probe(def, dev) === null) return;
    }
  }

  private lookupDevice(value: string, target: string): SimPciDevice {
    const addr = (value.endsWith('\n') ? value.slice(0, -1) : value).trim();
    const dev = this.k.devices.get(addr);
    if (!dev) fail('ENODEV', target);
    return dev;
  }

  private bindFile(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/bind`;
    const dev = this.lookupDevice(value, target);
    if (!this.matches(def, dev)) fail('ENODEV', target);
    if (dev.driver !== null) fail('EBUSY', target);
    const errno = this.probe(def, dev);
    if (errno) fail(errno, target);
  }

  private unbindFile(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/unbind`;
    const dev = this.lookupDevice(value, target);
    if (dev.driver !== def.name) fail('ENODEV', target);
    this.detach(dev);
  }

  driversProbe(value: string): void {
    const dev = this.lookupDevice(value, '/sys/bus/pci/drivers_probe');
    // Succeeds even when nothing binds; callers must check the driver link.
    if (dev.driver === null) this.deviceAttach(dev);
  }

  private newId(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/new_id`;
    const fields = value.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2 || !fields.every((f) => /^(0x)?[0-9a-fA-F]+$/.test(f)))
      fail('EINVAL', target);
    const vendor = parseInt(fields[0]!, 16);
    const device = parseInt(fields[1]!, 16);
    if (fields.length < 7 && def.ids.some((id) => id.vendor === vendor && id.device === device)) {
      fail('EEXIST', target);
    }
    const dyn = this.dynIds.get(def.name) ?? [];
    if (dyn.some((id) => id.vendor === vendor && id.device === device)) fail('EEXIST', target);
    dyn.push({ vendor, device });
    this.dynIds.set(def.name, dyn);
    // driver_attach(): every unbound device the driver now matches is probed.
    for (const dev of this.k.devices.values()) {
      if (dev.driver === null && this.canAutoprobe(dev) && this.matches(def, dev))
        this.probe(def, dev);
    }
  }

  private removeId(def: DriverDef, value: string): void {
    const target = `${PCI_DRIVERS}/${def.name}/remove_id`;
    const fields = value.trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) fail('EINVAL', target);
    const vendor = parseInt(fields[0]!, 16);
    const device = parseInt(fields[1]!, 16);
    const dyn = this.dynIds.get(def.name) ?? [];
    const i = dyn.findIndex((id) => id.vendor === vendor && id.device === device);
    if (i < 0) fail('ENODEV', target);
    dyn.splice(i, 1);
  }
}
