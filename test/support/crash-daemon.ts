/**
 * `sriovctl serve` on a persistent simulated host as a child process that a test can SIGKILL and
 * start again on the same ledger database and kernel state file.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./crash-daemon-main.ts', import.meta.url));
const TOKEN_RE = /admin token for this simulated host: (\S+)/;

export interface DaemonFiles {
  fixture: string;
  db: string;
  simState: string;
}

/** One JSON log line the daemon printed on stdout (anything else on stdout as `raw`). */
export type LogLine = Record<string, unknown> & { event?: string };

function parseLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return { raw: line };
  }
}

export class CrashDaemon {
  readonly logs: LogLine[] = [];
  stderr = '';
  /** The TCP API's base URL, from the `listening` log line. */
  url = '';
  private out = '';
  private readonly exit: Promise<NodeJS.Signals | number | null>;
  private readonly ready: Promise<void>;
  private onReady: () => void = () => undefined;

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    this.exit = new Promise((res) => child.on('exit', (code, signal) => res(signal ?? code)));
    this.ready = new Promise((res) => (this.onReady = res));
    child.stdout.on('data', (b: Buffer) => this.collect(b));
    child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
  }

  /** Starts the daemon and resolves once it logged `ready` (reconciled, listening). */
  static async start(files: DaemonFiles): Promise<CrashDaemon> {
    const d = new CrashDaemon(
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          ENTRY,
          '--sim',
          files.fixture,
          'serve',
          '--listen',
          '127.0.0.1:0',
          '--no-socket',
          '--db',
          files.db,
          '--sim-state',
          files.simState,
          '--rate-limit',
          '0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      ),
    );
    await Promise.race([
      d.ready,
      d.exit.then((how) => {
        throw new Error(`daemon exited (${how}) before ready:\n${d.stderr}`);
      }),
    ]);
    if (!d.url) throw new Error('daemon ready without a TCP listener');
    // The token line goes to stderr before `ready` goes to stdout, but the two pipes are read in
    // any order. One HTTP round trip later every byte written before `ready` has been read.
    await fetch(`${d.url}/api/v1/whoami`).then((r) => r.arrayBuffer());
    return d;
  }

  private collect(b: Buffer): void {
    this.out += b.toString();
    let nl: number;
    while ((nl = this.out.indexOf('\n')) >= 0) {
      const log = parseLine(this.out.slice(0, nl));
      this.out = this.out.slice(nl + 1);
      this.logs.push(log);
      if (log.event === 'listening' && typeof log.url === 'string') this.url = log.url;
      if (log.event === 'ready') this.onReady();
    }
  }

  /** The admin token a fresh simulated host prints once, or null if this start printed none. */
  get printedToken(): string | null {
    return TOKEN_RE.exec(this.stderr)?.[1] ?? null;
  }

  /** The first log line with this event. */
  event(name: string): LogLine | undefined {
    return this.logs.find((l) => l.event === name);
  }

  /** kill -9: no shutdown code runs. Resolves once the process is gone. */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    const how = await this.exit;
    if (how !== 'SIGKILL') throw new Error(`daemon ended with ${how}, not SIGKILL`);
  }

  /** A clean stop (SIGTERM); resolves with the exit code. */
  async stop(): Promise<NodeJS.Signals | number | null> {
    this.child.kill('SIGTERM');
    return this.exit;
  }

  /** Kills it if it still runs (for afterEach after a failed assertion). */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}
