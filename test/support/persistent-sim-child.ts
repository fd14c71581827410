/**
 * A process that keeps changing a persistent simulated host until it is killed, for the SIGKILL test
 * in test/unit/sim/persist.test.ts. It prints `numvfs` once VFs exist and `done <i>` once change i
 * has returned, i.e. once the host has promised it is on disk.
 *
 *   node --import tsx test/support/persistent-sim-child.ts FIXTURE STATE_FILE
 *
 * Change i sets VF i % 8 of ens1f1 to MAC childMac(i) and VLAN childVlan(i).
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { IfName, MacAddress } from '../../src/host/names.js';
import { openPersistentSimHost } from '../../src/host/sim/index.js';

export const CHILD_PF = 'ens1f1' as IfName;
export const CHILD_PF_ADDR = '0000:3b:00.1';
export const CHILD_VFS = 8;

export function childMac(i: number): MacAddress {
  const b = [0x02, 0, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':') as MacAddress;
}

export function childVlan(i: number): number {
  return (i % 4094) + 1;
}

/** The change number a MAC set by childMac encodes. */
export function childIndexOf(mac: string): number {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  return (b[3]! << 16) | (b[4]! << 8) | b[5]!;
}

async function main(fixture: string, stateFile: string): Promise<void> {
  const host = await openPersistentSimHost(fixture, stateFile, { onWarning: () => undefined });
  await host.writeFile(`/sys/bus/pci/devices/${CHILD_PF_ADDR}/sriov_numvfs`, String(CHILD_VFS));
  // writeSync: a line that reached the pipe was printed after the call returned, never before.
  writeSync(1, 'numvfs\n');
  for (let i = 0; i < 1_000_000; i++) {
    const [r] = await host.linkApply([
      {
        kind: 'vf',
        pf: CHILD_PF,
        vf: i % CHILD_VFS,
        mac: childMac(i),
        vlan: { vlan: childVlan(i), qos: 0, proto: '802.1Q' },
      },
    ]);
    if (!r?.ok) throw new Error(`change ${i} refused: ${JSON.stringify(r)}`);
    writeSync(1, `done ${i}\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [fixture, stateFile] = process.argv.slice(2);
  if (!fixture || !stateFile) throw new Error('usage: persistent-sim-child.ts FIXTURE STATE_FILE');
  await main(fixture, stateFile);
}
