/**
 * What `sriovctl apply` prints and asks, the same whether it applies from this process or through
 * the daemon: the confirmation for disruptive steps and the progress line of each step.
 */
import type { PolicyRefusedError } from '../policy/refusal.js';
import { unreadableSentence, type VfReadBackView } from '../policy/verify.js';
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
 * list, settings a driver does not report), from its typed per-VF results: never "verified";
 * `also` when a line about differences came first; null when everything could be read.
 */
export function unverifiedLine(vfs: readonly VfReadBackView[], also: boolean): string | null {
  const s = unreadableSentence(vfs);
  return s === null ? null : `${also ? 'Also' : 'Applied;'} ${s}.`;
}

/** A refused apply on stderr: what was refused, and the fix in the command line's words. */
export function printRefusal(io: CliIo, e: PolicyRefusedError, err: Style): void {
  println(io.stderr, err.c.red(`refused: ${e.message}`));
  println(io.stderr, `hint: ${e.fixFor('cli')}`);
}
