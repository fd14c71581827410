/** A deadline for host operations that may block in the kernel (sysfs writes, iproute2 runs). */

/**
 * Settles like `work`, or rejects with `onTimeout(settled)` after `timeoutMs`. The work is not
 * cancelled: a kernel write in flight still completes, so its late outcome is swallowed here on
 * purpose, and `settled` (which never rejects) tells the caller when it finally ended.
 */
export function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number | undefined,
  onTimeout: (settled: Promise<void>) => Error,
): Promise<T> {
  if (timeoutMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout(settled)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
