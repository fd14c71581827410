/**
 * Simulated time costs. `scale` 1 is realistic (VF creation ~100 ms + per-VF probe, disable ~1 s,
 * VF netdevs 250 ms late, i40e VFs in reset for 1.5 s); 0 switches every delay and transient window
 * off for fast tests; values in between shrink them proportionally.
 */
export class Timing {
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
}
