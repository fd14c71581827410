/**
 * The sriovctl command line: parses argv with commander, hands each command to its module, and
 * turns every failure into one `sriovctl: <message>` line plus a hint and a sysexits-style code.
 */
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { SriovctlError } from '../host/errors.js';
import { localFiles } from '../host/linux/index.js';
import { attachCommands } from './commands/attach.js';
import { auditCommand } from './commands/audit.js';
import { doctorCommand } from './commands/doctor.js';
import type { CommandContext } from './commands/context.js';
import { fixturesCommand } from './commands/fixtures.js';
import { installCommands } from './commands/install.js';
import { inventoryCommand } from './commands/inventory.js';
import { overviewCommand } from './commands/overview.js';
import { planCommands } from './commands/plan.js';
import { poolCommands } from './commands/pool.js';
import { serveCommand } from './commands/serve.js';
import { tenantCommands } from './commands/tenant.js';
import { tokenCommands } from './commands/token.js';
import { topCommand } from './commands/top.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit-codes.js';
import { println, type CliIo } from './io.js';
import type { HostFlags } from './open-host.js';
import { askOnTerminal } from './terminal.js';

const COMMANDS = [
  'overview',
  'inventory',
  'doctor',
  'fixtures',
  'help',
  'plan',
  'apply',
  'diff',
  'serve',
  'install',
  'uninstall',
  'tenant',
  'pool',
  'attach',
  'detach',
  'attachments',
  'audit',
  'token',
  'whoami',
  'top',
];

/**
 * `--sim` takes an optional fixture name, so commander would read `--sim doctor` as fixture
 * "doctor". A bare `--sim` directly before a command name therefore means the default fixture.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  return argv.map((a, i) => (a === '--sim' && COMMANDS.includes(argv[i + 1] ?? '') ? '--sim=' : a));
}

/** Global options whose value is the next argument (`--sim` only when the next is no option). */
function takesValue(arg: string, next: string | undefined): boolean {
  if (arg === '--sysfs-root') return true;
  return arg === '--sim' && next !== undefined && !next.startsWith('-');
}

/** The first argument that is neither a global option nor its value: the command, if any. */
export function firstOperand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (takesValue(a, argv[i + 1])) i++;
  }
  return undefined;
}

const HELP_OR_VERSION = new Set(['--help', '-h', '--version', '-V']);

/**
 * What commander should parse. No command runs the overview (`npm start`, a bare `sriovctl`); an
 * unknown one must fail with a suggestion even with `--help` after it, which commander would
 * otherwise answer with the program's help and exit 0 — so the help flag goes for that parse.
 */
export function routeArgv(argv: readonly string[], commands: readonly string[]): string[] {
  const args = normalizeArgv(argv);
  const op = firstOperand(args);
  if (op === undefined)
    return args.some((a) => HELP_OR_VERSION.has(a)) ? args : normalizeArgv([...argv, 'overview']);
  if (commands.includes(op)) return args;
  return args.filter((a) => a !== '--help' && a !== '-h');
}

function version(): string {
  // package.json is two levels up from both src/cli and dist/cli.
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  const pkg = JSON.parse(localFiles.readText(file)) as { version: string };
  return pkg.version;
}

function buildProgram(io: CliIo, setExitCode: (n: number) => void): Command {
  const program = new Command('sriovctl');
  program
    .description(
      'SR-IOV control plane for Linux hosts: inventory, preflight checks, declarative VF provisioning, and (through the daemon) tenants, pools and VF attachments',
    )
    .version(version())
    .option(
      '--sim [fixture]',
      'use the simulated kernel (default fixture dual-socket-e810-cx6; env SRIOVCTL_SIM)',
    )
    .option(
      '--sim-state <file>',
      'keep the simulated host in this file (default: one per fixture under $XDG_STATE_HOME/sriovctl/sim)',
    )
    .option('--sim-fresh', 'a throwaway simulated host: boot the fixture afresh, keep nothing')
    .option('--sysfs-root <dir>', 'read a Linux host with sysfs mounted at <dir> (default /sys)')
    .option('--debug', 'print stack traces for errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) =>
        write(
          `sriovctl: ${s.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)/, ' (did you mean $1?)')}`,
        ),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  const ctx: CommandContext = {
    io,
    setExitCode,
    hostFlags: (cmd: Command): HostFlags => {
      const g = cmd.optsWithGlobals<{
        sim?: string | boolean;
        sysfsRoot?: string;
        simState?: string;
        simFresh?: boolean;
      }>();
      return {
        ...(g.sim !== undefined ? { sim: g.sim } : {}),
        ...(g.sysfsRoot !== undefined ? { sysfsRoot: g.sysfsRoot } : {}),
        ...(g.simState !== undefined ? { simState: g.simState } : {}),
        ...(g.simFresh === true ? { simFresh: true } : {}),
      };
    },
  };
  overviewCommand(program, ctx);
  inventoryCommand(program, ctx);
  doctorCommand(program, ctx);
  fixturesCommand(program, ctx);
  planCommands(program, ctx);
  serveCommand(program, ctx);
  installCommands(program, ctx);
  tenantCommands(program, ctx);
  poolCommands(program, ctx);
  attachCommands(program, ctx);
  auditCommand(program, ctx);
  tokenCommands(program, ctx);
  topCommand(program, ctx);
  return program;
}

/** Prints an error as the user should see it and returns the exit code. */
function reportError(err: unknown, io: CliIo, debug: boolean): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (help and --version exit 0).
    if (err.exitCode === 0) return EXIT.ok;
    println(io.stderr, 'hint: run `sriovctl --help` (or `sriovctl <command> --help`) for usage');
    return EXIT.usage;
  }
  const message = err instanceof Error ? err.message : String(err);
  const known = err instanceof SriovctlError;
  println(io.stderr, `sriovctl: ${known ? message : `internal error: ${message}`}`);
  if (known && err.hint) println(io.stderr, `hint: ${err.hint}`);
  if (!known && !debug)
    println(io.stderr, 'hint: rerun with --debug for the stack trace and report it');
  if (debug && err instanceof Error && err.stack) println(io.stderr, err.stack);
  return err instanceof UsageError ? EXIT.usage : EXIT.software;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (n) => {
    exitCode = n;
  });
  try {
    const commands = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    await program.parseAsync(routeArgv(argv, [...commands, 'help']), { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err, io, argv.includes('--debug'));
  }
}

/** The process entry used by bin/sriovctl.js. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
  });
}
