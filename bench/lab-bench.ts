/**
 * Runs one real-kernel benchmark (test/kernel/NAME.bench.ts) in the lab guest through
 * `test/kernel/run.sh --bench NAME` (root, QEMU) and returns the figures it wrote as JSON.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Boots the lab for benchmark `name` and parses its JSON result (kept in the temp dir, named on
 * stderr, with every run's figures); throws with the log's tail on failure.
 */
export async function runLabBench<T>(name: string, env: Record<string, string> = {}): Promise<T> {
  const out = join(tmpdir(), `sriovctl-bench-${name}-${Date.now()}.json`);
  const log: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', ['test/kernel/run.sh', '--bench', name], {
      env: { ...env, ...process.env, SRIOVCTL_LAB_BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 400) log.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0)
    throw new Error(
      `the lab benchmark ${name} failed (exit ${code}):\n${log.join('').slice(-4000)}`,
    );
  process.stderr.write(`${name}: every run's figures in ${out}\n`);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}
