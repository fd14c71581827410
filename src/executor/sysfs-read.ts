/** The few sysfs reads the executor needs before and after a write, parsed strictly. */
import { KernelError, MalformedHostError } from '../host/errors.js';
import type { HostReader } from '../host/host.js';
import { driverName, pciAddress, type DriverName, type PciAddress } from '../host/names.js';

const DEVICES = '/sys/bus/pci/devices';

/** A decimal attribute such as sriov_numvfs. */
export async function readNumber(host: HostReader, path: string): Promise<number> {
  const text = await host.readFile(path);
  const t = text.trim();
  if (!/^-?[0-9]+$/.test(t))
    throw new MalformedHostError(path, 'a decimal number', JSON.stringify(text));
  return Number(t);
}

/** The driver a device is bound to, or null when unbound. */
export async function readDriver(host: HostReader, pci: PciAddress): Promise<DriverName | null> {
  try {
    const target = await host.readLink(`${DEVICES}/${pci}/driver`);
    return driverName(target.slice(target.lastIndexOf('/') + 1));
  } catch (err) {
    if (err instanceof KernelError && err.errno === 'ENOENT') return null;
    throw err;
  }
}

/** The IOMMU group number of a device, or null when the IOMMU is off. */
export async function readIommuGroup(host: HostReader, pci: PciAddress): Promise<number | null> {
  try {
    const target = await host.readLink(`${DEVICES}/${pci}/iommu_group`);
    const n = Number(target.slice(target.lastIndexOf('/') + 1));
    if (!Number.isInteger(n))
      throw new MalformedHostError(
        `${DEVICES}/${pci}/iommu_group`,
        'a link to kernel/iommu_groups/<N>',
        target,
      );
    return n;
  } catch (err) {
    if (err instanceof KernelError && err.errno === 'ENOENT') return null;
    throw err;
  }
}

/** The VF addresses of a PF from its virtfnN links, by index. */
export async function readVirtfns(
  host: HostReader,
  pf: PciAddress,
): Promise<Map<number, PciAddress>> {
  const dir = `${DEVICES}/${pf}`;
  const out = new Map<number, PciAddress>();
  for (const name of await host.readDir(dir)) {
    const m = /^virtfn([0-9]+)$/.exec(name);
    if (!m) continue;
    const target = await host.readLink(`${dir}/${name}`);
    out.set(Number(m[1]), pciAddress(target.slice(target.lastIndexOf('/') + 1), `${dir}/${name}`));
  }
  return out;
}
