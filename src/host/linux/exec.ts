/**
 * Running the helper programs (ip, devlink, ethtool): argv arrays only, never a shell, C locale so
 * strerror texts are the English ones errnoFromMessage knows, and a deadline that kills the child.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import nodePath from 'node:path';
import { HostCommandError, HostTimeoutError } from '../errors.js';

export interface RunResult {
  /** Exit status, or null when the child died from a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed. Without it stdin is /dev/null. */
  input?: string;
  /**
   * Kill the child (SIGKILL) and reject with HostTimeoutError after this long; default
   * DEFAULT_COMMAND_TIMEOUT_MS. No command runs unbounded: a dump waits for the same RTNL lock a
   * hung netlink write holds, and would otherwise hang its caller (a reconcile, a discovery) too.
   */
  timeoutMs?: number;
  /** What HostTimeoutError names, e.g. `ip -batch`. */
  target?: string;
  /** Shown when the binary is missing, e.g. `apt-get install ethtool`. */
  missingHint: string;
}

/** The deadline of a helper program run without one of its own (reads: dumps, `ethtool -i`). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** The helper binary itself was not found; callers that treat "no tool" as "no feature" catch this. */
export class CommandNotFoundError extends HostCommandError {
  override name = 'CommandNotFoundError';
}

// Root's PATH has the sbin directories but a user's or a service's often does not; iproute2 lives there.
const FALLBACK_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Finds `name` on PATH (then the sbin directories); returns the bare name if nowhere, so running it reports ENOENT. */
export function resolveBinary(name: string, envPath = process.env['PATH'] ?? ''): string {
  const dirs = [...envPath.split(':').filter((d) => d.startsWith('/')), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = nodePath.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return name;
}

/**
 * Runs argv[0] with the remaining arguments and collects its output; a non-zero exit is not an error
 * here, because each tool's caller knows what its exit statuses mean.
 * @throws CommandNotFoundError when the binary does not exist; HostTimeoutError on the deadline.
 */
export function runCommand(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(() => {
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          reject(
            new CommandNotFoundError(
              argv,
              null,
              '',
              `${file}: ${e.code === 'ENOENT' ? 'not found' : 'not executable'}`,
              opts.missingHint,
            ),
          );
        } else {
          reject(new HostCommandError(argv, null, '', `${file}: ${e.message}`));
        }
      });
    });
    child.on('close', (code) => {
      finish(() =>
        resolve({
          code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
    });
    const ms = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    // A child blocked in the kernel (uninterruptible, e.g. waiting for RTNL) dies only once its
    // system call returns: until it is gone, what it asked for may still happen.
    const exited = new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r();
      else child.once('close', () => r()).once('error', () => r());
    });
    // Declared after `finish`, which only runs from events (never before this line).
    const timer = setTimeout(() => {
      finish(() => {
        child.kill('SIGKILL');
        reject(new HostTimeoutError(opts.target ?? argv.join(' '), ms, exited));
      });
    }, ms);
    if (opts.input !== undefined && child.stdin) {
      // The child may exit before reading everything (e.g. `ip -n` with a missing namespace): EPIPE
      // here is expected, and the exit status and stderr tell the real story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** One-line summary of a failed run for HostCommandError messages. */
export function commandFailed(
  argv: readonly string[],
  result: RunResult,
  hint?: string,
): HostCommandError {
  const detail = result.stderr.trim().split('\n').filter(Boolean).join('; ');
  return new HostCommandError(
    argv,
    result.code,
    result.stderr,
    `${argv.join(' ')} exited ${result.code ?? 'abnormally'}${detail ? `: ${detail}` : ''}`,
    hint,
  );
}
