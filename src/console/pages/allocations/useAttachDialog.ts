/**
 * The attach dialog's state and its two requests: "Preview placement" (POST /placements) and
 * "Attach" (POST /attachments with an Idempotency-Key, kept while the request is unchanged so a
 * retry cannot attach twice). The API's validation errors are split by the field they name.
 */
import { useRef, useState } from 'react';
import { newRequestKey } from '../../api/client.js';
import type { AttachResult, PlacementPreview, Tenant } from '../../../contract/index.js';
import { ApiError, fieldErrors } from '../../lib/problem.js';
import { useSession } from '../../state/session.js';
import { asApiError } from '../../state/useApi.js';
import {
  attachBody,
  emptyForm,
  errorsByField,
  type AttachForm,
  type FormField,
} from './attachForm.js';

/** What the dialog shows and what its buttons and fields call. */
export interface AttachDialog {
  form: AttachForm;
  /** The caller's tenant when its token is scoped to one (the tenant is then fixed). */
  scopedTenant: string | null;
  /** Sets a field (a new tenant also picks its first pool); any preview is dropped. */
  set: <K extends keyof AttachForm>(k: K, v: AttachForm[K]) => void;
  /** The API's errors under the fields they name, and those that fit no field. */
  errors: Partial<Record<FormField, string>>;
  rest: { field: string; message: string }[];
  problem: ApiError | null;
  preview: PlacementPreview | null;
  busy: 'preview' | 'attach' | null;
  runPreview: () => Promise<void>;
  attach: () => Promise<void>;
}

/** The last request's error: the problem, and its validation errors by the field they name. */
function useRequestErrors() {
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [rest, setRest] = useState<{ field: string; message: string }[]>([]);
  /** Shows a failed request's problem and its errors under their fields. */
  const fail = (err: unknown) => {
    const e = asApiError(err);
    const split = errorsByField(fieldErrors(e.problem));
    setErrors(split.byField);
    setRest(split.rest);
    setProblem(e);
  };
  const clear = () => {
    setErrors({});
    setRest([]);
    setProblem(null);
  };
  return { errors, rest, problem, fail, clear };
}

/** The attach dialog's state, starting at the caller's tenant (or the first) and its first pool. */
export function useAttachDialog(
  tenants: Tenant[],
  onAttached: (r: AttachResult) => void,
): AttachDialog {
  const { api, me } = useSession();
  const [form, setForm] = useState<AttachForm>(() => {
    const firstTenant = me.tenant ?? tenants[0]?.name ?? '';
    const firstPool = tenants.find((t) => t.name === firstTenant)?.pools[0] ?? '';
    return emptyForm(firstTenant, firstPool);
  });
  const { errors, rest, problem, fail, clear } = useRequestErrors();
  const [preview, setPreview] = useState<PlacementPreview | null>(null);
  const [busy, setBusy] = useState<'preview' | 'attach' | null>(null);
  const key = useRef<{ body: string; key: string } | null>(null);

  const set = <K extends keyof AttachForm>(k: K, v: AttachForm[K]) => {
    setForm((f) => {
      const next = { ...f, [k]: v };
      if (k === 'tenant') next.pool = tenants.find((t) => t.name === v)?.pools[0] ?? '';
      return next;
    });
    setPreview(null);
  };

  const runPreview = async () => {
    setBusy('preview');
    clear();
    try {
      setPreview(await api<PlacementPreview>('POST', '/placements', { body: attachBody(form) }));
    } catch (err) {
      setPreview(null);
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const attach = async () => {
    setBusy('attach');
    clear();
    const body = attachBody(form);
    const text = JSON.stringify(body);
    if (key.current?.body !== text) key.current = { body: text, key: newRequestKey() };
    try {
      const r = await api<AttachResult>('POST', '/attachments', {
        body,
        headers: { 'Idempotency-Key': key.current.key },
      });
      onAttached(r);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  return {
    form,
    scopedTenant: me.tenant,
    set,
    errors,
    rest,
    problem,
    preview,
    busy,
    runPreview,
    attach,
  };
}
