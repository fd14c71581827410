/**
 * VF index ranges written back in the syntax users write them in (`0-7,12`); the grammar and its
 * parser are the API contract's (src/contract/ranges.ts), shared with pools and tenants.
 */
import { formatIndexRanges } from '../inventory/vf-config.js';

/** Formats VF indexes in policy syntax (`0-7,12`); the inverse of parseRange. */
export function formatRange(indexes: readonly number[]): string {
  return formatIndexRanges(indexes, ',');
}

/** The indexes 0..count-1. */
export function allVfs(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
