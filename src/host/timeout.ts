/** A deadline for host operations that may block in the kernel (sysfs writes, iproute2 runs). */

/**
 * Settles like `work`, or rejects with `onTimeout()` after `timeoutMs`. The work is not cancelled:
 * a kernel write in flight still completes, so its late outcome is swallowed here on purpose.
 */
export function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number | undefined,
  onTimeout: () => Error,
): Promise<T> {
  if (timeoutMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
