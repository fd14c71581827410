/**
 * What `sriovctl apply` prints and asks, the same whether it applies from this process or through
 * the daemon: the confirmation for disruptive steps and the progress line of each step.
 */
import type { UnverifiedSettings } from '../contract/index.js';
import { unverifiedText } from '../policy/verify.js';
import type { Style } from './format.js';
import { println, type CliIo } from './io.js';

/**
 * Whether disruptive steps may run: `--yes`, or a yes at the prompt. Without a terminal to ask on,
 * says how to confirm and answers false (the caller exits 3, refused).
 */
export async function confirmDisruptive(
  io: CliIo,
  count: number,
  yes: boolean,
  err: Style,
): Promise<boolean> {
  if (count === 0 || yes) return true;
  if (!io.confirm) {
    println(io.stderr, err.c.red(`refused: ${count} disruptive step(s); confirm with --yes`));
    return false;
  }
  return io.confirm(`Apply ${count} disruptive step(s)?`);
}

/** One step's progress on stderr: `[2/6] bind VFs 4-7 of ens1f1: vfio-pci ...`, then done or failed. */
export function printStep(
  io: CliIo,
  err: Style,
  e: { index: number; total: number; what: string; status: string; ms?: number },
): void {
  const n = `[${e.index + 1}/${e.total}]`;
  if (e.status === 'start') println(io.stderr, `${n} ${e.what} ...`);
  else if (e.status === 'done')
    println(io.stderr, `${n} ${err.c.green('done')} (${Math.round(e.ms ?? 0)} ms)`);
  else if (e.status === 'failed') println(io.stderr, `${n} ${err.c.red('failed')}`);
}

/**
 * The read-back's line for settings nothing could read back (VFs past a truncated netlink VF
 * list): never "verified"; `also` when a line about differences came first.
 */
export function unverifiedLine(unverified: readonly UnverifiedSettings[], also: boolean): string {
  return `${also ? 'Also' : 'Applied;'} ${unverifiedText(unverified)} could not be verified: the kernel's netlink VF list does not include those VFs.`;
}
