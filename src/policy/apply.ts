/**
 * Runs a plan through the executor, step by step, in the plan's order. It stops at the first failed
 * step: what ran stays applied, what did not is reported as skipped, and because every plan is made
 * from a fresh discovery, running apply again converges from wherever the host was left.
 */
import { SriovctlError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import {
  devlinkHandle,
  driverName,
  ifName,
  isNetdevsimDevice,
  isPciAddress,
  type PciAddress,
  type PfId,
} from '../host/names.js';
import {
  applyVfSettings,
  bindDriver,
  OperationError,
  readVirtfns,
  releaseDriver,
  setNumVfs,
  waitFor,
  type VfApplyResult,
} from '../executor/index.js';
import type { Step } from './steps.js';
import { assertNever, type Plan } from './steps.js';

export interface ApplyOptions {
  /** Deadline for each kernel write or batch (default 30 s; VF creation can take seconds). */
  timeoutMs?: number;
  /** How long to wait for VFs and their netdevs to appear (default 30 s). */
  waitTimeoutMs?: number;
  /** Disruptive steps were confirmed (interactively or with --yes). */
  confirmedDisruptive?: boolean;
  /** Called before and after each step, for progress output. */
  progress?: (e: ProgressEvent) => void;
  /** Retries of transient VF refusals (EAGAIN right after VF creation). */
  retries?: number;
  retryDelayMs?: number;
}

export type ProgressEvent =
  | { type: 'start'; index: number; total: number; step: Step }
  | { type: 'done'; index: number; total: number; step: Step; ms: number }
  | { type: 'failed'; index: number; total: number; step: Step; error: SriovctlError };

export interface StepOutcome {
  step: Step;
  status: 'done' | 'failed' | 'skipped';
  error?: SriovctlError;
  /** Per-VF results for VF steps (refusals, read-back). */
  vfResults?: VfApplyResult[];
  ms?: number;
}

export interface ApplyResult {
  ok: boolean;
  outcomes: StepOutcome[];
}

/** Thrown before anything runs when the plan needs an override or a confirmation it did not get. */
export class ApplyRefusedError extends SriovctlError {
  override name = 'ApplyRefusedError';
}

/** The VF addresses of a PF, read fresh (VFs recreated earlier in the plan have new devices). */
async function vfDevice(
  host: Host,
  pf: PciAddress,
  vf: number,
  cache: Map<number, PciAddress> | null,
): Promise<PciAddress> {
  const map = cache ?? (await readVirtfns(host, pf));
  const dev = map.get(vf);
  if (!dev) throw new SriovctlError(`${pf} has no VF ${vf} (no virtfn${vf} link)`);
  return dev;
}

/** The PF of a step that only makes sense on PCI (VF devices, drivers, VF netdevs). */
function pciPf(step: Step): PciAddress {
  if (isPciAddress(step.pf)) return step.pf;
  throw new SriovctlError(
    `${step.what}: ${step.pf} is not a PCI device; its VFs have no PCI function`,
  );
}

/** How many VFs the PF port of a netdevsim device lists in the link dump (no virtfn links exist). */
async function netdevsimVfCount(host: Host, pf: PfId): Promise<number> {
  const dump = await host.linkDump();
  let n = 0;
  for (const l of dump.links)
    if (l.parentBus === 'netdevsim' && l.parentDev === pf && l.vfs) n = Math.max(n, l.vfs.length);
  return n;
}

function vfStepError(step: Step, results: VfApplyResult[]): SriovctlError | null {
  const failed = results.filter((r) => !r.ok || r.readBack?.state === 'mismatch');
  if (!failed.length) return null;
  const first = failed[0]!;
  const detail =
    first.error?.message ??
    first.message ??
    (first.readBack?.state === 'mismatch'
      ? `VF ${first.vf} read back ${JSON.stringify(first.readBack.fields)}`
      : `VF ${first.vf} failed`);
  return new SriovctlError(
    `${step.what}: ${failed.length} VF(s) not applied; first: ${detail}`,
    first.error?.hint,
  );
}

async function runStep(
  host: Host,
  step: Step,
  o: ApplyOptions,
): Promise<VfApplyResult[] | undefined> {
  const t = o.timeoutMs ?? 30_000;
  const timeout = { timeoutMs: t };
  switch (step.kind) {
    case 'pfUp':
    case 'pfDown':
    case 'pfMtu': {
      const change =
        step.kind === 'pfMtu'
          ? { kind: 'link' as const, ifname: ifName(step.netdev!), mtu: step.to }
          : { kind: 'link' as const, ifname: ifName(step.netdev!), up: step.kind === 'pfUp' };
      const [r] = await host.linkApply([change], timeout);
      if (!r?.ok) throw new SriovctlError(`${step.what}: ${r?.message ?? 'no answer'}`);
      return undefined;
    }
    case 'eswitchMode':
      await host.devlinkSetEswitchMode(
        isNetdevsimDevice(step.pf) ? devlinkHandle(`netdevsim/${step.pf}`) : pciPf(step),
        step.to,
        timeout,
      );
      return undefined;
    case 'numVfs':
      await setNumVfs(host, step.pf, step.to, { allowReset: true, timeoutMs: t });
      return undefined;
    case 'waitVfs':
      await waitFor(
        `${step.count} VFs of ${step.pf}${step.netdevs ? ' with netdevs' : ''}`,
        async () => {
          if (isNetdevsimDevice(step.pf))
            return (await netdevsimVfCount(host, step.pf)) >= step.count ? true : null;
          const vfs = await readVirtfns(host, pciPf(step));
          if (vfs.size < step.count) return null;
          if (!step.netdevs) return true;
          for (const dev of vfs.values()) {
            // Only VFs bound to a driver get a netdev; unbound ones have nothing to wait for.
            if ((await host.entryKind(`/sys/bus/pci/devices/${dev}/driver`)) === null) continue;
            const net = await host.readDir(`/sys/bus/pci/devices/${dev}/net`).catch(() => []);
            if (net.length === 0) return null;
          }
          return true;
        },
        { timeoutMs: o.waitTimeoutMs ?? 30_000, pollMs: 50 },
      );
      return undefined;
    case 'vfMacs':
    case 'vfSettings': {
      const items =
        step.kind === 'vfMacs'
          ? step.macs.map((m) => ({ vf: m.vf, settings: { mac: m.mac } }))
          : step.settings;
      const results = await applyVfSettings(host, ifName(step.netdev!), items, {
        timeoutMs: t,
        ...(o.retries === undefined ? {} : { retries: o.retries }),
        ...(o.retryDelayMs === undefined ? {} : { retryDelayMs: o.retryDelayMs }),
      });
      const err = vfStepError(step, results);
      if (err) throw Object.assign(err, { vfResults: results });
      return results;
    }
    case 'vfMtu': {
      // The VF's netdev name is read now: VFs recreated earlier in this plan have new ones.
      const pf = pciPf(step);
      const devices = await readVirtfns(host, pf);
      const changes = [];
      for (const m of step.mtus) {
        const dev = await vfDevice(host, pf, m.vf, devices);
        const [name] = await host.readDir(`/sys/bus/pci/devices/${dev}/net`).catch(() => []);
        if (!name)
          throw new SriovctlError(
            `${step.what}: VF ${m.vf} (${dev}) has no netdev on the host`,
            'the VF must be bound to its host driver to have a netdev MTU',
          );
        changes.push({ kind: 'link' as const, ifname: ifName(name), mtu: m.mtu });
      }
      const results = await host.linkApply(changes, timeout);
      const bad = results.findIndex((r) => !r.ok);
      if (bad >= 0)
        throw new SriovctlError(
          `${step.what}: ${changes[bad]!.ifname}: ${results[bad]!.ok ? '' : results[bad]!.message}`,
          'a VF MTU cannot exceed the PF MTU on most drivers; raise the PF MTU first',
        );
      return undefined;
    }
    case 'vfDrivers': {
      const pf = pciPf(step);
      const devices = await readVirtfns(host, pf);
      for (const c of step.changes) {
        const dev = c.device ?? (await vfDevice(host, pf, c.vf, devices));
        if (c.to === 'none') await releaseDriver(host, dev, timeout);
        else
          await bindDriver(host, dev, c.to === 'vfio-pci' ? driverName('vfio-pci') : null, timeout);
      }
      return undefined;
    }
    default:
      return assertNever(step);
  }
}

/** Applies a plan; refuses up front if it needs an override or an unconfirmed disruptive step. */
export async function applyPlan(
  host: Host,
  plan: Plan,
  o: ApplyOptions = {},
): Promise<ApplyResult> {
  if (plan.refusals.length) {
    throw new ApplyRefusedError(
      `refusing to apply: ${plan.refusals.map((r) => r.reason).join('; ')}`,
      `override with ${[...new Set(plan.refusals.map((r) => (r.override === 'force' ? '--force' : '--allow-default-route')))].join(' and ')} once you are sure`,
    );
  }
  const disruptive = plan.steps.filter((s) => s.disruptive);
  if (disruptive.length && !o.confirmedDisruptive) {
    throw new ApplyRefusedError(
      `the plan has ${disruptive.length} disruptive step(s): ${disruptive.map((s) => `${s.what} (${s.disruptive})`).join('; ')}`,
      'confirm interactively or pass --yes',
    );
  }
  const outcomes: StepOutcome[] = plan.steps.map((step) => ({ step, status: 'skipped' }));
  const total = plan.steps.length;
  for (let i = 0; i < total; i++) {
    const step = plan.steps[i]!;
    o.progress?.({ type: 'start', index: i, total, step });
    const t0 = performance.now();
    try {
      const vfResults = await runStep(host, step, o);
      const ms = performance.now() - t0;
      outcomes[i] = { step, status: 'done', ms, ...(vfResults ? { vfResults } : {}) };
      o.progress?.({ type: 'done', index: i, total, step, ms });
    } catch (e) {
      const error =
        e instanceof SriovctlError
          ? e
          : new SriovctlError(`${step.what}: ${String(e)}`, undefined, { cause: e });
      const vfResults = (e as { vfResults?: VfApplyResult[] }).vfResults;
      outcomes[i] = {
        step,
        status: 'failed',
        error,
        ms: performance.now() - t0,
        ...(vfResults ? { vfResults } : {}),
      };
      o.progress?.({ type: 'failed', index: i, total, step, error });
      return { ok: false, outcomes };
    }
  }
  return { ok: true, outcomes };
}

export { OperationError };
