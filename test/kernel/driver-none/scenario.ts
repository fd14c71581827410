/**
 * Policies with `driver: none` on the NVMe PF's VFs, shared by the lab test
 * (test/kernel/driver-none.lab.ts, the real 6.1 kernel) and its simulator twin
 * (test/unit/plan/driver-none.test.ts): the same policy texts go through discovery, resolution,
 * the planner and the executor, and each test reads back what the VFs ended up on.
 */
import { readDriver, readVirtfns } from '../../../src/executor/index.js';
import type { Host } from '../../../src/host/host.js';
import type { PciAddress } from '../../../src/host/names.js';
import { discover } from '../../../src/inventory/discover.js';
import { applyPlan, type ApplyResult } from '../../../src/policy/apply.js';
import { parsePolicyText, resolvePolicies } from '../../../src/policy/index.js';
import { planChanges, type PlanOptions } from '../../../src/policy/plan.js';
import type { Plan } from '../../../src/policy/steps.js';

/** numVfs 3 on QEMU's NVMe PF with VFs 1-2 on `driver` (VF 0 is left to the kernel). */
export function nvmePolicy(driver: 'vfio-pci' | 'none'): string {
  return `
apiVersion: sriovctl.io/v1alpha1
kind: NodePolicy
metadata: { name: nvme-${driver} }
spec:
  selector: { vendor: '1b36', deviceID: '0010' }
  numVfs: 3
  vfGroups:
    - { range: 1-2, driver: ${driver} }
`;
}

/** Plans `text` against a fresh discovery; throws on policy errors (they are not what is tested). */
export async function planPolicy(host: Host, text: string, opts: PlanOptions = {}): Promise<Plan> {
  const inv = await discover(host);
  const r = resolvePolicies(parsePolicyText(text, 'policy.yaml'), inv);
  if (r.errors.length) throw new Error(`policy errors: ${JSON.stringify(r.errors)}`);
  return planChanges(r.desired, inv, opts);
}

/** Applies a plan with its disruptive steps confirmed, as `sriovctl apply --yes` does. */
export function applyConfirmed(host: Host, plan: Plan): Promise<ApplyResult> {
  return applyPlan(host, plan, { confirmedDisruptive: true });
}

/** The first failure of an apply, for assertion messages. */
export function firstFailure(r: ApplyResult): string {
  return r.outcomes.find((o) => o.status === 'failed')?.error?.message ?? '';
}

export interface VfDriverState {
  vf: number;
  driver: string | null;
  override: string;
}

/** Driver and driver_override of VFs `vfs` of `pf`, read from sysfs through the seam. */
export async function vfDriverStates(
  host: Host,
  pf: PciAddress,
  vfs: readonly number[],
): Promise<VfDriverState[]> {
  const devices = await readVirtfns(host, pf);
  const out: VfDriverState[] = [];
  for (const vf of vfs) {
    const dev = devices.get(vf);
    if (!dev) throw new Error(`${pf} has no VF ${vf}`);
    out.push({
      vf,
      driver: await readDriver(host, dev),
      override: (await host.readFile(`/sys/bus/pci/devices/${dev}/driver_override`)).trim(),
    });
  }
  return out;
}

/** The PCI address of VF `vf` of `pf`. */
export async function vfAddress(host: Host, pf: PciAddress, vf: number): Promise<PciAddress> {
  const dev = (await readVirtfns(host, pf)).get(vf);
  if (!dev) throw new Error(`${pf} has no VF ${vf}`);
  return dev;
}
