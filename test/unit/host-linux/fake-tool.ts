/** Stand-in helper binaries for tests: a script that records its argv and answers with fixed output. */
import fs from 'node:fs';
import path from 'node:path';

export interface FakeTool {
  path: string;
  /** The argv (without argv[0]) of the last run. */
  lastArgs(): string[];
}

/** Writes an executable at dir/name that logs its arguments, prints stdout/stderr and exits with `code`. */
export function fakeTool(
  dir: string,
  name: string,
  answer: { stdout?: string; stderr?: string; code?: number },
): FakeTool {
  const bin = path.join(dir, name);
  const log = `${bin}.args`;
  const out = `${bin}.stdout`;
  const err = `${bin}.stderr`;
  fs.writeFileSync(out, answer.stdout ?? '');
  fs.writeFileSync(err, answer.stderr ?? '');
  fs.writeFileSync(
    bin,
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\ncat '${out}'\ncat '${err}' >&2\nexit ${answer.code ?? 0}\n`,
    { mode: 0o755 },
  );
  return {
    path: bin,
    lastArgs: () => fs.readFileSync(log, 'utf8').split('\n').slice(0, -1),
  };
}
