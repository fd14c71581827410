/**
 * Maps `ip -force -batch -` output back to one NetlinkResult per change.
 *
 * With -force iproute2 goes on after a failed line and prints the failure followed by
 * `Command failed -:N`. But some client-side failures call exit() and end the whole batch without
 * that marker: `Cannot find VF 200` (a one-sided rate on a VF missing from a truncated dump),
 * `Device X does not exist`, `Error: argument "4096" is wrong: ...`. To know exactly how far the
 * batch got, every change line is followed by a sentinel line that always fails harmlessly
 * (`Object "sriovctl-batch-mark" is unknown`), and one sentinel opens the batch: each sentinel
 * marker seen proves every line before it ran.
 */
import type { NetlinkResult } from '../host.js';
import { errnoFromToolOutput, messageLines } from './tool-messages.js';

/** An ip "object" name that matches no ip command (objects match by prefix, so it is long and unique). */
export const BATCH_SENTINEL = 'sriovctl-batch-mark';

const FAILED_RE = /^Command failed -:(\d+)$/;

/** Batch line number (1-based) of change `i` (0-based); its sentinel is the next line. */
export function changeLineNumber(i: number): number {
  return 2 * i + 2;
}

/** The stdin for `ip -force -batch -`: a leading sentinel, then each line followed by a sentinel. */
export function buildBatchScript(lines: readonly string[]): string {
  const out = [BATCH_SENTINEL];
  for (const line of lines) out.push(line, BATCH_SENTINEL);
  return out.join('\n') + '\n';
}

function refused(lines: string[]): NetlinkResult {
  const message = lines.join('; ') || 'iproute2 refused the change without a message';
  const errno = errnoFromToolOutput(lines.join('\n'));
  return errno ? { ok: false, errno, message } : { ok: false, message };
}

/**
 * Results for `count` changes from the batch's stderr, or null when iproute2 never reached the batch
 * (the leading sentinel did not run: bad netns, unusable binary), which the caller reports as a
 * command failure.
 */
export function parseBatchResults(stderr: string, count: number): NetlinkResult[] | null {
  const failed = new Map<number, string[]>();
  let pending: string[] = [];
  for (const line of messageLines(stderr)) {
    const m = FAILED_RE.exec(line);
    if (m) {
      failed.set(Number(m[1]), pending);
      pending = [];
    } else {
      pending.push(line);
    }
  }
  if (!failed.has(1)) return null;

  const results: NetlinkResult[] = [];
  let stoppedAt: number | undefined;
  for (let i = 0; i < count; i++) {
    const line = changeLineNumber(i);
    if (stoppedAt !== undefined) {
      results.push({
        ok: false,
        message: `not attempted: ip -batch stopped at change ${stoppedAt + 1} of ${count}`,
      });
    } else if (failed.has(line)) {
      results.push(refused(failed.get(line) ?? []));
    } else if (failed.has(line + 1)) {
      results.push({ ok: true });
    } else {
      // Neither this line's failure nor its sentinel printed: iproute2 exited on this line, and
      // whatever it printed after the last marker is its reason.
      stoppedAt = i;
      results.push(refused(pending.length ? pending : ['ip -batch stopped on this change']));
    }
  }
  return results;
}
