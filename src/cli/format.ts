/**
 * Output helpers: colours only on a TTY without NO_COLOR, boxed tables (cli-table3) on a TTY and
 * plain aligned columns otherwise, so piped output stays greppable and free of escape codes.
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';
import type { CheckStatus } from '../doctor/types.js';
import type { CliIo, OutStream } from './io.js';

export type Colors = ReturnType<typeof picocolors.createColors>;

/** How one stream should be rendered. */
export interface Style {
  tty: boolean;
  color: boolean;
  c: Colors;
}

/** The style for a stream: NO_COLOR (any non-empty value, per no-color.org) turns colour off. */
export function styleFor(out: OutStream, env: CliIo['env']): Style {
  const tty = out.isTTY === true;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const color = tty && !noColor;
  return { tty, color, c: picocolors.createColors(color) };
}

/** Visible width of a string, ignoring ANSI colour codes. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** A table cell as data has it: null and undefined (a netdevsim VF has no PCI address) show `-`. */
export type Cell = string | number | null | undefined;

/** How every table shows a cell: numbers as written, nothing as `-`. */
export function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  return String(cell);
}

export interface TableSpec {
  head: string[];
  rows: readonly (readonly Cell[])[];
  /** Columns to right-align (numbers). */
  right?: readonly number[];
  /** Prefix for every line (indentation under a group header). */
  indent?: string;
}

/** Renders a table: boxed on a TTY, two-space-separated columns otherwise. */
export function renderTable(spec: TableSpec, style: Style): string {
  const indent = spec.indent ?? '';
  const right = new Set(spec.right ?? []);
  // Every row as wide as the head, every cell text.
  const rows = spec.rows.map((r) => spec.head.map((_, i) => cellText(r[i])));
  if (style.tty) {
    const t = new Table({
      head: spec.head.map((h) => style.c.bold(h)),
      style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
      colAligns: spec.head.map((_, i) => (right.has(i) ? 'right' : 'left')),
    });
    for (const row of rows) t.push(row);
    return t
      .toString()
      .split('\n')
      .map((l) => indent + l)
      .join('\n');
  }
  const widths = spec.head.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i]!))),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => pad(cell, widths[i]!, right.has(i) ? 'right' : 'left'))
      .join('  ')
      .trimEnd();
  return [line(spec.head), ...rows.map(line)].join('\n');
}

const GLYPH: Record<CheckStatus, string> = { pass: '✔', info: 'ℹ', warn: '▲', fail: '✖' };

/** A status marker: a coloured glyph on a TTY, a bracketed word in plain output (greppable). */
export function statusMark(status: CheckStatus, style: Style): string {
  if (!style.tty) return `[${status.toUpperCase()}]`;
  const { c } = style;
  const paint = { pass: c.green, info: c.cyan, warn: c.yellow, fail: c.red }[status];
  return paint(GLYPH[status]);
}

/** Mbit/s as people say it: 100000 → `100 Gb/s`, 2500 → `2.5 Gb/s`, 100 → `100 Mb/s`. */
export function formatSpeed(mbps: number | null): string {
  if (mbps === null || mbps <= 0) return 'unknown speed';
  if (mbps >= 1000) return `${Number((mbps / 1000).toFixed(1))} Gb/s`;
  return `${mbps} Mb/s`;
}

/** Bytes with a binary unit, for counters. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
