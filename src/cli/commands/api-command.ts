/**
 * What every command that talks to the daemon shares: the --api/--token/--json flags, the client,
 * flag validation with the API contract's zod schemas (so a mistake names the flag and the field
 * before anything is sent), and how the daemon's problems and an unreachable daemon are printed
 * and mapped to exit codes.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { problemOf, resourceName, type PlacementExplanation } from '../../contract/index.js';
import { describeExclusions } from '../../ledger/placement.js';
import {
  ApiClient,
  ApiProblemError,
  ApiUnavailableError,
  DEFAULT_API_SOCKET,
  parseEndpoint,
  type Endpoint,
  type Problem,
} from '../api-client.js';
import { API_EXIT_CODES, EXIT, UsageError } from '../exit-codes.js';
import { styleFor } from '../format.js';
import { println, type CliIo } from '../io.js';
import type { CommandContext } from './context.js';

export interface ApiFlags {
  api?: string;
  token?: string;
  json?: boolean;
}

/** Adds --api, --token and (unless told not to) --json, and the exit codes to the help. */
export function apiOptions(cmd: Command, json = true): Command {
  cmd
    .option(
      '--api <url>',
      `the daemon: unix:/PATH or http://HOST:PORT (env SRIOVCTL_API; default unix:${DEFAULT_API_SOCKET})`,
    )
    .option(
      '--token <secret>',
      'bearer token for http (env SRIOVCTL_TOKEN, which keeps it out of the process list)',
    );
  if (json) cmd.option('--json', "print the API's JSON answer");
  return cmd.addHelpText('after', `\nExit codes:\n${API_EXIT_CODES.replace(/^[^\n]*\n/, '')}`);
}

export function endpointOf(flags: ApiFlags, env: CliIo['env']): Endpoint {
  const api = flags.api ?? env['SRIOVCTL_API'];
  return api ? parseEndpoint(api) : { kind: 'unix', path: DEFAULT_API_SOCKET };
}

export function clientFor(flags: ApiFlags, env: CliIo['env']): ApiClient {
  const token = flags.token ?? env['SRIOVCTL_TOKEN'];
  return new ApiClient(endpointOf(flags, env), token ? token : undefined);
}

/** 400 → usage, 401/403 → not allowed, 5xx → host or internal error, other 4xx → refused. */
export function exitForProblem(status: number): number {
  if (status === 400) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.noperm;
  if (status >= 500) return EXIT.software;
  return EXIT.refused;
}

function isExplanation(v: unknown): v is PlacementExplanation {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as PlacementExplanation).poolVfs === 'number' &&
    Array.isArray((v as PlacementExplanation).excluded)
  );
}

/** `placement: 8 in the pool; excluded: 3 attached to a consumer (strategy spread)`. */
export function placementLine(p: PlacementExplanation): string {
  return `placement: ${describeExclusions(p)}; ${p.candidates} candidate${p.candidates === 1 ? '' : 's'} (strategy ${p.strategy})`;
}

/** A problem as the user reads it: what happened, the field, the placement numbers, the fix. */
export function reportProblem(
  io: CliIo,
  p: Problem,
  json: boolean,
  fieldFlags: Readonly<Record<string, string>> = {},
): void {
  if (json) io.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
  const { c } = styleFor(io.stderr, io.env);
  println(io.stderr, c.red(`sriovctl: ${p.detail}`));
  const errors = p.errors ?? [];
  if (errors.length > 1) for (const e of errors) println(io.stderr, `  ${e.field}: ${e.message}`);
  else if (p.field !== undefined) {
    const flag = flagFor(p.field.split('.'), fieldFlags);
    println(io.stderr, `field: ${p.field}${flag ? ` (${flag})` : ''}`);
  }
  const placement = p['placement'];
  // Some refusals already carry the exclusions in their detail; say them once.
  if (isExplanation(placement) && !p.detail.includes(describeExclusions(placement)))
    println(io.stderr, placementLine(placement));
  if (p.fix !== undefined) println(io.stderr, `${c.bold('fix:')} ${p.fix}`);
}

/**
 * Runs `body` with a client. The daemon's problems and an unreachable daemon are reported here,
 * with their exit codes; anything else (usage errors, bugs) goes up to main.
 */
export async function withApi(
  ctx: CommandContext,
  flags: ApiFlags,
  body: (api: ApiClient) => Promise<void>,
  /** Request fields → the flags they came from, so a refusal's field names the flag too. */
  fieldFlags: Readonly<Record<string, string>> = {},
): Promise<void> {
  const api = clientFor(flags, ctx.io.env);
  try {
    await body(api);
  } catch (err) {
    if (err instanceof ApiProblemError) {
      reportProblem(ctx.io, err.problem, flags.json === true, fieldFlags);
      ctx.setExitCode(exitForProblem(err.problem.status));
      return;
    }
    if (err instanceof ApiUnavailableError) {
      println(ctx.io.stderr, `sriovctl: ${err.message}`);
      if (err.hint) println(ctx.io.stderr, `hint: ${err.hint}`);
      ctx.setExitCode(err.permission ? EXIT.noperm : EXIT.unavailable);
      return;
    }
    throw err;
  }
}

/** Prints a value as the API answered it. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The flag a field of a request body came from: the field itself, else its nearest parent's. */
function flagFor(path: readonly PropertyKey[], flags: Readonly<Record<string, string>>): string {
  for (let n = path.length; n > 0; n--) {
    const f = flags[path.slice(0, n).map(String).join('.')];
    if (f !== undefined) return f;
  }
  return '';
}

/**
 * Validates a request body built from flags with the ledger's schema. Every issue names the flag
 * and the field (`--min-tx-rate (minTxRate): ...`), and nothing is sent when one fails.
 */
export function validated<S extends z.ZodType>(
  schema: S,
  value: unknown,
  flags: Readonly<Record<string, string>>,
  command: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const parts = r.error.issues.map((i) => {
    const field = i.path.map(String).join('.');
    const flag = flagFor(i.path, flags);
    const where = flag && field ? `${flag} (${field})` : flag || field || 'request';
    return `${where}: ${i.message}`;
  });
  throw new UsageError(parts.join('; '), `see \`sriovctl ${command} --help\``);
}

/** A whole number from a flag; ranges are the schema's business. */
export function intFlag(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim()))
    throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a whole number`);
  return Number(v);
}

/** Commander collector for list flags: repeat the flag or separate values with commas. */
export function collectList(v: string, prev: string[] | undefined): string[] {
  return [
    ...(prev ?? []),
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** A tenant or pool name from the command line, checked like the API checks it. */
export function nameArg(kind: 'tenant' | 'pool' | 'token', v: string): string {
  const r = resourceName.safeParse(v);
  if (!r.success)
    throw new UsageError(
      `${kind} name ${JSON.stringify(v)}: ${r.error.issues[0]?.message ?? 'invalid'}`,
    );
  return r.data;
}

/** An attachment or token ID (a UUID). */
export function idArg(kind: 'attachment' | 'token', v: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
    throw new UsageError(
      `${JSON.stringify(v)} is not ${kind === 'attachment' ? 'an attachment' : 'a token'} ID (a UUID)`,
      `\`sriovctl ${kind === 'attachment' ? 'attachments' : 'token list'}\` shows the IDs`,
    );
  return v.toLowerCase();
}

/**
 * `create` refuses to replace silently (the API's PUT would): answered like the daemon's own
 * conflicts, so it exits 1 and --json prints the problem.
 */
export function alreadyExists(kind: 'tenant' | 'pool', name: string): ApiProblemError {
  return new ApiProblemError(
    problemOf('conflict', `${kind} ${name} already exists`, {
      fix: 'pass --replace to replace its whole spec (flags not given return to their defaults)',
    }),
  );
}

/** Whether the daemon already has `path` (for `create` that must not replace silently). */
export async function exists(api: ApiClient, path: string): Promise<boolean> {
  try {
    await api.get(path);
    return true;
  } catch (err) {
    if (err instanceof ApiProblemError && err.problem.status === 404) return false;
    throw err;
  }
}
