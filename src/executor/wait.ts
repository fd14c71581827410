/**
 * Bounded waits for things the kernel finishes after a write returns: VF netdevs register late
 * (the VF driver probes asynchronously and udev renames them), /dev/vfio/<group> appears after bind.
 */
import { HostTimeoutError } from '../host/errors.js';

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
}

/** Polls `check` until it returns a non-null value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pollMs = opts.pollMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() >= deadline) throw new HostTimeoutError(what, timeoutMs);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
