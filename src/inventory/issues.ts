/** Building DiscoveryIssues: one shape for every problem discovery reports instead of crashing. */
import { MalformedHostError } from '../host/errors.js';
import type { PfId } from '../host/names.js';
import type { Outcome } from './seam-reads.js';
import type { DiscoveryIssue, DiscoveryIssueCode } from './types.js';

/** An issue about `path`, optionally scoped to a PF. */
export function issue(
  code: DiscoveryIssueCode,
  path: string,
  message: string,
  pciAddress?: PfId,
): DiscoveryIssue {
  return pciAddress === undefined ? { code, path, message } : { code, path, message, pciAddress };
}

/** The issue for a value parser's error (MalformedHostError carries the path and expectation). */
export function malformedIssue(err: unknown, path: string, pciAddress?: PfId): DiscoveryIssue {
  if (err instanceof MalformedHostError) {
    return issue(
      'malformed-value',
      err.path,
      `expected ${err.expected}, found ${err.found}`,
      pciAddress,
    );
  }
  return issue(
    'malformed-value',
    path,
    err instanceof Error ? err.message : String(err),
    pciAddress,
  );
}

/** The issue for a failed read: `missing-entry` when absent, `read-failed` otherwise. */
export function failedReadIssue(
  path: string,
  o: Outcome<unknown> & { ok: false },
  pciAddress?: PfId,
): DiscoveryIssue {
  if (o.errno === 'ENOENT') {
    return issue('missing-entry', path, 'expected this entry to exist; it is missing', pciAddress);
  }
  return issue('read-failed', path, `could not read: ${o.message}`, pciAddress);
}

/**
 * Runs a value parser; on failure records an issue and returns the fallback. Keeps the callers
 * free of try/catch while still naming the path of every bad value.
 */
export function parseOr<T, F>(
  issues: DiscoveryIssue[],
  parse: (text: string, path: string) => T,
  text: string,
  path: string,
  fallback: F,
  pciAddress?: PfId,
): T | F {
  try {
    return parse(text, path);
  } catch (err) {
    issues.push(malformedIssue(err, path, pciAddress));
    return fallback;
  }
}

/**
 * A read entry's value parsed; on a failed read or a bad value, records the issue and returns the
 * fallback (the two ways an entry can let discovery down, handled in one place).
 */
export function readOr<T, F>(
  issues: DiscoveryIssue[],
  read: Outcome<string>,
  parse: (text: string, path: string) => T,
  path: string,
  fallback: F,
  pciAddress?: PfId,
): T | F {
  if (!read.ok) {
    issues.push(failedReadIssue(path, read, pciAddress));
    return fallback;
  }
  return parseOr(issues, parse, read.value, path, fallback, pciAddress);
}
