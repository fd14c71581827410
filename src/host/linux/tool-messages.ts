/** Reading errnos out of what iproute2, devlink and ethtool print on stderr. */
import { errnoFromMessage, type ErrnoName } from '../errors.js';

const ANSWERS_RE = /^(?:RTNETLINK|kernel) answers: (.+)$/;

/**
 * The errno of the first line that carries one: `RTNETLINK answers: Invalid argument` (ip),
 * `kernel answers: Operation not supported` (devlink), or `Cannot get driver information: No such
 * device` (ethtool's perror). Requires the C locale, which runCommand sets.
 */
export function errnoFromToolOutput(text: string): ErrnoName | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const answers = ANSWERS_RE.exec(line);
    if (answers) {
      const errno = errnoFromMessage(answers[1]!);
      if (errno) return errno;
      continue;
    }
    const whole = errnoFromMessage(line);
    if (whole) return whole;
    const colon = line.lastIndexOf(': ');
    if (colon >= 0) {
      const tail = errnoFromMessage(line.slice(colon + 2));
      if (tail) return tail;
    }
  }
  return undefined;
}

/** Non-empty stderr lines, trimmed: iproute2 pads some messages with blank lines. */
export function messageLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
