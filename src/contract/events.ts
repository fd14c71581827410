/**
 * GET /events: the daemon's event bus as server-sent events. Each frame is `id: N`, `event:
 * <kind>`, `data: <DaemonEvent JSON>`; besides bus events the stream sends `gap` (history was lost:
 * reload), `closed` (the credentials went away: do not come back with them) and `traffic` (a
 * TrafficView sample, without an id). Apply progress is published as apply.start, apply.step and
 * apply.done events whose data is described here.
 */
import { z } from 'zod';
import { reconcileReport } from './attachments.js';

/** GET /events' options (Last-Event-ID wins when both are given). */
export const eventsQuery = z
  .object({
    /** Replay history after this id (Last-Event-ID wins when both are given). */
    since: z.coerce.number().int().min(0).optional(),
  })
  .strict();

export const eventLevel = z.enum(['info', 'warn', 'error']);
export type EventLevel = z.infer<typeof eventLevel>;

/** One event of the daemon's bus. */
export const daemonEvent = z.strictObject({
  /** Increasing per daemon run; clients resume with Last-Event-ID. */
  id: z.number().int(),
  at: z.string(),
  /** Dotted kind: `attachment.create`, `drift.detected`, `health.changed`, `apply.step`, ... */
  kind: z.string(),
  level: eventLevel,
  message: z.string(),
  /** The tenant the event concerns; tenant-scoped subscribers see only theirs. */
  tenant: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type DaemonEvent = z.infer<typeof daemonEvent>;

/** `gap`: events after `after` are lost (expired from history, or the daemon restarted). */
export interface GapData {
  reason: 'expired' | 'restarted';
  after: number;
  oldest?: number;
}

/** `closed`: why the stream ended (a token revoked, a tenant deleted, the daemon stopping). */
export interface ClosedData {
  reason: string;
}

/** The data of an `apply.step` event. */
export interface ApplyStepData {
  operation: string;
  index: number;
  total: number;
  what: string;
  status: 'start' | 'done' | 'failed' | 'skipped';
  /** On done: how long the step took. */
  ms?: number;
  error?: string;
  hint?: string;
}

/** VFs of one PF whose settings cannot be read back (the kernel's netlink VF list omits them). */
export interface UnverifiedSettings {
  pf: string;
  /** The PF's netdev, or its address without one. */
  name: string;
  vfs: number[];
  /** Settings (one per VF and field) that cannot be verified. */
  settings: number;
}

/**
 * Why a setting could not be read back: the kernel's netlink VF list stops before the VF
 * (`vf-list-truncated`, above ~220 VFs), netlink did not report the VF (`vf-not-reported`), or the
 * VF's driver leaves the field out (`driver-does-not-report`).
 */
export type UnreadableWhy = 'vf-list-truncated' | 'vf-not-reported' | 'driver-does-not-report';

/** One VF's read-back after an apply: verified, differs (in `fields`), or could not be read. */
export type VfReadBackData =
  | { pf: string; name: string; vfIndex: number; result: 'verified' }
  | {
      pf: string;
      name: string;
      vfIndex: number;
      result: 'differs';
      fields: readonly string[];
      /** Fields of the same VF that could not be read either. */
      unreadable?: { fields: readonly string[]; why: UnreadableWhy };
    }
  | {
      pf: string;
      name: string;
      vfIndex: number;
      result: 'unreadable';
      fields: readonly string[];
      why: UnreadableWhy;
    };

/** One PF's own fields after an apply (`absent`: the PF is not on the host). */
export interface PfReadBackData {
  pf: string;
  name: string;
  result: 'verified' | 'differs' | 'absent';
  fields: readonly string[];
}

/** The read-back after an apply, per PF and per VF. */
export interface ReadBackData {
  pfs: PfReadBackData[];
  vfs: VfReadBackData[];
}

/** The data of an `apply.done` event. */
export interface ApplyDoneData {
  operation: string;
  ok: boolean;
  error?: string;
  hint?: string;
  /** Steps the read-back still finds needed; null when nothing was read back. */
  remaining: number | null;
  /** Absent from daemons older than the typed read-back: judged by `remaining` alone then. */
  verdict?: 'verified' | 'differs' | 'unverified' | null;
  unverified?: UnverifiedSettings[];
  /** How many settings the read-back could not verify. */
  unverifiedSettings?: number;
  /** Per PF and VF (absent from daemons older than the per-VF read-back, and when none ran). */
  readBack?: ReadBackData;
  /** Each step's outcome. */
  outcomes?: { what: string; status: string; error?: string }[];
  /** What the reconcile after the apply did (when it touched attached VFs). */
  reconciled?: z.infer<typeof reconcileReport>;
}
