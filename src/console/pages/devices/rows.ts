/** The rows of the VF table: one per VF of the inventory, with its attachment and search text. */
import type { Attachment, Inventory, PfSnapshot, VfSnapshot } from '../../../contract/index.js';
import { haystack } from '../../lib/filter.js';

export interface VfRow {
  /** `<pf pci>#<vfIndex>`: unique on the host. */
  key: string;
  /** What the console calls the PF: its netdev, else its PCI address. */
  pfName: string;
  pf: PfSnapshot;
  vf: VfSnapshot;
  attachment: Attachment | undefined;
  hay: string;
}

export function pfName(pf: PfSnapshot): string {
  return pf.netdev ?? pf.pciAddress;
}

export function buildRows(inv: Inventory, attachments: readonly Attachment[]): VfRow[] {
  const held = new Map(attachments.map((a) => [`${a.pf}#${a.vfIndex}`, a]));
  const rows: VfRow[] = [];
  for (const pf of inv.pfs) {
    const name = pfName(pf);
    for (const vf of pf.vfs) {
      const key = `${pf.pciAddress}#${vf.vfIndex}`;
      const a = held.get(key);
      const c = vf.config;
      rows.push({
        key,
        pfName: name,
        pf,
        vf,
        attachment: a,
        hay: haystack([
          name,
          pf.pciAddress,
          `${name}#${vf.vfIndex}`,
          `vf:${vf.vfIndex}`,
          vf.pciAddress,
          vf.driver ?? 'unbound',
          vf.driver && `driver:${vf.driver}`,
          vf.netdev,
          `numa:${vf.numaNode}`,
          c?.mac,
          c && `vlan:${c.vlan}`,
          c && c.trust !== null && `trust:${c.trust ? 'on' : 'off'}`,
          c && c.spoofchk !== null && `spoofchk:${c.spoofchk ? 'on' : 'off'}`,
          c && `link:${c.linkState}`,
          c === null && 'unknown',
          a ? 'attached' : 'free',
          a && `tenant:${a.tenant}`,
          a?.tenant,
          a?.pool && `pool:${a.pool}`,
          a?.consumer.name,
          a && `${a.consumer.kind}:${a.consumer.name}`,
          a?.interface,
          a && `state:${a.state}`,
        ]),
      });
    }
  }
  return rows;
}
