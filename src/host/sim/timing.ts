/**
 * Simulated time costs. `scale` 1 is realistic (VF creation ~100 ms + per-VF probe, disable ~1 s,
 * VF netdevs 250 ms late, i40e VFs in reset for 1.5 s); 0 switches every delay and transient window
 * off for fast tests; values in between shrink them proportionally.
 *
 * Everything the kernel model decides by time goes through here — delays, transient windows and
 * asynchronous work — so a journaled host (persist.ts) can record those decisions and replay them
 * without the wall clock.
 */
export class Timing {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(readonly scale: number) {}

  /** A duration after scaling. */
  scaled(ms: number): number {
    return ms * this.scale;
  }

  /** Waits a scaled duration; resolves at once when timing is off. */
  sleep(ms: number): Promise<void> {
    const d = this.scaled(ms);
    if (d <= 0) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, d));
  }

  /** Whether a transient window that ends at `until` is still open at `now` (a resetting VF). */
  within(until: number, now: number): boolean {
    return now < until;
  }

  /**
   * Runs asynchronous kernel work (a VF driver's late netdev registration, a probe) after a scaled
   * delay, at once when the delay is 0. `label` names the work; the same calls give the same labels.
   */
  defer(ms: number, label: string, work: () => void): void {
    const delay = this.scaled(ms);
    if (delay <= 0) {
      work();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.fire(label, work);
    }, delay);
    t.unref?.();
    this.timers.add(t);
  }

  /** Runs deferred work whose delay is over (a journaled host records it). */
  protected fire(_label: string, work: () => void): void {
    work();
  }

  /** Drops deferred work not run yet, so a test or a closed host ends cleanly. */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
