/**
 * Instant filtering for big tables: each row gets one lowercase haystack once, and a query is split
 * into terms that must all occur in it. `key:value` terms are plain substrings too (`vlan:100`
 * matches because the haystack spells fields that way), so there is no query language to learn.
 */

export function haystack(parts: readonly (string | number | boolean | null | undefined)[]): string {
  let s = '';
  for (const p of parts) if (p !== null && p !== undefined && p !== '') s += ` ${String(p)}`;
  return s.toLowerCase();
}

export function queryTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

export function matches(hay: string, terms: readonly string[]): boolean {
  for (const t of terms) if (!hay.includes(t)) return false;
  return true;
}

/** The rows whose haystack holds every term of the query (all rows for an empty query). */
export function filterRows<T>(rows: readonly T[], hay: (row: T) => string, query: string): T[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return rows.slice();
  return rows.filter((r) => matches(hay(r), terms));
}
