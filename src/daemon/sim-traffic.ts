/**
 * Demo traffic for the simulated host (`serve --sim`, on unless `--sim-traffic off`): without it
 * every counter sits at zero and the console's charts are flat lines. Attached VFs and a seeded
 * quarter of the other VFs get plausible, slowly moving rates (a wave per VF plus noise, tx capped
 * by the VF's maxTxRate, nothing while the PF's link is down). Rates are a pure function of
 * (seed, PF, VF, tick), so two runs with the same seed move the same way and tests can predict
 * them. Real hosts never run this: it needs the simulator's setTraffic.
 */
import type { SimHost, TrafficRates } from '../host/sim/index.js';
import type { AllocationService } from '../allocation/service.js';

export interface SimTrafficOptions {
  /** Same seed, same traffic. Default 1. */
  seed?: number;
  /** How often rates change; default 2000 ms (the sampler's interval). */
  intervalMs?: number;
  /** Share of VFs nobody attached that carry traffic anyway (0..1); default 0.25. */
  background?: number;
}

/** FNV-1a over a string, as a fraction in [0, 1). */
function unit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so neighbouring inputs (ticks, VF indexes) do not give neighbouring outputs.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 0x1_0000_0000;
}

/** Whether a VF nobody attached carries background traffic. */
export function isBackground(seed: number, pf: string, vf: number, share: number): boolean {
  return unit(`${seed}|bg|${pf}|${vf}`) < share;
}

export interface VfTrafficContext {
  attached: boolean;
  /** The VF's maxTxRate in Mbit/s (0 = unlimited). */
  maxTxRate: number;
  /** The PF's link speed in Mbit/s, when known. */
  linkSpeedMbps: number | null;
}

const PERIOD_TICKS = 30;
const BYTES_PER_MBIT = 125_000;

/** The rates a VF carries during `tick` (pure). */
export function simRates(
  seed: number,
  pf: string,
  vf: number,
  tick: number,
  ctx: VfTrafficContext,
): TrafficRates {
  const key = `${seed}|${pf}|${vf}`;
  // Attached VFs carry hundreds of Mbit/s to a few Gbit/s; background ones a trickle.
  const base = ctx.attached ? 200 + 1800 * unit(`${key}|base`) : 5 + 145 * unit(`${key}|base`);
  const phase = unit(`${key}|phase`) * PERIOD_TICKS;
  const wave = (off: number) =>
    0.55 + 0.35 * Math.sin((2 * Math.PI * (tick + phase + off)) / PERIOD_TICKS);
  const noise = (what: string) => 0.2 * (unit(`${key}|${what}|${tick}`) - 0.5);
  let rxMbit = base * Math.max(0.05, wave(0) + noise('rx'));
  let txMbit = base * (0.6 + 0.6 * unit(`${key}|ratio`)) * Math.max(0.05, wave(7) + noise('tx'));
  if (ctx.linkSpeedMbps !== null && ctx.linkSpeedMbps > 0) {
    rxMbit = Math.min(rxMbit, ctx.linkSpeedMbps);
    txMbit = Math.min(txMbit, ctx.linkSpeedMbps);
  }
  if (ctx.maxTxRate > 0) txMbit = Math.min(txMbit, ctx.maxTxRate);
  const pktBytes = 300 + Math.floor(1100 * unit(`${key}|pkt`));
  const rxBytesPerSec = Math.round(rxMbit * BYTES_PER_MBIT);
  const txBytesPerSec = Math.round(txMbit * BYTES_PER_MBIT);
  const rxPacketsPerSec = Math.round(rxBytesPerSec / pktBytes);
  const txPacketsPerSec = Math.round(txBytesPerSec / pktBytes);
  // One VF in ten is lossy, and only now and then: drop bursts for health rules to notice.
  const lossy = unit(`${key}|lossy`) < 0.1 && unit(`${key}|burst|${tick}`) < 0.3;
  const rxDroppedPerSec = lossy ? Math.round(rxPacketsPerSec * 0.005) : 0;
  return {
    rxBytesPerSec,
    txBytesPerSec,
    rxPacketsPerSec,
    txPacketsPerSec,
    rxDroppedPerSec,
    txDroppedPerSec: 0,
  };
}

/** Drives simRates into a simulated host, one tick per interval. */
export class SimTraffic {
  private tickNo = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  /** VFs given traffic by the last tick (`pf#vf`), to stop the ones that drop out. */
  private active = new Set<string>();
  readonly seed: number;
  private readonly intervalMs: number;
  private readonly background: number;

  constructor(
    private readonly host: SimHost,
    private readonly allocation: AllocationService,
    opts: SimTrafficOptions = {},
  ) {
    this.seed = opts.seed ?? 1;
    this.intervalMs = opts.intervalMs ?? 2000;
    this.background = opts.background ?? 0.25;
  }

  /** Ticks done so far. */
  get ticks(): number {
    return this.tickNo;
  }

  /** Sets every VF's rates for the next tick; returns the VFs that carry traffic (`pf#vf`). */
  async tick(): Promise<ReadonlySet<string>> {
    const tick = this.tickNo++;
    const inv = await this.allocation.inventory.get();
    const attached = new Map<string, number>();
    for (const a of await this.allocation.attachments())
      if (a.state === 'attached' && a.pfNetdev !== null)
        attached.set(`${a.pfNetdev}#${a.vfIndex}`, a.maxTxRate);
    const next = new Set<string>();
    for (const pf of inv.pfs) {
      if (pf.netdev === null || pf.linkUp === false) continue;
      for (const v of pf.vfs) {
        const key = `${pf.netdev}#${v.vfIndex}`;
        const maxTx = attached.get(key);
        if (maxTx === undefined && !isBackground(this.seed, pf.netdev, v.vfIndex, this.background))
          continue;
        const rates = simRates(this.seed, pf.netdev, v.vfIndex, tick, {
          attached: maxTx !== undefined,
          maxTxRate: maxTx ?? v.config?.maxTxRate ?? 0,
          linkSpeedMbps: pf.speedMbps,
        });
        if (this.set(pf.netdev, v.vfIndex, rates)) next.add(key);
      }
    }
    for (const key of this.active) {
      if (next.has(key)) continue;
      const [pf, vf] = key.split('#') as [string, string];
      this.set(pf, Number(vf), null);
    }
    this.active = next;
    return next;
  }

  /** False when the VF is gone (VFs destroyed since the snapshot): it simply carries nothing. */
  private set(pf: string, vf: number, rates: TrafficRates | null): boolean {
    try {
      this.host.setTraffic(pf, vf, rates);
      return true;
    } catch {
      return false;
    }
  }

  start(): void {
    this.stop();
    const run = () => {
      // Ticks never overlap; a slow one (a big host's rediscovery) just delays the next.
      if (this.running) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => (this.running = null));
    };
    run();
    this.timer = setInterval(run, this.intervalMs);
    this.timer.unref?.();
  }

  /** Stops ticking (rates stay as they are: the simulated NICs keep counting). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
