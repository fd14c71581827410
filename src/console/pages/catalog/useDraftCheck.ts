/**
 * Checks a form as it is typed, by asking the API (POST /pools/preview, POST /tenants/check): the
 * same rules as the request that saves it. After a pause, so typing "ens1f0" is one request and
 * not six, and dropping answers to older drafts.
 */
import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../../lib/problem.js';
import { useSession } from '../../state/session.js';
import { asApiError } from '../../state/useApi.js';

const PAUSE_MS = 300;

export interface DraftCheck<T> {
  /** The answer for the draft as it is now; null until it comes. */
  answer: T | null;
  /** The last answer, kept while the next is on its way (for a preview that does not flicker). */
  last: T | null;
  error: ApiError | null;
}

export function useDraftCheck<T>(path: string, draft: unknown): DraftCheck<T> {
  const { api } = useSession();
  const key = JSON.stringify(draft);
  const [state, setState] = useState<{
    for: string | null;
    answer: T | null;
    error: ApiError | null;
  }>({ for: null, answer: null, error: null });
  const seq = useRef(0);

  useEffect(() => {
    const mine = ++seq.current;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<T>('POST', path, { body: JSON.parse(key) as unknown, signal: abort.signal }).then(
        (answer) => {
          if (mine === seq.current) setState({ for: key, answer, error: null });
        },
        (err: unknown) => {
          if (!abort.signal.aborted && mine === seq.current)
            setState((s) => ({ for: key, answer: s.answer, error: asApiError(err) }));
        },
      );
    }, PAUSE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [api, path, key]);

  const current = state.for === key;
  return {
    answer: current && !state.error ? state.answer : null,
    last: state.answer,
    error: current ? state.error : null,
  };
}
