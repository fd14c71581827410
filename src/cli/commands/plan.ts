/**
 * `sriovctl plan`, `apply` and `diff`: policy files in, the difference to this host out; apply runs
 * it through the executor with confirmation for disruptive steps and progress on stderr.
 */
import type { Command } from 'commander';
import type { Host } from '../../host/host.js';
import { localFiles } from '../../host/linux/index.js';
import type { Inventory } from '../../inventory/types.js';
import type { ApplyResult } from '../../policy/apply.js';
import { ApplyPolicy, InvalidPolicyError, type Prepared } from '../../policy/apply-policy.js';
import {
  loadPolicySources,
  PolicyLoadError,
  resolvePolicies,
  type DesiredPf,
  type LoadedPolicy,
} from '../../policy/index.js';
import { PolicyRefusedError } from '../../policy/refusal.js';
import { readBack, unreadableClauses } from '../../policy/verify.js';
import { APPLIED_STATE_FILE } from '../../boot/locations.js';
import { loadAppliedState, recordAppliedState } from '../../boot/state.js';
import type { PlanAnswer } from '../../contract/index.js';
import { DEFAULT_API_SOCKET } from '../api-client.js';
import { printRefusal, printStep, unverifiedLine } from '../apply-output.js';
import { applyThroughDaemon, chooseDaemon, combinePolicies } from '../daemon-apply.js';
import { exitForRefusal, exitForVerdict, PLAN_EXIT, UsageError } from '../exit-codes.js';
import { renderTable, styleFor, unlimited, wrapText, type Style } from '../format.js';
import { println, type CliIo } from '../io.js';
import { waitForPfsBeforeApply, warnNotRecorded } from '../persist-hooks.js';
import { openSession, toJson } from '../session.js';
import type { CommandContext } from './context.js';

interface PlanFlags {
  file?: string[];
  json?: boolean;
  wide?: boolean;
  allowDefaultRoute?: boolean;
  force?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  timeout?: string;
  waitForPfs?: string;
  api?: string;
  token?: string;
  direct?: boolean;
}

export const PLAN_EXIT_HELP = `
Exit codes:
  0   plan: nothing refused; apply: applied and verified; diff: no drift
  1   diff: the host differs from the policy (or, with --applied, from the last applied state);
      apply: applied, but read-back differs
  2   apply: a step failed (the host is left as reported; run apply again to converge)
  3   plan/apply: refused (needs --yes, --force or --allow-default-route)
  4   diff: no known drift, but some settings cannot be verified; apply: applied, but some
      settings cannot be verified (VFs the kernel's netlink VF list leaves out, above ~220 VFs)
  65  the policy files are invalid (each problem is printed as file:line:col: field: message)
  64  usage error; 70 host or internal error`;

/** Reads and parses policy files; problems are printed and exit 65 (null is returned). */
export function loadOrReport(io: CliIo, files: string[], setExit: (n: number) => void) {
  try {
    return loadPolicySources(files, localFiles);
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
    const err = styleFor(io.stderr, io.env);
    for (const i of e.issues) println(io.stderr, err.c.red(i.text));
    setExit(65);
    return null;
  }
}

/** Loads and resolves policies against the host's inventory; policy problems exit 65. */
export async function resolveOrReport(
  io: CliIo,
  files: string[],
  inv: Inventory,
  setExit: (n: number) => void,
) {
  const loaded = loadOrReport(io, files, setExit);
  return loaded ? resolveLoadedOrReport(io, loaded.policies, inv, setExit) : null;
}

/** Resolves already-loaded policies against the inventory; problems are printed and exit 65. */
export function resolveLoadedOrReport(
  io: CliIo,
  docs: LoadedPolicy[],
  inv: Inventory,
  setExit: (n: number) => void,
) {
  const err = styleFor(io.stderr, io.env);
  const r = resolvePolicies(docs, inv);
  for (const w of r.warnings) println(io.stderr, err.c.yellow(`warning: ${w.text}`));
  if (r.errors.length) {
    for (const e of r.errors) println(io.stderr, err.c.red(e.text));
    setExit(65);
    return null;
  }
  return r.desired;
}

function stepRows(plan: PlanAnswer['plan'], style: Style): string[][] {
  return plan.steps.map((s, i) => [
    String(i + 1),
    s.netdev ?? s.pf,
    s.what,
    s.disruptive ? style.c.yellow(`yes: ${s.disruptive}`) : 'no',
    s.why,
  ]);
}

/** The plan as a table, or a one-line "nothing to do". */
export function renderPlan(plan: PlanAnswer['plan'], style: Style): string {
  const lines: string[] = [];
  if (plan.steps.length === 0) lines.push('Nothing to do: the host matches the policy.');
  else
    lines.push(
      renderTable(
        {
          head: ['#', 'PF', 'STEP', 'DISRUPTIVE', 'WHY'],
          rows: stepRows(plan, style),
          // Too wide: the PF goes (each step names it), and the prose wraps rather than being cut.
          drop: [1],
          shrink: [4, 3, 2],
          wrap: [2, 3, 4],
        },
        style,
      ),
    );
  for (const r of plan.refusals)
    lines.push(
      // Not wrapped: a refusal stays one greppable line with its override.
      style.c.red(
        `refused: ${r.reason} (override: --${r.override === 'force' ? 'force' : 'allow-default-route'})`,
      ),
    );
  for (const n of plan.notes) lines.push(wrapText(`note: ${n}`, style.width));
  return lines.join('\n');
}

function parseTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(
      `--timeout ${JSON.stringify(v)}: expected milliseconds, a positive integer`,
    );
  return n;
}

/** The apply-policy use case on this host, without a daemon: no ledger, applied.json recorded. */
function directPolicy(host: Host, timeoutMs?: number): ApplyPolicy {
  return new ApplyPolicy({
    host,
    recordApplied: async (desired) => void (await recordAppliedState(host, desired)),
    ...(timeoutMs === undefined ? {} : { kernelTimeoutMs: timeoutMs }),
  });
}

/**
 * Loads the policy files and prepares their plan against a fresh discovery; warnings are printed,
 * problems printed and exit 65 (null is returned).
 */
async function makePlan(
  io: CliIo,
  policy: ApplyPolicy,
  flags: PlanFlags,
  setExit: (n: number) => void,
): Promise<Prepared<DesiredPf> | null> {
  const files = flags.file ?? [];
  if (files.length === 0)
    throw new UsageError('no policy files', 'give one or more with -f <file> (YAML or JSON)');
  const loaded = loadOrReport(io, files, setExit);
  if (!loaded) return null;
  const err = styleFor(io.stderr, io.env);
  try {
    const p = await policy.prepare(loaded.policies, flags);
    for (const w of p.warnings) println(io.stderr, err.c.yellow(`warning: ${w}`));
    return p;
  } catch (e) {
    if (!(e instanceof InvalidPolicyError)) throw e;
    for (const w of e.warnings) println(io.stderr, err.c.yellow(`warning: ${w.text}`));
    for (const i of e.issues) println(io.stderr, err.c.red(i.text));
    setExit(PLAN_EXIT.invalidPolicy);
    return null;
  }
}

/** stdout's style; `--wide` lifts the width limit (every column, nothing cut or wrapped). */
function outStyle(io: CliIo, flags: { wide?: boolean }): Style {
  const style = styleFor(io.stdout, io.env);
  return flags.wide ? unlimited(style) : style;
}

function withCommon(cmd: Command, files: 'required' | 'optional' = 'required'): Command {
  const f = ['-f, --file <path...>', 'policy files (YAML or JSON; several allowed)'] as const;
  return (files === 'required' ? cmd.requiredOption(...f) : cmd.option(...f))
    .option(
      '--allow-default-route',
      'allow disruptive steps on the PF that carries the default route',
    )
    .option('--force', 'allow destroying or rebinding VFs that look in use')
    .option('--json', 'print the plan (and result) as JSON')
    .option('--wide', 'print the plan table at full width (by default it fits the terminal)')
    .addHelpText('after', PLAN_EXIT_HELP);
}

function printApplyResult(io: CliIo, result: ApplyResult, style: Style): void {
  // Steps sent in one batch can fail together; the steps not run are said once, after them.
  for (const o of result.outcomes) {
    if (o.status !== 'failed') continue;
    println(io.stderr, style.c.red(`failed: ${o.error?.message ?? o.step.what}`));
    if (o.error?.hint) println(io.stderr, `hint: ${o.error.hint}`);
  }
  const skipped = result.outcomes.filter((x) => x.status === 'skipped').length;
  if (skipped && !result.ok)
    println(
      io.stderr,
      `${skipped} later step(s) not run; run apply again once fixed: it starts from the host as it is now`,
    );
}

/**
 * `sriovctl diff`: the host against policy files (-f) or, with --applied, against the desired state
 * the last successful apply recorded (applied.json: the boot unit's apply, a direct apply, the
 * daemon's). Exit codes by the read-back's verdict.
 */
export async function diffCommand(
  io: CliIo,
  host: Host,
  flags: PlanFlags & { applied?: boolean },
  setExit: (n: number) => void,
): Promise<void> {
  const policy = directPolicy(host);
  let r: Prepared;
  if (flags.applied) {
    if (flags.file?.length) throw new UsageError('-f and --applied exclude each other', 'pick one');
    const last = await loadAppliedState(host);
    if (!last)
      throw new UsageError(
        `nothing recorded in ${APPLIED_STATE_FILE}: no apply has succeeded on this host yet`,
        'apply policies first (sriovctl apply -f ...), or diff against policy files with -f',
      );
    r = await policy.prepareTargets(last.desired, flags);
    if (!flags.json)
      println(io.stdout, `Against the state applied at ${last.appliedAt} (${APPLIED_STATE_FILE}):`);
  } else {
    const p = await makePlan(io, policy, flags, setExit);
    if (!p) return;
    r = p;
  }
  const style = outStyle(io, flags);
  // The plan just made is the read-back of the host against the desired state.
  const v = readBack(r.desired, r.inventory, r.plan);
  if (flags.json)
    io.stdout.write(
      toJson({
        drift: v.differs.length > 0,
        verdict: v.verdict,
        unverified: v.unverified,
        readBack: { pfs: v.pfs, vfs: v.vfs },
        plan: r.plan,
      }),
    );
  else {
    const unknown = unreadableClauses(v.vfs).map((c) =>
      style.c.yellow(`Cannot be verified: ${c.what} (${c.why}).`),
    );
    const lines =
      v.verdict === 'differs'
        ? [
            `Drift: ${v.differs.length} difference(s)`,
            renderPlan({ ...r.plan, steps: v.differs }, style),
          ]
        : [
            v.verdict === 'verified'
              ? 'No drift: the host matches the policy.'
              : 'No drift in what the kernel reports.',
          ];
    println(io.stdout, [...lines, ...unknown].join('\n'));
  }
  setExit(exitForVerdict(v.verdict));
}

/** Registers `plan`, `apply` and `diff`. */
export function planCommands(program: Command, ctx: CommandContext): void {
  withCommon(
    program
      .command('plan')
      .description('show the ordered steps that would bring this host to the policy'),
  ).action(async (flags: PlanFlags, cmd: Command) => {
    const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
    const r = await makePlan(ctx.io, directPolicy(host), flags, ctx.setExitCode);
    if (!r) return;
    const style = outStyle(ctx.io, flags);
    if (flags.json) ctx.io.stdout.write(toJson(r.plan));
    else println(ctx.io.stdout, renderPlan(r.plan, style));
    if (r.plan.refusals.length) ctx.setExitCode(PLAN_EXIT.refused);
  });

  withCommon(
    program
      .command('diff')
      .description('show where this host differs from the policy (out-of-band changes, drift)')
      .option(
        '--applied',
        `compare with what the last successful apply brought the host to (${APPLIED_STATE_FILE}) instead of policy files`,
      ),
    'optional',
  ).action(async (flags: PlanFlags & { applied?: boolean }, cmd: Command) => {
    const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
    await diffCommand(ctx.io, host, flags, ctx.setExitCode);
  });

  withCommon(
    program.command('apply').description('apply policy files to this host through the executor'),
  )
    .option('-y, --yes', 'confirm disruptive steps without asking')
    .option('--dry-run', 'only show the plan (same as `sriovctl plan`)')
    .option('--timeout <ms>', 'deadline for each kernel write (default 30000)')
    .option(
      '--wait-for-pfs <seconds>',
      'first wait (bounded) for the PFs the policies select to appear, as at boot (always direct)',
    )
    .option(
      '--api <url>',
      'apply through this sriovctl daemon: unix:/PATH or http://HOST:PORT (env SRIOVCTL_API)',
    )
    .option('--token <secret>', 'bearer token for an http daemon (env SRIOVCTL_TOKEN)')
    .option(
      '--direct',
      'apply from this process even when a sriovctl daemon serves this host (it cannot hold attaches meanwhile)',
    )
    .addHelpText(
      'after',
      `
On the real host, when a sriovctl daemon answers on unix:${DEFAULT_API_SOCKET}, apply goes through it:
the daemon holds attaches and detaches while it reshapes PFs and gives recreated VFs back to their
consumers. --timeout applies to direct applies only.`,
    )
    .action(async (flags: PlanFlags, cmd: Command) => {
      const timeoutMs = parseTimeout(flags.timeout);
      const daemon = await chooseDaemon(ctx, flags, cmd);
      if (daemon === 'failed') return;
      if (daemon) {
        const loaded = loadOrReport(ctx.io, flags.file ?? [], ctx.setExitCode);
        if (!loaded) return;
        const style = outStyle(ctx.io, flags);
        await applyThroughDaemon(
          ctx.io,
          daemon,
          combinePolicies(loaded.sources),
          flags,
          (a) => renderPlan(a.plan, style),
          ctx.setExitCode,
        );
        return;
      }
      const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
      await waitForPfsBeforeApply(ctx.io, host, flags.file ?? [], flags.waitForPfs);
      const policy = directPolicy(host, timeoutMs);
      const r = await makePlan(ctx.io, policy, flags, ctx.setExitCode);
      if (!r) return;
      const out = outStyle(ctx.io, flags);
      const err = styleFor(ctx.io.stderr, ctx.io.env);
      if (!flags.json) println(ctx.io.stdout, renderPlan(r.plan, out));
      if (flags.dryRun || r.plan.steps.length === 0) {
        if (flags.json) ctx.io.stdout.write(toJson({ plan: r.plan, applied: false }));
        // Nothing to do is the host at the policy: recorded as applied (never on a dry run).
        if (!flags.dryRun) {
          const notRecorded = await policy.record(r);
          if (notRecorded !== null) warnNotRecorded(ctx.io, notRecorded);
        }
        if (r.plan.refusals.length) ctx.setExitCode(PLAN_EXIT.refused);
        return;
      }
      // On a terminal, disruptive steps are asked about; anything else refused is said once.
      const disruptive = r.plan.steps.filter((s) => s.disruptive).length;
      let confirmed = flags.yes === true;
      if (disruptive && !confirmed && ctx.io.confirm && r.plan.refusals.length === 0) {
        confirmed = await ctx.io.confirm(`Apply ${disruptive} disruptive step(s)?`);
        if (!confirmed) {
          ctx.setExitCode(PLAN_EXIT.refused);
          return;
        }
      }
      let applied;
      try {
        applied = await policy.apply(r, {
          confirmedDisruptive: confirmed,
          progress: (e) => {
            if (flags.json) return;
            printStep(ctx.io, err, {
              index: e.index,
              total: e.total,
              what: e.step.what,
              status: e.type === 'start' ? 'start' : e.type === 'done' ? 'done' : 'failed',
              ...(e.type === 'done' ? { ms: e.ms } : {}),
            });
          },
        });
      } catch (e) {
        if (!(e instanceof PolicyRefusedError)) throw e;
        printRefusal(ctx.io, e, err);
        ctx.setExitCode(exitForRefusal(e));
        return;
      }
      const result = applied.result;
      printApplyResult(ctx.io, result, err);
      if (!result.ok) {
        if (flags.json)
          ctx.io.stdout.write(toJson({ plan: r.plan, applied: false, outcomes: result.outcomes }));
        ctx.setExitCode(PLAN_EXIT.stepFailed);
        return;
      }
      if (applied.recordError !== null) warnNotRecorded(ctx.io, applied.recordError);
      const v = applied.readBack!;
      if (flags.json)
        ctx.io.stdout.write(
          toJson({
            plan: r.plan,
            applied: true,
            verdict: v.verdict,
            unverified: v.unverified,
            readBack: { pfs: v.pfs, vfs: v.vfs },
            remaining: { ...v.plan, steps: v.differs },
          }),
        );
      else {
        if (v.verdict === 'verified')
          println(ctx.io.stdout, out.c.green('Applied and verified: the host matches the policy.'));
        if (v.verdict === 'differs')
          println(
            ctx.io.stdout,
            out.c.yellow(
              `Applied, but read-back still differs:\n${renderPlan({ ...v.plan, steps: v.differs }, out)}`,
            ),
          );
        const unread = unverifiedLine(v.vfs, v.verdict === 'differs');
        if (unread) println(ctx.io.stdout, out.c.yellow(unread));
      }
      ctx.setExitCode(exitForVerdict(v.verdict));
    });
}
