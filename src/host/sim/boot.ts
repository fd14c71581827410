/**
 * Boots a simulated kernel from a fixture: registers drivers, adds root ports and devices, builds
 * procfs, IOMMU units, routes and the files other network managers leave behind.
 */
import type { DefaultRoute } from '../host.js';
import { ifName, pciParts, formatPci, type MacAddress, type PciAddress } from '../names.js';
import { DRIVERS } from './drivers.js';
import type { Fixture, FixtureDevice } from './fixture-schema.js';
import { relativeLink, SimKernel, type SimPciDevice, type SimSriov } from './kernel.js';
import { DEVICE_MODELS, type DeviceModel } from './models.js';
import { NetdevsimBus } from './netdevsim.js';
import { Timing } from './timing.js';

export interface BootOptions {
  timing: Timing;
  clock: () => number;
}

export interface BootedHost {
  kernel: SimKernel;
  routes: DefaultRoute[];
}

const ROOT_PORT_MODEL: DeviceModel = {
  id: 'pcie-root-port',
  vendorId: 0x8086,
  deviceId: 0x347a,
  subsystemVendorId: 0x8086,
  subsystemDeviceId: 0x0000,
  classCode: 0x060400,
  revision: 4,
  driver: 'pcieport',
  vfDriver: null,
  sriov: null,
  speedMbps: 0,
  functions: 1,
  netdev: false,
  defaultFirmware: '',
};

/** The systemd predictable name for a PCI function: enp<bus>s<slot>f<fn>. */
export function pathName(addr: PciAddress, multifunction: boolean): string {
  const p = pciParts(addr);
  return `enp${p.bus}s${p.dev}${multifunction ? `f${p.fn}` : ''}`;
}

/** A stable MAC for a PF from its address, in the vendor's OUI. */
function boardMac(model: DeviceModel, addr: PciAddress): MacAddress {
  const oui =
    model.vendorId === 0x15b3
      ? [0x0c, 0x42, 0xa1]
      : model.vendorId === 0x14e4
        ? [0x00, 0x0a, 0xf7]
        : [0xb4, 0x96, 0x91];
  const p = pciParts(addr);
  return [...oui, p.bus, p.dev, p.fn]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':') as MacAddress;
}

function cpuinfo(fx: Fixture): string {
  const flags = [
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush',
    fx.cpu.virtualization ? (fx.cpu.vendor === 'GenuineIntel' ? 'vmx' : 'svm') : '',
    'sse sse2 ht syscall nx lm constant_tsc rep_good nopl xtopology cpuid pni ssse3 sse4_1 sse4_2 x2apic popcnt aes avx avx2',
  ]
    .filter(Boolean)
    .join(' ');
  const out: string[] = [];
  let n = 0;
  for (let s = 0; s < fx.cpu.sockets; s++) {
    for (let c = 0; c < fx.cpu.coresPerSocket; c++) {
      out.push(
        [
          `processor\t: ${n++}`,
          `vendor_id\t: ${fx.cpu.vendor}`,
          `model name\t: ${fx.cpu.model}`,
          `physical id\t: ${s}`,
          `core id\t\t: ${c}`,
          `flags\t\t: ${flags}`,
          '',
        ].join('\n'),
      );
    }
  }
  return out.join('\n') + '\n';
}

function iommuFiles(k: SimKernel, fx: Fixture, units: string[]): void {
  const v = k.vfs;
  if (fx.iommu.hardware === 'intel') v.constant('/sys/firmware/acpi/tables/DMAR', 'DMAR');
  if (fx.iommu.hardware === 'amd') v.constant('/sys/firmware/acpi/tables/IVRS', 'IVRS');
  for (const unit of units) {
    const dir = `/sys/devices/virtual/iommu/${unit}`;
    v.link(`/sys/class/iommu/${unit}`, relativeLink('/sys/class/iommu', dir));
    if (fx.iommu.hardware === 'intel') {
      // ecap bit 3 is Interrupt Remapping support.
      const ecap = fx.iommu.interruptRemapping ? 0xf0050df : 0xf0050d7;
      v.constant(`${dir}/intel-iommu/version`, '1:0\n');
      v.constant(`${dir}/intel-iommu/cap`, 'd2008c40660462\n');
      v.constant(`${dir}/intel-iommu/ecap`, `${ecap.toString(16)}\n`);
    } else {
      v.constant(`${dir}/amd-iommu/cap`, '0x00190000\n');
      v.constant(
        `${dir}/amd-iommu/features`,
        fx.iommu.interruptRemapping ? '0x25bf732fa2295afe\n' : '0x0\n',
      );
    }
  }
}

/** A PCIe root port (bridge): present in sysfs like on real hosts, never an SR-IOV device. */
function makeBridge(address: PciAddress, sysDir: string, numaNode: number): SimPciDevice {
  const m = ROOT_PORT_MODEL;
  return {
    address,
    vendorId: m.vendorId,
    deviceId: m.deviceId,
    subsystemVendorId: m.subsystemVendorId,
    subsystemDeviceId: m.subsystemDeviceId,
    classCode: m.classCode,
    revision: m.revision,
    sysDir,
    numaNode,
    iommuGroup: null,
    driver: null,
    driverOverride: null,
    model: m,
    pf: null,
    vfIndex: -1,
    sriov: null,
    netdev: null,
    board: {
      firmware: '',
      serial: '',
      speedMbps: 0,
      doubleVlanMode: false,
      eswitchMode: 'legacy',
      linkUp: false,
      mac: '00:00:00:00:00:00' as MacAddress,
    },
    assigned: false,
    sharedGroup: false,
    netdevName: '',
    netdevBase: '',
  };
}

function makeDevice(fd: FixtureDevice, address: PciAddress, parentDir: string): SimPciDevice {
  const model = DEVICE_MODELS[fd.model]!;
  const p = pciParts(address);
  const multifunction = model.functions > 1;
  const netdevName = fd.netdev ?? pathName(address, multifunction);
  const netdevBase = netdevName.replace(/np\d+$/, '');
  let sriov: SimSriov | null = null;
  if (model.sriov && fd.sriovEnabled) {
    const total = fd.totalVfs ?? model.sriov.totalVfs;
    // Later functions of a multi-port card start their VFs after the previous port's (abi §8);
    // stride-2 parts (82599) interleave instead.
    const offset =
      fd.vfOffset ??
      (model.sriov.stride === 2 ? model.sriov.offset : model.sriov.offset + p.fn * (total - 1));
    sriov = {
      capTotalVfs: total,
      driverMaxVfs: null,
      numVfs: 0,
      offset,
      stride: model.sriov.stride,
      vfDeviceId: model.sriov.vfDeviceId,
      autoprobe: true,
      resourceLimit: fd.vfLimit ?? null,
      vfs: [],
      vfState: [],
    };
  }
  return {
    address,
    vendorId: model.vendorId,
    deviceId: model.deviceId,
    subsystemVendorId: model.subsystemVendorId,
    subsystemDeviceId: model.subsystemDeviceId,
    classCode: model.classCode,
    revision: model.revision,
    sysDir: `${parentDir}/${address}`,
    numaNode: fd.numaNode,
    iommuGroup: null,
    driver: null,
    driverOverride: null,
    model,
    pf: null,
    vfIndex: -1,
    sriov,
    netdev: null,
    board: {
      firmware: fd.firmware ?? model.defaultFirmware,
      serial: fd.serial ?? `SN${address.replace(/[:.]/g, '').toUpperCase()}`,
      speedMbps: fd.speedMbps ?? model.speedMbps,
      doubleVlanMode: fd.doubleVlanMode,
      eswitchMode: fd.eswitchMode,
      linkUp: fd.link === 'up',
      mac: (fd.mac ?? boardMac(model, address)) as MacAddress,
    },
    assigned: false,
    sharedGroup: !fd.acs,
    netdevName,
    netdevBase,
  };
}

/** Builds a running simulated kernel from a validated fixture. */
export async function bootFixture(fx: Fixture, opts: BootOptions): Promise<BootedHost> {
  const iommuEnabled = fx.iommu.hardware !== 'none' && fx.iommu.enabled;
  const unitPrefix = fx.iommu.hardware === 'amd' ? 'ivhd' : 'dmar';
  const units = iommuEnabled
    ? Array.from({ length: fx.iommu.units }, (_, i) => `${unitPrefix}${i}`)
    : [];
  const k = new SimKernel({
    iommuEnabled,
    iommuUnits: units,
    iommuDefaultDomain: fx.iommu.defaultDomain,
    vfioEnableSriov: fx.vfioEnableSriov,
    vfDriversLoaded: fx.vfDriversLoaded,
    // Boot-time VF creation is instant; the requested timing applies from the first user write.
    timing: new Timing(0),
    clock: opts.clock,
  });
  const v = k.vfs;

  // procfs and host identity
  v.constant('/proc/cmdline', `${fx.kernel.cmdline}\n`);
  v.constant('/proc/cpuinfo', cpuinfo(fx));
  v.constant('/proc/sys/kernel/hostname', `${fx.hostname}\n`);
  v.constant('/proc/sys/kernel/osrelease', `${fx.kernel.release}\n`);
  v.constant('/etc/hostname', `${fx.hostname}\n`);
  iommuFiles(k, fx, units);

  // Drivers: the PF drivers of present devices, host VF drivers, vfio-pci.
  const wanted = new Set<string>();
  for (const d of fx.devices) {
    const m = DEVICE_MODELS[d.model]!;
    wanted.add(m.driver);
    if (m.vfDriver && fx.vfDriversLoaded) wanted.add(m.vfDriver);
  }
  if (fx.vfioPci === 'loaded') wanted.add('vfio-pci');
  for (const name of wanted) if (DRIVERS[name]) k.registerDriver(name);
  const modules = [...wanted, ...(fx.vfioPci === 'available' ? ['vfio-pci'] : [])]
    .map((n) => DRIVERS[n]?.module ?? n)
    .map((m) => `kernel/drivers/${m}/${m.replace(/_/g, '-')}.ko:`);
  v.constant(`/lib/modules/${fx.kernel.release}/modules.dep`, modules.join('\n') + '\n');
  v.constant(
    `/lib/modules/${fx.kernel.release}/modules.builtin`,
    'kernel/drivers/pci/pcie/portdrv.ko\n',
  );

  // Root ports and devices.
  const rootPorts = new Map<string, string>();
  for (const fd of fx.devices) {
    const addr = fd.address as PciAddress;
    const p = pciParts(addr);
    // Devices on bus 0 are root-complex integrated: they sit directly under the host bridge.
    const hostBridgeDir = `/sys/devices/pci${p.domain.toString(16).padStart(4, '0')}:00`;
    const rp = (fd.rootPort ?? formatPci(p.domain, Math.max(0, p.bus - 1), 0, 0)) as PciAddress;
    let rpDir = p.bus === 0 && !fd.rootPort ? hostBridgeDir : rootPorts.get(rp);
    if (!rpDir) {
      const rpParts = pciParts(rp);
      rpDir = `/sys/devices/pci${rpParts.domain.toString(16).padStart(4, '0')}:${rpParts.bus.toString(16).padStart(2, '0')}/${rp}`;
      rootPorts.set(rp, rpDir);
      const port = makeBridge(rp, rpDir, fd.numaNode);
      k.addDevice(port, null);
    }
    const dev = makeDevice(fd, addr, rpDir);
    const driver = fd.driver === undefined ? dev.model.driver : fd.driver;
    k.addDevice(dev, driver !== null && k.drivers.has(driver) ? driver : null);
    if (dev.netdev) {
      k.setLink(dev.netdev, fd.adminUp, fd.mtu);
    }
  }
  // VFs that exist at boot (created by a previous configuration), in device order.
  for (const fd of fx.devices) {
    if (fd.numVfs === 0) continue;
    const dev = k.devices.get(fd.address)!;
    const node = k.vfs.lookup(`${dev.sysDir}/sriov_numvfs`, true);
    if (node.kind === 'file' && node.write) await node.write(String(fd.numVfs));
  }

  // netdevsim: `modprobe netdevsim`, then `echo "ID PORTS" > new_device` per entry (probed at
  // once at boot), then the boot VFs through the device's sriov_numvfs.
  if (fx.netdevsim) {
    const bus = new NetdevsimBus(k, { release: fx.kernel.release, naming: 'kernel' });
    k.netdevsim = bus;
    for (const d of fx.netdevsim) {
      const dev = bus.addDevice({
        id: d.id,
        ports: d.ports,
        queues: d.queues,
        naming: d.naming,
        maxVfs: d.maxVfs,
        ...(d.portNames ? { portNames: d.portNames } : {}),
      });
      if (d.numVfs > 0) {
        const node = k.vfs.lookup(`${dev.sysDir}/sriov_numvfs`, true);
        if (node.kind === 'file' && node.write) await node.write(String(d.numVfs));
      }
    }
  }

  // Files that other network managers keep for the interfaces they manage.
  for (const name of fx.managers.NetworkManager) {
    const nd = k.netdevs.get(name);
    if (!nd) continue;
    v.constant(
      `/run/NetworkManager/devices/${nd.ifindex}`,
      `[device]\nmanaged=true\nperm-hw-addr-fake=false\nconnection-uuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n`,
    );
    v.constant(
      `/etc/NetworkManager/system-connections/${name}.nmconnection`,
      `[connection]\nid=${name}\ntype=ethernet\ninterface-name=${name}\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n`,
    );
  }
  if (fx.managers.netplan.length > 0) {
    const eths = fx.managers.netplan.map((n) => `    ${n}:\n      dhcp4: true\n`).join('');
    v.constant('/etc/netplan/50-cloud-init.yaml', `network:\n  version: 2\n  ethernets:\n${eths}`);
    for (const name of fx.managers.netplan) {
      v.constant(
        `/run/systemd/network/10-netplan-${name}.network`,
        `[Match]\nName=${name}\n\n[Network]\nDHCP=ipv4\n`,
      );
    }
  }
  for (const name of [...fx.managers.networkd, ...fx.managers.netplan]) {
    const nd = k.netdevs.get(name);
    if (!nd) continue;
    const file = fx.managers.netplan.includes(name)
      ? `/run/systemd/network/10-netplan-${name}.network`
      : `/etc/systemd/network/10-${name}.network`;
    if (!fx.managers.netplan.includes(name))
      v.constant(file, `[Match]\nName=${name}\n\n[Network]\nDHCP=yes\n`);
    v.constant(
      `/run/systemd/netif/links/${nd.ifindex}`,
      `ADMIN_STATE=configured\nOPER_STATE=routable\nNETWORK_FILE=${file}\n`,
    );
  }

  k.config.timing = opts.timing;
  const routes: DefaultRoute[] = fx.defaultRoutes.map((r) => ({
    family: r.family,
    dev: ifName(r.dev),
    ...(r.gateway ? { gateway: r.gateway } : {}),
  }));
  return { kernel: k, routes };
}
