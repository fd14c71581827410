import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/doctor/index.js';
import { styleFor } from '../../../src/cli/format.js';
import { renderDoctor } from '../../../src/cli/render-doctor.js';
import { renderInventory } from '../../../src/cli/render-inventory.js';
import { pciAddress } from '../../../src/host/names.js';
import { e810, inventory, vfs } from '../doctor/builders.js';

const ANSI = new RegExp(String.fromCharCode(27) + '\\[');
const plain = styleFor({ write: () => true, isTTY: false }, {});
const PF = pciAddress('0000:3b:00.0');

describe('renderInventory', () => {
  it('prints a PF header with facts and flags, then its VF table', () => {
    const pf = e810(PF, 'ens1f0', {
      numVfs: 2,
      vfs: vfs(PF, 2),
      carriesDefaultRoute: true,
      managedBy: [
        {
          manager: 'NetworkManager',
          evidence: '/etc/NetworkManager/system-connections/ens1f0.nmconnection',
        },
      ],
    });
    const text = renderInventory(inventory([pf]), { wide: false }, plain);
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'PF 0000:3b:00.0  ens1f0  Intel Corporation Ethernet Controller E810-C for QSFP [8086:1592]',
    );
    // Wider than 120 columns on one line: the facts wrap before the part that would not fit.
    expect(lines[1]).toBe(
      '  driver ice 6.1.0-18-amd64 · firmware 4.20 0x80017785 1.3346.0 · link up 100 Gb/s · NUMA 0 · VFs 2/128',
    );
    expect(lines[2]).toBe('  eswitch legacy  [DEFAULT-ROUTE] [managed by NetworkManager]');
    expect(lines[3]).toMatch(
      /^ {2}VF +PCI +DRIVER +NETDEV +MAC +VLAN\/QOS +RATE min\/max +SPOOFCHK +TRUST +LINK-STATE$/,
    );
    expect(lines[4]).toMatch(
      /^ {3}0 +0000:3b:01\.0 +iavf +ens1f0v0 +00:00:00:00:00:00 +- +- +on +off +auto$/,
    );
    expect(text).not.toMatch(ANSI);
  });

  it('shows ? and the truncation note for VFs the netlink list did not cover, never blank or unset', () => {
    const list = vfs(PF, 3).map((vf, i) => (i === 2 ? { ...vf, config: null } : vf));
    const pf = e810(PF, 'ens1f0', {
      numVfs: 3,
      vfs: list,
      vfListTruncated: true,
      unreadableVfs: [2],
    });
    const text = renderInventory(inventory([pf]), { wide: true }, plain);
    const row = text.split('\n').find((l) => l.includes('0000:3b:01.2'))!;
    expect(row).toMatch(/ens1f0v2 +\? +\? +\? +\? +\? +\? +102 +0 +\? +\? +-$/);
    expect(text).toContain(
      'VFs 2: unreadable (netlink VF list truncated); their settings are unknown, not unset',
    );
    expect(text).toContain('[VF LIST TRUNCATED]');
  });

  it('uses a boxed table on a TTY and plain columns otherwise', () => {
    const pf = e810(PF, 'ens1f0', { numVfs: 1, vfs: vfs(PF, 1) });
    const tty = styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' });
    expect(renderInventory(inventory([pf]), { wide: false }, tty)).toContain('┌');
    expect(renderInventory(inventory([pf]), { wide: false }, tty)).not.toMatch(ANSI);
  });
});

describe('renderDoctor', () => {
  it('groups host checks, then each PF, and ends with the summary', () => {
    const pf = e810(PF, 'ens1f0', { carriesDefaultRoute: true });
    const inv = inventory([pf]);
    const text = renderDoctor(runDoctor(inv), inv, { verbose: false }, plain);
    const host = text.indexOf('Host r740-lab-07');
    const pfGroup = text.indexOf(
      'PF 0000:3b:00.0 (ens1f0) Intel Corporation Ethernet Controller E810-C for QSFP',
    );
    expect(host).toBe(0);
    expect(pfGroup).toBeGreaterThan(host);
    expect(text).toContain('  [WARN] ens1f0 carries the default route');
    expect(text).toContain('      ip route show default: dev ens1f0');
    expect(text).toContain('      fix: Manage a different PF, or move the management traffic');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(
      /^Summary: \d+ pass, \d+ info, 1 warn, 0 fail \(worst: warn\)$/,
    );
  });
});
