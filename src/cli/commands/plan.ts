/**
 * `sriovctl plan`, `apply` and `diff`: policy files in, the difference to this host out; apply runs
 * it through the executor with confirmation for disruptive steps and progress on stderr.
 */
import type { Command } from 'commander';
import type { Host } from '../../host/host.js';
import { localFiles } from '../../host/linux/index.js';
import { discover } from '../../inventory/discover.js';
import type { Inventory } from '../../inventory/types.js';
import { applyPlan, type ApplyResult } from '../../policy/apply.js';
import {
  loadPolicySources,
  PolicyLoadError,
  resolvePolicies,
  type LoadedPolicy,
} from '../../policy/index.js';
import { planChanges, type PlanOptions } from '../../policy/plan.js';
import type { PlanAnswer } from '../../contract/index.js';
import type { Step } from '../../policy/steps.js';
import { differingOnly, unverifiedText, verify } from '../../policy/verify.js';
import { DEFAULT_API_SOCKET } from '../api-client.js';
import { confirmDisruptive, printStep, unverifiedLine } from '../apply-output.js';
import { applyThroughDaemon, chooseDaemon, combinePolicies } from '../daemon-apply.js';
import { exitForVerdict, PLAN_EXIT, UsageError } from '../exit-codes.js';
import { renderTable, styleFor, type Style } from '../format.js';
import { println, type CliIo } from '../io.js';
import { recordApplied, waitForPfsBeforeApply } from '../persist-hooks.js';
import { openSession, toJson } from '../session.js';
import type { CommandContext } from './context.js';

interface PlanFlags {
  file?: string[];
  json?: boolean;
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
  1   diff: the host differs from the policy; apply: applied, but read-back differs
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
        { head: ['#', 'PF', 'STEP', 'DISRUPTIVE', 'WHY'], rows: stepRows(plan, style) },
        style,
      ),
    );
  for (const r of plan.refusals)
    lines.push(
      style.c.red(
        `refused: ${r.reason} (override: --${r.override === 'force' ? 'force' : 'allow-default-route'})`,
      ),
    );
  for (const n of plan.notes) lines.push(`note: ${n}`);
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

async function makePlan(io: CliIo, host: Host, flags: PlanFlags, setExit: (n: number) => void) {
  const files = flags.file ?? [];
  if (files.length === 0)
    throw new UsageError('no policy files', 'give one or more with -f <file> (YAML or JSON)');
  const inv = await discover(host);
  const desired = await resolveOrReport(io, files, inv, setExit);
  if (!desired) return null;
  const opts: PlanOptions = {
    allowDefaultRoute: flags.allowDefaultRoute === true,
    force: flags.force === true,
  };
  return { plan: planChanges(desired, inv, opts), desired, opts };
}

function withCommon(cmd: Command): Command {
  return cmd
    .requiredOption('-f, --file <path...>', 'policy files (YAML or JSON; several allowed)')
    .option(
      '--allow-default-route',
      'allow disruptive steps on the PF that carries the default route',
    )
    .option('--force', 'allow destroying or rebinding VFs that look in use')
    .option('--json', 'print the plan (and result) as JSON')
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

/** Registers `plan`, `apply` and `diff`. */
export function planCommands(program: Command, ctx: CommandContext): void {
  withCommon(
    program
      .command('plan')
      .description('show the ordered steps that would bring this host to the policy'),
  ).action(async (flags: PlanFlags, cmd: Command) => {
    const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
    const r = await makePlan(ctx.io, host, flags, ctx.setExitCode);
    if (!r) return;
    const style = styleFor(ctx.io.stdout, ctx.io.env);
    if (flags.json) ctx.io.stdout.write(toJson(r.plan));
    else println(ctx.io.stdout, renderPlan(r.plan, style));
    if (r.plan.refusals.length) ctx.setExitCode(PLAN_EXIT.refused);
  });

  withCommon(
    program
      .command('diff')
      .description('show where this host differs from the policy (out-of-band changes, drift)'),
  ).action(async (flags: PlanFlags, cmd: Command) => {
    const host = await openSession(ctx.io, ctx.hostFlags(cmd), 'linux');
    const r = await makePlan(ctx.io, host, flags, ctx.setExitCode);
    if (!r) return;
    const style = styleFor(ctx.io.stdout, ctx.io.env);
    const v = verify(r.plan);
    if (flags.json)
      ctx.io.stdout.write(
        toJson({
          drift: v.differs.length > 0,
          verdict: v.verdict,
          unverified: v.unverified,
          plan: r.plan,
        }),
      );
    else {
      const unknown = v.unverified.length
        ? `Cannot be verified: ${unverifiedText(v.unverified)} (the kernel's netlink VF list does not include those VFs).`
        : null;
      const lines =
        v.verdict === 'differs'
          ? [
              `Drift: ${v.differs.length} difference(s)`,
              renderPlan(differingOnly(r.plan, v), style),
            ]
          : [
              v.verdict === 'verified'
                ? 'No drift: the host matches the policy.'
                : 'No drift in what the kernel reports.',
            ];
      println(ctx.io.stdout, [...lines, ...(unknown ? [style.c.yellow(unknown)] : [])].join('\n'));
    }
    ctx.setExitCode(exitForVerdict(v.verdict));
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
        const style = styleFor(ctx.io.stdout, ctx.io.env);
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
      const r = await makePlan(ctx.io, host, flags, ctx.setExitCode);
      if (!r) return;
      const out = styleFor(ctx.io.stdout, ctx.io.env);
      const err = styleFor(ctx.io.stderr, ctx.io.env);
      if (!flags.json) println(ctx.io.stdout, renderPlan(r.plan, out));
      if (flags.dryRun || r.plan.steps.length === 0) {
        if (flags.json) ctx.io.stdout.write(toJson({ plan: r.plan, applied: false }));
        // Nothing to do is the host at the policy: recorded as applied (never on a dry run).
        if (!flags.dryRun) await recordApplied(ctx.io, host, r.desired);
        if (r.plan.refusals.length) ctx.setExitCode(PLAN_EXIT.refused);
        return;
      }
      if (r.plan.refusals.length) {
        ctx.setExitCode(PLAN_EXIT.refused);
        return;
      }
      const disruptive = r.plan.steps.filter((s: Step) => s.disruptive).length;
      if (!(await confirmDisruptive(ctx.io, disruptive, flags.yes === true, err))) {
        ctx.setExitCode(3);
        return;
      }
      const result = await applyPlan(host, r.plan, {
        confirmedDisruptive: disruptive > 0 || flags.yes === true,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
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
      printApplyResult(ctx.io, result, err);
      if (!result.ok) {
        if (flags.json)
          ctx.io.stdout.write(toJson({ plan: r.plan, applied: false, outcomes: result.outcomes }));
        ctx.setExitCode(2);
        return;
      }
      await recordApplied(ctx.io, host, r.desired);
      // Read back: a fresh discovery and plan against the same desired state.
      const after = planChanges(r.desired, await discover(host), r.opts);
      const v = verify(after);
      if (flags.json)
        ctx.io.stdout.write(
          toJson({
            plan: r.plan,
            applied: true,
            verdict: v.verdict,
            unverified: v.unverified,
            remaining: differingOnly(after, v),
          }),
        );
      else {
        if (v.verdict === 'verified')
          println(ctx.io.stdout, out.c.green('Applied and verified: the host matches the policy.'));
        if (v.verdict === 'differs')
          println(
            ctx.io.stdout,
            out.c.yellow(
              `Applied, but read-back still differs:\n${renderPlan(differingOnly(after, v), out)}`,
            ),
          );
        if (v.unverified.length)
          println(
            ctx.io.stdout,
            out.c.yellow(unverifiedLine(v.unverified, v.verdict === 'differs')),
          );
      }
      ctx.setExitCode(exitForVerdict(v.verdict));
    });
}
