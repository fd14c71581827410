/**
 * Runs a plan's steps on the host, in the plan's order, and stops after the first failed step: what
 * ran stays applied, what did not is reported as skipped, and because every plan is made from a
 * fresh discovery, running it again converges from wherever the host was left.
 *
 * Consecutive VF-settings steps (admin MACs and VF settings, of one PF or several, with no other
 * step between them) go to the kernel together: one `ip -batch` and one read-back dump for all of
 * them instead of one each, which is most of an apply's time on a host with many PFs. Each step
 * still gets its own outcome, VF results and progress events, in order; a failure names its step
 * and VF. A step of such a group is reported after the batch that carried it: a failure in one
 * step does not undo the others sent with it, so they are reported done (or failed) as they are.
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
import { assertNever, type Step } from './steps.js';
import { bindDriver, releaseDriver } from './bind.js';
import { setNumVfs } from './numvfs.js';
import { readVirtfns } from './sysfs-read.js';
import { applyVfBatch, type VfApplyResult, type VfBatchItem } from './vf-settings.js';
import { waitFor } from './wait.js';

export interface RunOptions {
  /** Deadline for each kernel write or batch (default 30 s; VF creation can take seconds). */
  timeoutMs?: number;
  /** How long to wait for VFs and their netdevs to appear (default 30 s). */
  waitTimeoutMs?: number;
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
  /**
   * How long the step took. Steps sent in one batch share its time in proportion to the VF
   * changes each had in it.
   */
  ms?: number;
}

export interface RunResult {
  ok: boolean;
  outcomes: StepOutcome[];
}

/** The steps whose changes are VF settings made through the PF: they can share one batch. */
type VfStep = Extract<Step, { kind: 'vfMacs' | 'vfSettings' }>;

function isVfStep(s: Step): s is VfStep {
  return s.kind === 'vfMacs' || s.kind === 'vfSettings';
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

/** The batch lines of a VF step, one per VF. */
function vfItems(step: VfStep): VfBatchItem[] {
  const pf = ifName(step.netdev!);
  return step.kind === 'vfMacs'
    ? step.macs.map((m) => ({ pf, vf: m.vf, settings: { mac: m.mac } }))
    : step.settings.map((s) => ({ pf, vf: s.vf, settings: s.settings }));
}

/** An error as a step's failure: a SriovctlError as it is, anything else named by the step. */
function stepError(step: Step, e: unknown): SriovctlError {
  return e instanceof SriovctlError
    ? e
    : new SriovctlError(`${step.what}: ${String(e)}`, undefined, { cause: e });
}

/** Runs one step that is not a VF-settings step (those go through runVfSteps). */
async function runStep(host: Host, step: Exclude<Step, VfStep>, o: RunOptions): Promise<void> {
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
      return;
    }
    case 'eswitchMode':
      await host.devlinkSetEswitchMode(
        isNetdevsimDevice(step.pf) ? devlinkHandle(`netdevsim/${step.pf}`) : pciPf(step),
        step.to,
        timeout,
      );
      return;
    case 'numVfs':
      await setNumVfs(host, step.pf, step.to, { allowReset: true, timeoutMs: t });
      return;
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
      return;
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
      return;
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
      return;
    }
    default:
      return assertNever(step);
  }
}

/**
 * Runs consecutive VF-settings steps (`group`, at `first` in the plan) as one batch with one
 * read-back, filling their outcomes in and reporting each step's progress in order.
 */
async function runVfSteps(
  host: Host,
  group: { step: VfStep; items: VfBatchItem[] }[],
  first: number,
  total: number,
  outcomes: StepOutcome[],
  o: RunOptions,
): Promise<void> {
  const t0 = performance.now();
  let results: VfApplyResult[];
  try {
    results = await applyVfBatch(
      host,
      group.flatMap((g) => g.items),
      {
        timeoutMs: o.timeoutMs ?? 30_000,
        ...(o.retries === undefined ? {} : { retries: o.retries }),
        ...(o.retryDelayMs === undefined ? {} : { retryDelayMs: o.retryDelayMs }),
      },
    );
  } catch (e) {
    // The batch as a whole failed (a deadline, iproute2 missing): none of its steps is known done.
    const ms = performance.now() - t0;
    group.forEach(({ step }, k) => {
      const error = stepError(step, e);
      if (k > 0) o.progress?.({ type: 'start', index: first + k, total, step });
      outcomes[first + k] = { step, status: 'failed', error, ms: k === 0 ? ms : 0 };
      o.progress?.({ type: 'failed', index: first + k, total, step, error });
    });
    return;
  }
  const ms = performance.now() - t0;
  const lines = Math.max(1, results.length);
  let at = 0;
  group.forEach(({ step, items }, k) => {
    const vfResults = results.slice(at, at + items.length);
    at += items.length;
    const share = group.length === 1 ? ms : (ms * items.length) / lines;
    if (k > 0) o.progress?.({ type: 'start', index: first + k, total, step });
    const error = vfStepError(step, vfResults);
    if (error) {
      outcomes[first + k] = { step, status: 'failed', error, ms: share, vfResults };
      o.progress?.({ type: 'failed', index: first + k, total, step, error });
    } else {
      outcomes[first + k] = { step, status: 'done', ms: share, vfResults };
      o.progress?.({ type: 'done', index: first + k, total, step, ms: share });
    }
  });
}

/** Runs `steps` in order (see the module comment); never throws for a failed step. */
export async function runSteps(
  host: Host,
  steps: readonly Step[],
  o: RunOptions = {},
): Promise<RunResult> {
  const outcomes: StepOutcome[] = steps.map((step) => ({ step, status: 'skipped' }));
  const total = steps.length;
  for (let i = 0; i < total;) {
    const step = steps[i]!;
    o.progress?.({ type: 'start', index: i, total, step });
    const t0 = performance.now();
    try {
      if (isVfStep(step)) {
        const group = [{ step, items: vfItems(step) }];
        for (let j = i + 1; j < total; j++) {
          const next = steps[j]!;
          if (!isVfStep(next)) break;
          let items: VfBatchItem[];
          try {
            items = vfItems(next);
          } catch {
            break; // It fails on its own, after the batch of those before it.
          }
          group.push({ step: next, items });
        }
        await runVfSteps(host, group, i, total, outcomes, o);
        i += group.length;
        if (outcomes.slice(i - group.length, i).some((x) => x.status === 'failed'))
          return { ok: false, outcomes };
        continue;
      }
      await runStep(host, step, o);
      const ms = performance.now() - t0;
      outcomes[i] = { step, status: 'done', ms };
      o.progress?.({ type: 'done', index: i, total, step, ms });
      i++;
    } catch (e) {
      const error = stepError(step, e);
      outcomes[i] = { step, status: 'failed', error, ms: performance.now() - t0 };
      o.progress?.({ type: 'failed', index: i, total, step, error });
      return { ok: false, outcomes };
    }
  }
  return { ok: true, outcomes };
}
