/**
 * Whether a host has SR-IOV physical functions at all: the PCI devices with a `sriov_totalvfs`
 * attribute above 0 (the kernel creates it for every function with the SR-IOV capability whose
 * driver allows VFs). Used to pick the default host: this machine when it has some.
 */
import type { HostReader } from './host.js';

const PCI_DEVICES = '/sys/bus/pci/devices';

/** The PCI addresses of `host`'s SR-IOV PFs (empty when it has none, or no PCI bus to read). */
export async function sriovPfAddresses(host: HostReader): Promise<string[]> {
  let names: string[];
  try {
    names = await host.readDir(PCI_DEVICES);
  } catch {
    // No readable PCI bus (a container without /sys, a non-Linux box): no PFs to use.
    return [];
  }
  const found: string[] = [];
  for (const name of names) {
    // Entries are the kernel's own names; anything else in the directory is not a PCI function.
    if (!/^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(name)) continue;
    let total: string;
    try {
      total = await host.readFile(`${PCI_DEVICES}/${name}/sriov_totalvfs`);
    } catch {
      continue; // no SR-IOV capability: the attribute is absent
    }
    if (Number.parseInt(total.trim(), 10) > 0) found.push(name);
  }
  return found;
}
