/**
 * Shared helpers for lab tests (they run inside the QEMU guest against the real 6.1 kernel): the
 * Linux host, the QEMU NVMe SR-IOV PF, and netdevsim devices created through the seam.
 */
import { readDriver, readVirtfns, setNumVfs, waitFor } from '../../src/executor/index.js';
import { createLinuxHost } from '../../src/host/linux/index.js';
import type { Host } from '../../src/host/host.js';
import { ifName, pciAddress, type IfName, type PciAddress } from '../../src/host/names.js';

/**
 * The guest's own machine, through sriovctl's Linux implementation. For fast feedback while writing
 * lab tests, `SRIOVCTL_LAB_HOST=sim` runs them against the simulator's mirror of the guest
 * (fixture qemu-nvme-lab) instead; only the real guest proves anything about the kernel.
 */
export async function labHost(): Promise<Host> {
  if (process.env.SRIOVCTL_LAB_HOST === 'sim') {
    const { loadSimHost } = await import('../../src/host/sim/index.js');
    return loadSimHost('qemu-nvme-lab', { timing: 'off' });
  }
  return createLinuxHost({ name: 'lab-guest' });
}

/** Finds QEMU's NVMe PF (1b36:0010 with sriov_totalvfs) by reading sysfs through the seam. */
export async function nvmePf(host: Host): Promise<PciAddress> {
  for (const name of await host.readDir('/sys/bus/pci/devices')) {
    const dir = `/sys/bus/pci/devices/${name}`;
    if ((await host.entryKind(`${dir}/sriov_totalvfs`)) === null) continue;
    const vendor = (await host.readFile(`${dir}/vendor`)).trim();
    const device = (await host.readFile(`${dir}/device`)).trim();
    if (vendor === '0x1b36' && device === '0x0010') return pciAddress(name);
  }
  throw new Error('the lab guest has no QEMU NVMe SR-IOV PF (1b36:0010)');
}

/** Creates netdevsim<id> with one port through sysfs and waits for its netdev (probing is async). */
export async function netdevsim(host: Host, id: number, maxVfs?: number): Promise<IfName> {
  const dev = `/sys/bus/netdevsim/devices/netdevsim${id}`;
  if ((await host.entryKind(dev)) === null) {
    await host.writeFile('/sys/bus/netdevsim/new_device', `${id} 1`);
  }
  const name = await waitFor(`netdev of netdevsim${id}`, async () => {
    const entries = await host.readDir(`${dev}/net`).catch(() => []);
    return entries[0] ?? null;
  });
  if (maxVfs !== undefined) {
    await host.writeFile(`/sys/kernel/debug/netdevsim/netdevsim${id}/max_vfs`, String(maxVfs));
  }
  return ifName(name);
}

/** Removes netdevsim<id> if present. */
export async function removeNetdevsim(host: Host, id: number): Promise<void> {
  if ((await host.entryKind(`/sys/bus/netdevsim/devices/netdevsim${id}`)) !== null) {
    await host.writeFile('/sys/bus/netdevsim/del_device', String(id));
  }
}

/**
 * QEMU's NVMe PF with `n` fresh VFs that have settled: nvme binds new VFs and lets them go about
 * 0.5 s later (the secondary controllers are offline), so a test waits until none has a driver.
 */
export async function settledNvmeVfs(host: Host, n: number): Promise<PciAddress> {
  const pf = await nvmePf(host);
  await setNumVfs(host, pf, 0, { allowReset: true });
  await host.writeFile(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, '1');
  await setNumVfs(host, pf, n);
  const vfs = [...(await readVirtfns(host, pf)).values()];
  await waitFor('the NVMe VFs to settle', async () => {
    for (const vf of vfs) if ((await readDriver(host, vf)) !== null) return null;
    return true;
  });
  return pf;
}

/** Removes netdevsim<id> with its VFs first (best effort on the VFs: the removal is what matters). */
export async function teardownNetdevsim(host: Host, id: number): Promise<void> {
  await host
    .writeFile(`/sys/bus/netdevsim/devices/netdevsim${id}/sriov_numvfs`, '0')
    .catch(() => undefined);
  await removeNetdevsim(host, id);
}
