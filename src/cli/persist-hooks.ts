/**
 * apply's reboot-persistence hooks: the bounded wait for PFs that the boot-time unit asks for
 * (`--wait-for-pfs`), and recording the applied desired state afterwards.
 */
import type { Host } from '../host/host.js';
import { localFiles } from '../host/linux/index.js';
import { waitForPolicyPfs } from '../boot/boot-wait.js';
import { APPLIED_STATE_FILE } from '../boot/locations.js';
import { recordAppliedState } from '../boot/state.js';
import type { DesiredPf } from '../policy/desired.js';
import { loadPolicyFiles, PolicyLoadError } from '../policy/index.js';
import { UsageError } from './exit-codes.js';
import { styleFor } from './format.js';
import { println, type CliIo } from './io.js';

/** Parses `--wait-for-pfs <seconds>`: a whole number of seconds, 0 meaning no wait. */
export function parseWaitSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(
      `--wait-for-pfs ${JSON.stringify(v)}: expected seconds, a whole number >= 0`,
    );
  return n;
}

/**
 * Waits (bounded) until the PFs the policies select are present with a driver; never fails: when
 * time runs out apply goes on with what is there and says what was missing.
 */
export async function waitForPfsBeforeApply(
  io: CliIo,
  host: Host,
  files: string[],
  seconds: string | undefined,
): Promise<void> {
  if (seconds === undefined) return;
  const timeoutMs = parseWaitSeconds(seconds) * 1000;
  let policies;
  try {
    policies = loadPolicyFiles(files, localFiles);
  } catch (e) {
    if (e instanceof PolicyLoadError) return; // apply itself reports these, located
    throw e;
  }
  const r = await waitForPolicyPfs(host, policies, { timeoutMs });
  if (r.ready) {
    if (r.attempts > 1) println(io.stderr, `waited ${r.waitedMs} ms for the policies' PFs`);
    return;
  }
  const err = styleFor(io.stderr, io.env);
  println(
    io.stderr,
    err.c.yellow(
      `warning: after ${seconds} s, still missing: ${r.missing.join('; ')} — applying what is there`,
    ),
  );
}

/**
 * Records the desired state after a successful apply. A failure to record is a warning: the host
 * is configured either way, and the exit code should say so.
 */
export async function recordApplied(
  io: CliIo,
  host: Host,
  desired: readonly DesiredPf[],
): Promise<void> {
  try {
    await recordAppliedState(host, desired);
  } catch (e) {
    warnNotRecorded(io, e instanceof Error ? e.message : String(e));
  }
}

/** The warning when the applied state could not be recorded (`why`). */
export function warnNotRecorded(io: CliIo, why: string): void {
  const err = styleFor(io.stderr, io.env);
  println(
    io.stderr,
    err.c.yellow(
      `warning: applied, but could not record the applied state in ${APPLIED_STATE_FILE}: ${why}`,
    ),
  );
}
