/**
 * Polling for tests: wait until something has happened, with a deadline generous enough for a
 * loaded 2-core machine (it only bounds a broken case, it is never the expected path), instead of
 * sleeping a fixed time and hoping the thing happened meanwhile.
 */

export interface EventuallyOptions {
  /** Give up after this long (default 15 s, inside vitest's 20 s test timeout). */
  timeoutMs?: number;
  /** Between checks (default 5 ms). */
  pollMs?: number;
}

/** Resolves once `check` returns true; throws naming `what` at the deadline. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: EventuallyOptions = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${opts.timeoutMs ?? 15_000} ms`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 5));
  }
}
