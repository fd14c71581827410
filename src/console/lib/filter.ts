/**
 * Instant filtering for big tables: each row gets one lowercase haystack once, and a query is split
 * into terms that must all occur in it. Fields are spelled into the haystack as `key:value` too, so
 * `vlan:100` or `tenant:team-a` work without a query language. A term ending in a number after `:`
 * or `#` (`vlan:100`, `vf:5`, `ens1f0#5`) must match a whole word: VF 5, not VFs 50-59.
 */

export function haystack(parts: readonly (string | number | boolean | null | undefined)[]): string {
  let s = '';
  // `cond && 'word'` parts leave `false` behind: absent, like null.
  for (const p of parts)
    if (p !== null && p !== undefined && p !== '' && p !== false) s += ` ${String(p)}`;
  return `${s} `.toLowerCase();
}

export function queryTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

const WHOLE = /^[^:#]+[:#]\d+$/;

export function matches(hay: string, terms: readonly string[]): boolean {
  for (const t of terms) if (!hay.includes(WHOLE.test(t) ? ` ${t} ` : t)) return false;
  return true;
}

/** The rows whose haystack holds every term of the query (all rows for an empty query). */
export function filterRows<T>(rows: readonly T[], hay: (row: T) => string, query: string): T[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return rows.slice();
  return rows.filter((r) => matches(hay(r), terms));
}
