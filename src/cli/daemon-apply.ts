/**
 * `sriovctl apply` through a running daemon. Where `sriovctl serve` hands out VFs, an apply from a
 * separate process would reshape PFs under attaches in flight; the daemon's own apply holds its
 * host gate instead (attaches wait their turn, its reconcile gives recreated VFs back to their
 * consumers). So when a daemon answers, the CLI sends it the policy files, shows the daemon's plan
 * and the attachments each step touches, asks for confirmation as a direct apply does, starts the
 * apply and prints its progress from the daemon's event stream, with the same exit codes.
 *
 * Which path apply takes is decided here too, and always said in one line on stderr: a daemon
 * that is enabled (or whose socket exists) but still starting is waited for, briefly, rather than
 * silently gone around.
 */
import type { Command } from 'commander';
import type { EventSourceMessage } from 'eventsource-parser';
import {
  problemKind,
  type ApplyDoneData,
  type ApplyStarted,
  type DaemonEvent,
  type PlanAnswer,
} from '../contract/index.js';
import type { PolicyText } from '../policy/index.js';
import { unverifiedText } from '../policy/verify.js';
import { expectedDaemon } from '../boot/install.js';
import { DAEMON_UNIT } from '../boot/locations.js';
import {
  ApiClient,
  ApiProblemError,
  ApiUnavailableError,
  DEFAULT_API_SOCKET,
  type Endpoint,
  type Problem,
} from './api-client.js';
import { confirmDisruptive, printStep, unverifiedLine } from './apply-output.js';
import { clientFor, exitForProblem, reportProblem } from './commands/api-command.js';
import type { CommandContext } from './commands/context.js';
import { EXIT, exitForVerdict, PLAN_EXIT, UsageError } from './exit-codes.js';
import { styleFor } from './format.js';
import { println, type CliIo } from './io.js';
import { openHost, selectHost } from './open-host.js';

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

/** The flags that decide apply's path (a subset of apply's own). */
export interface ApplyPathFlags {
  api?: string;
  token?: string;
  direct?: boolean;
  waitForPfs?: string;
  json?: boolean;
}

/** How apply reaches the host: through a daemon, or directly and why (`warn`: a daemon was expected). */
export type ApplyPath =
  { kind: 'daemon'; api: ApiClient } | { kind: 'direct'; why: string; warn?: boolean };

/** How long apply waits, by default, for a daemon that is enabled but does not answer yet. */
export const DAEMON_WAIT_SECONDS = 10;
/** How long a probe waits for an answer when nothing says a daemon is there. */
const QUICK_PROBE_MS = 2000;
/** Between tries while the daemon's socket is not there or refuses. */
const POLL_MS = 250;

/** `SRIOVCTL_DAEMON_WAIT`: seconds apply waits for an expected daemon (default 10; 0 = do not wait). */
export function daemonWaitSeconds(env: CliIo['env']): number {
  const v = env['SRIOVCTL_DAEMON_WAIT'];
  if (v === undefined || v === '') return DAEMON_WAIT_SECONDS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 600)
    throw new UsageError(
      `SRIOVCTL_DAEMON_WAIT=${JSON.stringify(v)}: expected whole seconds, 0-600`,
      `unset it for the default (${DAEMON_WAIT_SECONDS} s)`,
    );
  return n;
}

export interface LocalDaemonOptions {
  /** Why a daemon is expected although it may not answer yet (units enabled, socket there), or null. */
  expected: () => Promise<string | null>;
  /** The longest wait for an expected daemon, in ms. */
  waitMs: number;
  /** A client for the local socket whose requests give up after `timeoutMs`. */
  client: (timeoutMs?: number) => ApiClient;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One GET /whoami: answered, nothing listening (absent), or accepted but no answer in time (silent). */
async function probe(client: ApiClient): Promise<'answered' | 'absent' | 'silent'> {
  try {
    await client.get('/whoami');
    return 'answered';
  } catch (err) {
    if (!(err instanceof ApiUnavailableError) || err.permission) throw err;
    return err.code === 'ETIMEDOUT' ? 'silent' : 'absent';
  }
}

/**
 * The local daemon (the default socket on the real host), waiting — bounded, with a progress line —
 * for one that is expected but still starting: enabled units, or a socket that exists. A socket
 * that accepts the connection but stays silent for the whole wait is an error (a daemon is there;
 * going around it would be the race this path exists to avoid); one that never appears means the
 * daemon is not running, and apply goes direct, saying so.
 */
export async function findLocalDaemon(io: CliIo, o: LocalDaemonOptions): Promise<ApplyPath> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const why = await o.expected();
  const where = o.client().where;
  const seconds = o.waitMs / 1000;
  let announced = false;
  const announce = () => {
    if (announced) return;
    announced = true;
    println(
      io.stderr,
      `waiting up to ${seconds} s for the sriovctl daemon at ${where} (${why})...`,
    );
  };
  const start = now();
  for (;;) {
    const left = Math.max(1, o.waitMs - (now() - start));
    // An expected daemon may be starting behind its socket: give that probe the whole wait.
    const timer = why && left > 1000 ? setTimeout(announce, 1000) : null;
    let r: Awaited<ReturnType<typeof probe>>;
    try {
      r = await probe(o.client(why ? left : QUICK_PROBE_MS));
    } catch (err) {
      if (err instanceof ApiUnavailableError && err.permission)
        return {
          kind: 'direct',
          warn: true,
          why: `this user cannot use its socket (${err.message})`,
        };
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (r === 'answered') return { kind: 'daemon', api: o.client() };
    if (r === 'silent')
      throw new ApiUnavailableError(
        `the sriovctl daemon at ${where} accepted the connection but did not answer within ${why ? `${seconds} s` : `${QUICK_PROBE_MS / 1000} s`}${why ? ` (${why})` : ''}`,
        `it may still be starting: run apply again in a moment, or raise SRIOVCTL_DAEMON_WAIT (seconds)`,
        false,
        'ETIMEDOUT',
      );
    if (!why)
      return { kind: 'direct', why: `no sriovctl daemon answers on ${where}, and none is enabled` };
    if (now() - start >= o.waitMs)
      return {
        kind: 'direct',
        warn: true,
        why: `the sriovctl daemon did not come up on ${where} within ${seconds} s, although ${why}`,
      };
    announce();
    await sleep(Math.min(o.pollMs ?? POLL_MS, o.waitMs - (now() - start)));
  }
}

/** The one line that says which path apply takes (stderr; --json output stays on stdout alone). */
export function printApplyPath(io: CliIo, path: ApplyPath): void {
  const err = styleFor(io.stderr, io.env);
  if (path.kind === 'daemon')
    println(io.stderr, `applying through the sriovctl daemon at ${path.api.where}`);
  else {
    const line = `applying directly, not through a sriovctl daemon: ${path.why}`;
    println(io.stderr, path.warn ? err.c.yellow(`warning: ${line}`) : line);
  }
}

/** The path without printing it: an explicit --api/SRIOVCTL_API must answer; see findLocalDaemon. */
async function applyPath(
  ctx: CommandContext,
  flags: ApplyPathFlags,
  cmd: Command,
): Promise<ApplyPath> {
  const env = ctx.io.env;
  const named = flags.api !== undefined || (env['SRIOVCTL_API'] ?? '') !== '';
  if (flags.direct) {
    if (flags.api !== undefined)
      throw new UsageError('--direct and --api exclude each other', 'pick one');
    return { kind: 'direct', why: '--direct' };
  }
  if (named) {
    const api = clientFor(flags, env);
    await api.get('/whoami');
    return { kind: 'daemon', api };
  }
  if (flags.waitForPfs !== undefined)
    return {
      kind: 'direct',
      why: `--wait-for-pfs (the boot-time apply: ${DAEMON_UNIT} starts after it)`,
    };
  const sel = selectHost(ctx.hostFlags(cmd), env, 'linux');
  if (sel.kind === 'sim')
    return { kind: 'direct', why: 'the simulated host lives in this process' };
  if (sel.sysfsRoot !== undefined)
    return { kind: 'direct', why: `--sysfs-root ${sel.sysfsRoot} is not this host` };
  const { host } = await openHost(sel);
  const socket: Endpoint = { kind: 'unix', path: DEFAULT_API_SOCKET };
  return findLocalDaemon(ctx.io, {
    expected: () => expectedDaemon(host),
    waitMs: daemonWaitSeconds(env) * 1000,
    client: (timeoutMs) => new ApiClient(socket, undefined, timeoutMs),
  });
}

/**
 * The daemon `apply` goes through, null to apply directly, or 'failed' once a daemon that could
 * not be used has been reported. Either way one line on stderr says which path it is.
 */
export async function chooseDaemon(
  ctx: CommandContext,
  flags: ApplyPathFlags,
  cmd: Command,
): Promise<ApiClient | null | 'failed'> {
  let path: ApplyPath;
  try {
    path = await applyPath(ctx, flags, cmd);
  } catch (err) {
    if (err instanceof ApiProblemError) {
      // A bad or missing token for the daemon asked for.
      reportProblem(ctx.io, err.problem, flags.json === true);
      ctx.setExitCode(exitForProblem(err.problem.status));
      return 'failed';
    }
    if (!(err instanceof ApiUnavailableError)) throw err;
    println(ctx.io.stderr, `sriovctl: ${err.message}`);
    if (err.hint) println(ctx.io.stderr, `hint: ${err.hint}`);
    println(ctx.io.stderr, 'hint: --direct applies from this process instead');
    ctx.setExitCode(err.permission ? EXIT.noperm : EXIT.unavailable);
    return 'failed';
  }
  printApplyPath(ctx.io, path);
  return path.kind === 'daemon' ? path.api : null;
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
  if (p.status === 400) return problemKind(p) === 'invalid-policy' ? 65 : EXIT.usage;
  if (p.status === 401 || p.status === 403) return EXIT.noperm;
  if (p.status >= 500) return EXIT.software;
  // Another apply running (409), a refusal (422), the rate limit (429): refused, as apply's 3.
  return 3;
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
    let done: ApplyDoneData | null = null;
    const finished = await api.followEvents(started.since, (m: EventSourceMessage) => {
      if (m.event !== 'apply.step' && m.event !== 'apply.done') return false;
      const e = JSON.parse(m.data) as DaemonEvent;
      const d = e.data;
      if (d.operation !== started.operation) return false;
      if (m.event === 'apply.done') {
        done = d as unknown as ApplyDoneData;
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
    const result = done as ApplyDoneData | null;
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
    const verdict =
      result.verdict ?? (result.remaining ? 'differs' : unverified ? 'unverified' : 'verified');
    if (!flags.json) {
      if (result.remaining)
        println(
          io.stdout,
          out.c.yellow(`Applied, but read-back still differs in ${result.remaining} step(s).`),
        );
      else if (verdict === 'verified')
        println(io.stdout, out.c.green('Applied and verified: the host matches the policy.'));
      // The typed per-VF read-back says why; a daemon older than it only counted settings.
      const also = Boolean(result.remaining);
      const line = result.readBack
        ? unverifiedLine(result.readBack.vfs, also)
        : unverified &&
          `${also ? 'Also' : 'Applied;'} ${unverifiedText(unverified)} could not be verified.`;
      if (line) println(io.stdout, out.c.yellow(line));
    }
    setExit(exitForVerdict(verdict));
  } catch (e) {
    if (!(e instanceof ApiProblemError)) throw e;
    reportProblem(io, locateProblem(e.problem, combined), flags.json === true);
    setExit(applyExitFor(e.problem));
  }
}
