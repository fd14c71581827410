/**
 * A form's submit: busy while the request runs, the API's problem kept for the form to show, and
 * the problem's field errors handed to the form's checks (shown under their fields).
 */
import { useState } from 'react';
import { formKeys } from '../../lib/form-fields.js';
import type { ApiError } from '../../lib/problem.js';
import { asApiError } from '../../state/useApi.js';
import type { FormChecks } from './useFormChecks.js';

export interface Submit {
  busy: boolean;
  problem: ApiError | null;
  /** Runs `request`, then `done` with its answer; a failure is kept in `problem`. */
  submit: <T>(request: () => Promise<T>, done: (answer: T) => void) => Promise<void>;
}

export function useSubmit(checks?: FormChecks): Submit {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiError | null>(null);
  const submit = async <T>(request: () => Promise<T>, done: (answer: T) => void) => {
    setBusy(true);
    setProblem(null);
    try {
      done(await request());
    } catch (err) {
      const e = asApiError(err);
      setProblem(e);
      checks?.setApiErrors(formKeys(e.problem.errors ?? []));
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, submit };
}
