/** Policy texts for tests on the dual-socket-e810-cx6 fixture. */

/** ens1f1 has no VFs on the fixture: creating four is not disruptive. */
export const GROW = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: grow }
spec:
  selector: { pfNames: [ens1f1] }
  numVfs: 4
  vfGroups:
    - { range: 0-3, driver: host, vlan: 100 }
`;

/** ens1f0 has 8 VFs: going to 4 destroys them all and recreates four. */
export const SHRINK = `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: shrink }
spec:
  selector: { pfNames: [ens1f0] }
  numVfs: 4
  vfGroups:
    - { range: 0-3, driver: vfio-pci }
`;

/**
 * For the e810-8x256 fixture: ens1f0 keeps its 256 VFs, of which `ip link` reports only 0-33, and
 * one VF group configures some of them (`{ range: 200-201, vlan: 100 }`).
 */
export function farPolicy(group: string): string {
  return `apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: far }
spec:
  selector: { pfNames: [ens1f0] }
  numVfs: 256
  vfGroups:
    - ${group}
`;
}
