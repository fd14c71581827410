/**
 * `sriovctl` with no host asked for: this machine whenever it has SR-IOV PFs, the simulator only
 * when it has none (saying so). This machine is a Linux host over a temporary sysfs tree.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinuxHost } from '../../../src/host/linux/index.js';
import { sriovPfAddresses } from '../../../src/host/sriov-pfs.js';
import { openHost, selectHost } from '../../../src/cli/open-host.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'default-host-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A PCI function under the temp sysfs, with `sriov_totalvfs` when given. */
function pciFunction(addr: string, totalVfs?: string): void {
  const dir = join(root, 'bus/pci/devices', addr);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vendor'), '0x8086\n');
  if (totalVfs !== undefined) writeFileSync(join(dir, 'sriov_totalvfs'), `${totalVfs}\n`);
}

const machine = () => createLinuxHost({ sysfsRoot: root });

describe('sriovPfAddresses', () => {
  it('lists the PCI functions with sriov_totalvfs above 0', async () => {
    pciFunction('0000:00:1f.6');
    pciFunction('0000:3b:00.0', '128');
    pciFunction('0000:3b:00.1', '0');
    pciFunction('0000:5e:00.0', '16');
    expect(await sriovPfAddresses(machine())).toEqual(['0000:3b:00.0', '0000:5e:00.0']);
  });

  it('is empty without a PCI bus to read', async () => {
    expect(await sriovPfAddresses(machine())).toEqual([]);
  });
});

describe('the default host', () => {
  it('is this machine when it has an SR-IOV PF, with no simulator banner', async () => {
    pciFunction('0000:3b:00.0', '64');
    const opened = await openHost(selectHost({}, {}, 'sim'), { machine: machine() });
    expect(opened.host.description.kind).toBe('linux');
    expect(opened.banner).toBeUndefined();
  });

  it('is the simulator when this machine has none, and says why', async () => {
    pciFunction('0000:00:1f.6');
    const opened = await openHost(selectHost({}, {}, 'sim'), { machine: machine() });
    expect(opened.host.description.kind).toBe('sim');
    expect(opened.banner?.split('\n')).toEqual([
      'sriovctl: SIMULATED host (fixture dual-socket-e810-cx6) — no real hardware is touched',
      'sriovctl: no SR-IOV PFs on this machine; showing the simulated host dual-socket-e810-cx6 (use --sim [fixture] to choose one, sriovctl fixtures to list them)',
    ]);
  });

  it('is the simulator when asked for, whatever this machine has', async () => {
    pciFunction('0000:3b:00.0', '64');
    for (const sel of [
      selectHost({ sim: true }, {}, 'sim'),
      selectHost({}, { SRIOVCTL_SIM: 'small-82599' }, 'sim'),
    ]) {
      const opened = await openHost(sel, { machine: machine() });
      expect(opened.host.description.kind).toBe('sim');
      expect(opened.banner).not.toMatch(/no SR-IOV PFs/);
    }
  });
});
