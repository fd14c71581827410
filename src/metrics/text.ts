/**
 * The Prometheus text exposition format (version 0.0.4), written by hand for the families that
 * have one series per VF. prom-client formats every sample generically (an object of labels,
 * escaped per sample); with thousands of VFs per scrape that alone would cost more than the link
 * dump it reports, so the per-VF families build their label sets once per inventory snapshot and
 * reuse them. The small families (API, reconcile, health) go through prom-client as usual.
 */

/** `text/plain; version=0.0.4`, what Prometheus asks for and promtool checks. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : v;
}

/** `name="value",...` for label pairs (no braces), values escaped. */
export function labelPairs(pairs: readonly (readonly [string, string])[]): string {
  let s = '';
  for (const [k, v] of pairs) s += `${s === '' ? '' : ','}${k}="${escapeLabel(v)}"`;
  return s;
}

/** A sample value as Prometheus parses it (Go's float syntax: NaN, +Inf, -Inf). */
export function sampleValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

export type FamilyType = 'counter' | 'gauge' | 'untyped';

/** The `# HELP` and `# TYPE` lines that open a family. */
export function familyHeader(name: string, help: string, type: FamilyType): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}
