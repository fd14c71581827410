/** The streams and environment a CLI run writes to and reads, injectable so tests capture them. */

/** The part of a Node writable stream the CLI uses. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** A terminal's width in characters (Node sets it on a TTY stream). */
  columns?: number;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask. */
  confirm?: (question: string) => Promise<boolean>;
  /** Stops long-running commands (serve) when aborted; the process uses SIGINT/SIGTERM instead. */
  signal?: AbortSignal;
}

/** Writes one line (adds the newline). */
export function println(out: OutStream, line = ''): void {
  out.write(`${line}\n`);
}
