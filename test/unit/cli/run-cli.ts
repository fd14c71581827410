/** Runs the real CLI entry in-process with captured streams. */
import { main } from '../../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sriovctl ...argv` with non-TTY streams and the given environment (NO_COLOR irrelevant off a TTY). */
export async function runCli(
  argv: string[],
  env: Record<string, string> = {},
  tty = false,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: tty },
    stderr: { write: (s: string) => (stderr += s), isTTY: tty },
    env,
  });
  return { code, stdout, stderr };
}
