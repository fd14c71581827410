/**
 * `sriovctl apply` through a running daemon. Where `sriovctl serve` hands out VFs, an apply from a
 * separate process would reshape PFs under attaches in flight; the daemon's own apply holds its
 * host gate instead (attaches wait their turn, its reconcile gives recreated VFs back to their
 * consumers). So when a daemon answers, the CLI sends it the policy files, shows the daemon's plan
 * and the attachments each step touches, asks for confirmation as a direct apply does, starts the
 * apply and prints its progress from the daemon's event stream, with the same exit codes.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import type { ApplyStarted, PlanAnswer } from '../daemon/policy-ops.js';
import type { ReconcileReport } from '../ledger/ledger.js';
import type { PolicyText } from '../policy/index.js';
import type { Unverified, Verdict } from '../policy/verify.js';
import { ApiClient, ApiProblemError, ApiUnavailableError, type Problem } from './api-client.js';
import { confirmDisruptive, printStep, unverifiedLine } from './apply-output.js';
import { reportProblem } from './commands/api-command.js';
import { EXIT, exitForVerdict, PLAN_EXIT } from './exit-codes.js';
import { styleFor } from './format.js';
import { println, type CliIo } from './io.js';

export interface DaemonApplyFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  allowDefaultRoute?: boolean;
}

/** The policy files as one multi-document text, and where each file's lines start in it. */
export interface CombinedPolicy {
  text: string;
  /** The first line (1-based) of each file in `text`. */
  starts: { file: string; line: number; lines: number }[];
}

/** Joins policy files into the one text the daemon takes (YAML documents; JSON is YAML too). */
export function combinePolicies(sources: readonly PolicyText[]): CombinedPolicy {
  const parts: string[] = [];
  const starts: CombinedPolicy['starts'] = [];
  let line = 1;
  for (const s of sources) {
    const body = s.text.endsWith('\n') ? s.text : `${s.text}\n`;
    const lines = body.split('\n').length - 1;
    starts.push({ file: s.file, line, lines });
    parts.push(body);
    // The separator line between documents of different files.
    line += lines + 1;
  }
  return { text: parts.join('---\n'), starts };
}

/** Rewrites the daemon's `text:LINE:COL` positions into `file:line:col` of the files sent. */
export function locateInFiles(message: string, combined: CombinedPolicy): string {
  return message.replace(/\btext:(\d+):(\d+)/g, (whole, l: string, c: string) => {
    const n = Number(l);
    const f = combined.starts.find((s) => n >= s.line && n < s.line + s.lines);
    return f ? `${f.file}:${n - f.line + 1}:${c}` : whole;
  });
}

/**
 * The daemon to apply through, or null to apply directly. An explicit --api (or SRIOVCTL_API) must
 * answer; otherwise, on the real host, the default socket is probed and a daemon that is not
 * running means a direct apply.
 */
export async function daemonForApply(
  io: CliIo,
  explicit: ApiClient | null,
  probe: ApiClient | null,
): Promise<ApiClient | null> {
  if (explicit) {
    await explicit.get('/whoami');
    return explicit;
  }
  if (!probe) return null;
  try {
    await probe.get('/whoami');
    return probe;
  } catch (err) {
    if (err instanceof ApiUnavailableError && !err.permission) return null;
    if (err instanceof ApiUnavailableError) {
      // A daemon socket this user may not use: say so instead of silently going around it.
      println(
        io.stderr,
        `warning: a sriovctl daemon socket exists but this user cannot use it (${err.message}); applying directly`,
      );
      return null;
    }
    throw err;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The attachments a plan's steps touch, one line per step, for the confirmation. */
export function affectedLines(answer: PlanAnswer): string[] {
  return answer.affected.map((a) => {
    const step = answer.plan.steps[a.step];
    const who = a.attachments
      .map(
        (x) =>
          `${x.tenant}/${x.consumer.kind}:${x.consumer.name} (VF ${x.vfIndex} of ${x.pfNetdev ?? x.pf})`,
      )
      .join(', ');
    return `step ${a.step + 1}${step ? ` (${step.what})` : ''} touches ${plural(a.attachments.length, 'attachment')}: ${who}`;
  });
}

/** `sriovctl apply`'s exit code for a problem the daemon answered. */
export function applyExitFor(p: Problem): number {
  if (p.status === 400) return p.type?.endsWith('/invalid-policy') ? 65 : EXIT.usage;
  if (p.status === 401 || p.status === 403) return EXIT.noperm;
  if (p.status >= 500) return EXIT.software;
  // Another apply running (409), a refusal (422), the rate limit (429): refused, as apply's 3.
  return 3;
}

interface ApplyDone {
  ok: boolean;
  error?: string;
  hint?: string;
  remaining: number | null;
  /** Absent from daemons older than the typed read-back: judged by `remaining` alone then. */
  verdict?: Verdict | null;
  unverified?: Unverified[];
  reconciled?: ReconcileReport;
}

/** A problem of the daemon's with its `text:L:C` positions moved into the files sent. */
function locateProblem(p: Problem, combined: CombinedPolicy): Problem {
  const at = (t: string) => locateInFiles(t, combined);
  return {
    ...p,
    detail: at(p.detail),
    ...(p.field !== undefined ? { field: at(p.field) } : {}),
    ...(p.errors ? { errors: p.errors.map((e) => ({ ...e, field: at(e.field) })) } : {}),
  };
}

/**
 * Plans and applies through the daemon. `renderPlan` prints the plan as the direct apply does.
 * Exit codes as `sriovctl apply`: 0 verified, 1 read-back differs, 2 a step failed, 3 refused,
 * 4 applied but some settings cannot be verified, 65 the policy does not fit this host; the daemon's other problems as every API command maps them.
 */
export async function applyThroughDaemon(
  io: CliIo,
  api: ApiClient,
  combined: CombinedPolicy,
  flags: DaemonApplyFlags,
  renderPlan: (answer: PlanAnswer) => string,
  setExit: (code: number) => void,
): Promise<void> {
  const out = styleFor(io.stdout, io.env);
  const err = styleFor(io.stderr, io.env);
  const body = {
    text: combined.text,
    ...(flags.force ? { force: true } : {}),
    ...(flags.allowDefaultRoute ? { allowDefaultRoute: true } : {}),
  };
  try {
    if (!flags.json) println(io.stderr, `applying through the sriovctl daemon at ${api.where}`);
    const answer = await api.request<PlanAnswer>('POST', '/policies/plan', { body });
    for (const w of answer.warnings)
      println(io.stderr, err.c.yellow(`warning: ${locateInFiles(w, combined)}`));
    const { plan } = answer;
    if (!flags.json) {
      println(io.stdout, renderPlan(answer));
      for (const l of affectedLines(answer)) println(io.stdout, out.c.yellow(l));
    }
    if (flags.dryRun) {
      if (flags.json)
        io.stdout.write(`${JSON.stringify({ ...answer, applied: false }, null, 2)}\n`);
      if (plan.refusals.length) setExit(PLAN_EXIT.refused);
      return;
    }
    if (plan.refusals.length) {
      if (flags.json)
        io.stdout.write(`${JSON.stringify({ ...answer, applied: false }, null, 2)}\n`);
      setExit(3);
      return;
    }
    const disruptive = plan.steps.filter((s) => s.disruptive).length;
    if (!(await confirmDisruptive(io, disruptive, flags.yes === true, err))) {
      setExit(3);
      return;
    }
    const started = await api.request<ApplyStarted>('POST', '/policies/apply', {
      body: { ...body, confirmDisruptive: disruptive > 0 || flags.yes === true },
    });
    let done: ApplyDone | null = null;
    const finished = await api.followEvents(started.since, (m: EventSourceMessage) => {
      if (m.event !== 'apply.step' && m.event !== 'apply.done') return false;
      const e = JSON.parse(m.data) as { data: Record<string, unknown> };
      const d = e.data;
      if (d.operation !== started.operation) return false;
      if (m.event === 'apply.done') {
        done = d as unknown as ApplyDone;
        return true;
      }
      if (!flags.json)
        printStep(io, err, {
          index: Number(d.index),
          total: Number(d.total),
          what: String(d.what),
          status: String(d.status),
          ms: Number(d.ms),
        });
      return false;
    });
    const result = done as ApplyDone | null;
    if (!finished || !result) {
      println(
        io.stderr,
        err.c.red(
          `sriovctl: the daemon's event stream ended before apply ${started.operation} finished; its outcome is in the daemon's log and audit log`,
        ),
      );
      setExit(EXIT.software);
      return;
    }
    if (flags.json)
      io.stdout.write(
        `${JSON.stringify({ ...answer, applied: result.ok, operation: started.operation, result }, null, 2)}\n`,
      );
    const r = result.reconciled;
    if (r && !flags.json)
      println(
        io.stderr,
        `reconciled: ${r.reapplied.length} re-applied, ${r.orphaned.length} orphaned, ${r.failed.length} failed`,
      );
    if (!result.ok) {
      println(io.stderr, err.c.red(`failed: ${result.error ?? 'the apply failed'}`));
      if (result.hint) println(io.stderr, `hint: ${result.hint}`);
      setExit(2);
      return;
    }
    const unverified = result.unverified?.length ? result.unverified : null;
    if (!flags.json) {
      if (result.remaining)
        println(
          io.stdout,
          out.c.yellow(`Applied, but read-back still differs in ${result.remaining} step(s).`),
        );
      else if (!unverified)
        println(io.stdout, out.c.green('Applied and verified: the host matches the policy.'));
      if (unverified)
        println(io.stdout, out.c.yellow(unverifiedLine(unverified, Boolean(result.remaining))));
    }
    setExit(exitForVerdict(result.remaining ? 'differs' : unverified ? 'unverified' : 'verified'));
  } catch (e) {
    if (!(e instanceof ApiProblemError)) throw e;
    reportProblem(io, locateProblem(e.problem, combined), flags.json === true);
    setExit(applyExitFor(e.problem));
  }
}
