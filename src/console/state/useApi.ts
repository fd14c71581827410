/** Loading a GET resource with loading, error and reload; keeps the last data while reloading. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../lib/problem.js';
import { useSession } from './session.js';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({
    type: 'about:blank',
    title: 'Unexpected error',
    status: 0,
    detail: err instanceof Error ? err.message : String(err),
  });
}

/** GETs `path` (null: nothing yet) and again on reload(); stale answers are dropped. */
export function useApi<T>(path: string | null): Resource<T> {
  const { api } = useSession();
  const [state, setState] = useState<{
    data: T | undefined;
    error: ApiError | null;
    for: string | null;
  }>({
    data: undefined,
    error: null,
    for: null,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);

  useEffect(() => {
    if (path === null) return;
    const mine = ++seq.current;
    const abort = new AbortController();
    api<T>('GET', path, { signal: abort.signal }).then(
      (data) => {
        if (mine === seq.current) setState({ data, error: null, for: path });
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (mine === seq.current)
          setState((s) => ({
            data: s.for === path ? s.data : undefined,
            error: asApiError(err),
            for: path,
          }));
      },
    );
    return () => abort.abort();
  }, [api, path, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = state.for === path;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : null,
    loading: path !== null && !current,
    reload,
  };
}

export { asApiError };
