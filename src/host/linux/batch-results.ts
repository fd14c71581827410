/**
 * Maps `ip -force -batch -` output back to one NetlinkResult per change.
 *
 * With -force iproute2 goes on after a failed line and prints the failure followed by
 * `Command failed -:N`. But some client-side failures call exit() and end the whole batch without
 * that marker: `Cannot find VF 200` (a one-sided rate on a VF missing from a truncated dump),
 * `Device X does not exist`, `Error: argument "4096" is wrong: ...`. So the batch is framed by
 * sentinel lines that always fail harmlessly (`Object "sriovctl-batch-mark" is unknown`): each
 * sentinel marker seen proves every line before it ran.
 *
 * Two framings. Sparse (the normal one): a sentinel before and after the lines; every failed line
 * marks itself, so the closing sentinel's marker proves the whole batch ran and the lines without a
 * marker succeeded. Dense: a sentinel after every line as well, which says exactly where iproute2
 * exited. Each sentinel costs iproute2 two writes to stderr and its reader a wake-up: in the lab's
 * apply benchmark (2048 VF settings) the dense framing took 1.16× the bare lines, so it is kept for
 * a batch that stopped early.
 */
import type { NetlinkResult } from '../host.js';
import { errnoFromToolOutput, messageLines } from './tool-messages.js';

/** An ip "object" name that matches no ip command (objects match by prefix, so it is long and unique). */
export const BATCH_SENTINEL = 'sriovctl-batch-mark';

export type BatchFraming = 'sparse' | 'dense';

const FAILED_RE = /^Command failed -:(\d+)$/;

/** The stdin for `ip -force -batch -` in the given framing (see the module comment). */
export function buildBatchScript(lines: readonly string[], framing: BatchFraming): string {
  const out = [BATCH_SENTINEL];
  for (const line of lines) {
    out.push(line);
    if (framing === 'dense') out.push(BATCH_SENTINEL);
  }
  if (framing === 'sparse') out.push(BATCH_SENTINEL);
  return out.join('\n') + '\n';
}

function refused(lines: string[]): NetlinkResult {
  const message = lines.join('; ') || 'iproute2 refused the change without a message';
  const errno = errnoFromToolOutput(lines.join('\n'));
  return errno ? { ok: false, errno, message } : { ok: false, message };
}

/** The messages printed before each `Command failed -:N`, by N, and what came after the last one. */
function failures(stderr: string): { failed: Map<number, string[]>; trailing: string[] } {
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
  return { failed, trailing: pending };
}

/**
 * Results of a sparse batch of `count` changes. `complete` when the closing sentinel ran; otherwise
 * iproute2 exited on a line after the last one that marked itself, and `results` holds only the
 * changes known to have run (up to that last marked one): the caller runs the rest again, densely
 * framed, to learn which line stopped it. Null when iproute2 never reached the batch (bad netns,
 * unusable binary), which the caller reports as a command failure.
 */
export function parseSparseBatch(
  stderr: string,
  count: number,
): { complete: boolean; results: NetlinkResult[] } | null {
  const { failed } = failures(stderr);
  if (!failed.has(1)) return null;
  // Change i is line i + 2; the closing sentinel is line count + 2.
  const complete = failed.has(count + 2);
  let known = count;
  if (!complete) {
    known = 0;
    for (const n of failed.keys()) if (n >= 2 && n <= count + 1) known = Math.max(known, n - 1);
  }
  const results: NetlinkResult[] = [];
  for (let i = 0; i < known; i++) {
    const marked = failed.get(i + 2);
    results.push(marked ? refused(marked) : { ok: true });
  }
  return { complete, results };
}

/**
 * Results of a densely framed batch of `count` changes, or null when iproute2 never reached it.
 * `offset` and `total` place these changes in a larger batch, for the "not attempted" message.
 */
export function parseBatchResults(
  stderr: string,
  count: number,
  offset = 0,
  total = count,
): NetlinkResult[] | null {
  const { failed, trailing } = failures(stderr);
  if (!failed.has(1)) return null;

  const results: NetlinkResult[] = [];
  let stoppedAt: number | undefined;
  for (let i = 0; i < count; i++) {
    // Change i is line 2i + 2; its sentinel is the next line.
    const line = 2 * i + 2;
    if (stoppedAt !== undefined) {
      results.push({
        ok: false,
        message: `not attempted: ip -batch stopped at change ${offset + stoppedAt + 1} of ${total}`,
      });
    } else if (failed.has(line)) {
      results.push(refused(failed.get(line) ?? []));
    } else if (failed.has(line + 1)) {
      results.push({ ok: true });
    } else {
      // Neither this line's failure nor its sentinel printed: iproute2 exited on this line, and
      // whatever it printed after the last marker is its reason.
      stoppedAt = i;
      results.push(refused(trailing.length ? trailing : ['ip -batch stopped on this change']));
    }
  }
  return results;
}
