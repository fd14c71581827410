/** Deadline for a host operation that may hang in the kernel (a driver stuck in probe or reset). */
import { HostTimeoutError } from './errors.js';

/** Resolves like `work`, or rejects with HostTimeoutError after `timeoutMs` (the work may still finish later). */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number | undefined, target: string): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostTimeoutError(target, timeoutMs)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
