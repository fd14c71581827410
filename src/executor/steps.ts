/**
 * The steps the executor runs: what each changes on the host, for the planner (src/policy/plan.ts)
 * to compose in the order real drivers need. Each says why it is needed and whether it is
 * disruptive. Pure types; the plan around them (refusals, notes) is the policy's (policy/steps.ts).
 */
import type { EswitchMode } from '../host/host.js';
import type { MacAddress, PciAddress, PfId } from '../host/names.js';
import type { VfSettings } from '../host/vf-settings.js';

/** Where a VF should be bound: its host driver, vfio-pci, or no driver at all. */
export type VfDriverTarget = 'host' | 'vfio-pci' | 'none';

/**
 * Why a step is planned. `differs`: sriovctl read the host and it differs from the policy (or the
 * step makes what is not there yet). `unknown`: the current value cannot be read (VFs the kernel's
 * netlink VF list leaves out, a setting the driver does not report), so the step sets it without
 * knowing whether anything changes, and nothing can verify it afterwards. Diff, drift and read-back
 * count only `differs`; `unknown` is reported as "cannot be verified", never as a difference (see
 * policy/verify.ts).
 */
export type StepBasis = 'differs' | 'unknown';

interface StepBase {
  pf: PfId;
  netdev: string | null;
  /** One line for humans: what happens. */
  what: string;
  /** Why it is needed: the desired value against the current one. */
  why: string;
  /** Set when the step destroys VFs, rebinds drivers or takes a link down. */
  disruptive?: string;
  /** VF indexes the step touches. */
  vfs: number[];
  basis: StepBasis;
}

export type Step =
  | (StepBase & { kind: 'pfUp' })
  | (StepBase & { kind: 'pfDown' })
  | (StepBase & { kind: 'pfMtu'; from: number | null; to: number })
  | (StepBase & { kind: 'eswitchMode'; from: EswitchMode | null; to: EswitchMode })
  | (StepBase & { kind: 'numVfs'; from: number; to: number })
  | (StepBase & { kind: 'waitVfs'; count: number; netdevs: boolean })
  | (StepBase & { kind: 'vfMacs'; macs: { vf: number; mac: MacAddress }[] })
  | (StepBase & {
      kind: 'vfDrivers';
      changes: { vf: number; device: PciAddress | null; from: string | null; to: VfDriverTarget }[];
    })
  | (StepBase & { kind: 'vfSettings'; settings: { vf: number; settings: VfSettings }[] })
  | (StepBase & { kind: 'vfMtu'; mtus: { vf: number; mtu: number }[] });

export type StepKind = Step['kind'];

/** Exhaustiveness guard for switches over step kinds. */
export function assertNever(x: never): never {
  throw new Error(`unexpected step ${JSON.stringify(x)}`);
}
