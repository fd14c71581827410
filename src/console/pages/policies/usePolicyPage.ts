/**
 * The Policies page's state and its two requests: plan (POST /policies/plan) and apply
 * (POST /policies/apply), whose progress arrives on the event stream.
 */
import { useRef, useState } from 'react';
import type { DaemonEvent, PlanAnswer } from '../../../contract/index.js';
import type { ApiError } from '../../lib/problem.js';
import { useEventListener } from '../../state/live.js';
import { useSession } from '../../state/session.js';
import { asApiError } from '../../state/useApi.js';
import { reduceApplyEvent, type ApplyState } from './applyProgress.js';

/** The policy as typed or uploaded, and the operator's overrides. */
export interface PolicyInput {
  text: string;
  setText: (t: string) => void;
  /** The uploaded file's name ('' when typed). */
  filename: string;
  setFilename: (n: string) => void;
  allowDefaultRoute: boolean;
  setAllowDefaultRoute: (v: boolean) => void;
  force: boolean;
  setForce: (v: boolean) => void;
}

export interface PolicyPage extends PolicyInput {
  plan: PlanAnswer | null;
  error: ApiError | null;
  busy: 'plan' | 'apply' | null;
  /** The disruptive steps are confirmed. */
  confirmed: boolean;
  setConfirmed: (v: boolean) => void;
  apply: ApplyState | null;
  /** The policy or an override changed since the plan was made. */
  stale: boolean;
  /** An apply is running (started, not done). */
  applying: boolean;
  runPlan: () => Promise<void>;
  runApply: () => Promise<void>;
}

/** The policy text, the uploaded file's name and the overrides, as the operator sets them. */
function usePolicyInput(): PolicyInput {
  const [text, setText] = useState('');
  const [filename, setFilename] = useState('');
  const [allowDefaultRoute, setAllowDefaultRoute] = useState(false);
  const [force, setForce] = useState(false);
  return {
    text,
    setText,
    filename,
    setFilename,
    allowDefaultRoute,
    setAllowDefaultRoute,
    force,
    setForce,
  };
}

/** The Policies page's state; follows apply events from the event stream. */
export function usePolicyPage(): PolicyPage {
  const { api } = useSession();
  const input = usePolicyInput();
  const { text, allowDefaultRoute, force } = input;
  const [plan, setPlan] = useState<PlanAnswer | null>(null);
  const [planned, setPlanned] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'plan' | 'apply' | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [apply, setApply] = useState<ApplyState | null>(null);
  // Events can arrive before the POST answers with the operation id: keep them until it does.
  const pending = useRef<DaemonEvent[] | null>(null);

  useEventListener((e: DaemonEvent) => {
    if (!e.kind.startsWith('apply.')) return;
    if (pending.current) {
      pending.current.push(e);
      return;
    }
    setApply((s) => (s ? reduceApplyEvent(s, e) : s));
  });

  const runPlan = async () => {
    setBusy('plan');
    setError(null);
    setApply(null);
    setConfirmed(false);
    try {
      const r = await api<PlanAnswer>('POST', '/policies/plan', {
        body: { text, allowDefaultRoute, force },
      });
      setPlan(r);
      setPlanned(JSON.stringify({ text, allowDefaultRoute, force }));
    } catch (err) {
      setPlan(null);
      setPlanned(null);
      setError(asApiError(err));
    } finally {
      setBusy(null);
    }
  };

  const runApply = async () => {
    setBusy('apply');
    setError(null);
    pending.current = [];
    try {
      const r = await api<{ operation: string; total?: number }>('POST', '/policies/apply', {
        body: { text, confirmDisruptive: confirmed, allowDefaultRoute, force },
      });
      let s: ApplyState = {
        operation: r.operation,
        steps: new Map(),
        total: r.total ?? 0,
        done: null,
      };
      for (const e of pending.current) s = reduceApplyEvent(s, e);
      setApply(s);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      pending.current = null;
      setBusy(null);
    }
  };

  return {
    ...input,
    plan,
    error,
    busy,
    confirmed,
    setConfirmed,
    apply,
    stale: planned !== null && planned !== JSON.stringify({ text, allowDefaultRoute, force }),
    applying: apply !== null && apply.done === null,
    runPlan,
    runApply,
  };
}
