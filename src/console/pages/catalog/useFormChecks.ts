/**
 * What a catalog form shows under its fields: the schema's problems for the fields the user has
 * touched (all of them after a submit), and the API's field errors from the last submit until the
 * field changes again.
 */
import { useCallback, useMemo, useState } from 'react';
import type { FieldErrors } from '../../lib/form-fields.js';

export interface FormChecks {
  /** The problem to show under `key`, if any. */
  errorOf: (key: string) => string | undefined;
  touch: (key: string) => void;
  /** After a submit: every field's problem shows. */
  showAll: () => void;
  setApiErrors: (e: FieldErrors) => void;
}

export function useFormChecks(local: FieldErrors): FormChecks {
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [all, setAll] = useState(false);
  const [api, setApi] = useState<FieldErrors>({});
  const touch = useCallback((key: string) => {
    setTouched((t) => (t.has(key) ? t : new Set([...t, key])));
    setApi((a) => {
      if (a[key] === undefined) return a;
      const { [key]: _gone, ...rest } = a;
      return rest;
    });
  }, []);
  return useMemo(
    () => ({
      errorOf: (key) => (all || touched.has(key) ? local[key] : undefined) ?? api[key],
      touch,
      showAll: () => setAll(true),
      setApiErrors: setApi,
    }),
    [all, touched, local, api, touch],
  );
}
