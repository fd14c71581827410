/**
 * A host whose kernel writes can be made to stop answering, for tests that need a daemon to "die"
 * at an exact point: after `freeze(ops)`, every call of those write operations hangs forever, as if
 * the process had been killed while the call was in the kernel. Reads and the other writes still
 * work. The kernel itself (the wrapped host) lives on, like a machine whose daemon crashed.
 */
import type { Host } from '../../src/host/host.js';

export type WriteOp = 'linkApply' | 'writeFile';

export interface FreezingHost {
  host: Host;
  /** From now on these writes never return (netlink VF settings, sysfs writes such as binding). */
  freeze(ops: readonly WriteOp[]): void;
  /** Resolves once `n` writes have hung. */
  hung(n: number): Promise<void>;
}

export function freezingHost(inner: Host): FreezingHost {
  let frozen: readonly string[] = [];
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const hang = (): Promise<never> => {
    count++;
    for (const w of waiters.filter((x) => count >= x.n)) w.resolve();
    return new Promise<never>(() => undefined);
  };
  const host = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop === 'string' && frozen.includes(prop)) return hang;
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return {
    host,
    freeze: (ops) => {
      frozen = ops;
    },
    hung: (n) =>
      count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}
