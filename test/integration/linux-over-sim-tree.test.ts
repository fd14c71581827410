// The Linux implementation reading the simulator's sysfs tree from disk (as `--sysfs-root` would)
// must see the same PFs and VFs as the simulator itself: this keeps the sim's tree honest about
// real layouts and proves LinuxHost's file layer and discovery on a realistic tree.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxHost } from '../../src/host/linux/index.js';
import { loadSimHost, type SimHost } from '../../src/host/sim/index.js';
import { discover } from '../../src/inventory/discover.js';
import type { Inventory } from '../../src/inventory/types.js';
import { runCli } from '../unit/cli/run-cli.js';
import { exportSimTree } from '../support/export-sim-tree.js';

/** The parts of a snapshot that come from files (sysfs, procfs, /etc, /run), not from netlink or tools. */
function fileFacts(inv: Inventory) {
  const { description: _d, defaultRouteIfnames: _r, ...host } = inv.host;
  return {
    host,
    pfs: inv.pfs.map((pf) => ({
      pciAddress: pf.pciAddress,
      ids: [pf.vendorId, pf.deviceId, pf.subsystemVendorId, pf.subsystemDeviceId, pf.vfDeviceId],
      names: [pf.vendorName, pf.deviceName],
      driver: pf.driver,
      netdev: pf.netdev,
      mac: pf.mac,
      mtu: pf.mtu,
      numaNode: pf.numaNode,
      iommuGroup: pf.iommuGroup,
      sriov: [pf.totalVfs, pf.numVfs, pf.vfOffset, pf.vfStride, pf.driversAutoprobe],
      // Runtime state files are keyed by ifindex, which LinuxHost takes from this machine's own
      // link dump; the configuration files are the comparable part.
      managedBy: pf.managedBy.filter((m) => !/\/(devices|links)\/\d+$/.test(m.evidence)),
      vfs: pf.vfs.map((vf) => ({
        vfIndex: vf.vfIndex,
        pciAddress: vf.pciAddress,
        deviceId: vf.deviceId,
        driver: vf.driver,
        driverOverride: vf.driverOverride,
        netdev: vf.netdev,
        iommuGroup: vf.iommuGroup,
        numaNode: vf.numaNode,
      })),
    })),
  };
}

for (const fixture of ['dual-socket-e810-cx6', 'mixed-firmware', 'small-82599', 'qemu-nvme-lab']) {
  describe(`LinuxHost over the exported tree of ${fixture}`, () => {
    let sim: SimHost;
    let dir: string;
    let counts: ReturnType<typeof exportSimTree>;
    beforeAll(async () => {
      sim = await loadSimHost(fixture, { timing: 'off' });
      if (fixture === 'dual-socket-e810-cx6') {
        // One VF on vfio-pci through driver_override, so those links and /dev/vfio are exported too.
        const vf = '/sys/bus/pci/devices/0000:3b:01.2';
        await sim.writeFile(`${vf}/driver_override`, 'vfio-pci');
        await sim.writeFile(`${vf}/driver/unbind`, '0000:3b:01.2');
        await sim.writeFile('/sys/bus/pci/drivers_probe', '0000:3b:01.2');
      }
      dir = mkdtempSync(join(tmpdir(), 'sriovctl-tree-'));
      counts = exportSimTree(sim, dir);
    });
    afterAll(() => {
      sim.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('discovers the same PFs, VFs, drivers, groups and host facts as the simulator', async () => {
      expect(counts.links).toBeGreaterThan(5);
      const linux = createLinuxHost({ sysfsRoot: join(dir, 'sys'), rootDir: dir });
      const fromSim = await discover(sim);
      const fromDisk = await discover(linux);
      expect(fromDisk.pfs.length).toBeGreaterThan(0);
      expect(fileFacts(fromDisk)).toEqual(fileFacts(fromSim));
    });

    it('is what `sriovctl --sysfs-root` lists', async () => {
      const run = await runCli(['--sysfs-root', join(dir, 'sys'), 'inventory', '--json']);
      expect(run.code).toBe(0);
      const inv = JSON.parse(run.stdout) as Inventory;
      expect(inv.host.description.kind).toBe('linux');
      expect(inv.pfs.map((p) => p.pciAddress)).toEqual(
        (await discover(sim)).pfs.map((p) => p.pciAddress),
      );
    });
  });
}
