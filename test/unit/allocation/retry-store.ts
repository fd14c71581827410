// A store that runs every transaction twice, as a PostgreSQL store will on a serialization
// failure: the first run's writes are rolled back (a synthetic failure after `fn` returns), then
// `fn` runs again and its result is the answer. An error `fn` throws itself is not retried.
import type { LedgerStore, LedgerWriter, MutateOptions } from '../../../src/ledger/store.js';

/** The synthetic serialization failure the first run ends with. */
class SerializationFailure extends Error {
  override name = 'SerializationFailure';
}

export interface RetryingStore extends LedgerStore {
  /** How many transactions were run twice. */
  readonly retried: number;
}

/** `inner`, with every `mutate` callback run twice (the first run rolled back). */
export function retryingStore(inner: LedgerStore): RetryingStore {
  let retried = 0;
  const mutate = async <T>(fn: (tx: LedgerWriter) => Promise<T>, opts?: MutateOptions) => {
    try {
      await inner.mutate(async (tx) => {
        await fn(tx);
        throw new SerializationFailure('could not serialize access (synthetic, first run)');
      }, opts);
    } catch (err) {
      if (!(err instanceof SerializationFailure)) throw err;
    }
    retried++;
    return inner.mutate(fn, opts);
  };
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'mutate') return mutate;
      if (key === 'retried') return retried;
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as RetryingStore;
}
