/**
 * Output helpers: colours only on a TTY without NO_COLOR, boxed tables (cli-table3) on a TTY and
 * plain aligned columns otherwise, so piped output stays greppable and free of escape codes.
 */
import { stripVTControlCharacters } from 'node:util';
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
  /** The widest a line may be (tables drop and truncate columns to fit); null: no limit (--wide). */
  width: number | null;
}

/** The width lines fit when nothing says otherwise: a terminal's classic wide setting. */
export const DEFAULT_WIDTH = 120;

/** The narrowest width honoured: below it tables would be all ellipses. */
const MIN_WIDTH = 40;

/**
 * The width to fit: a terminal's own (what it reports, else `COLUMNS`), and when piped `COLUMNS`
 * if set, else 120, so a pipe into grep or a file sees the same columns as a wide terminal.
 */
export function outputWidth(out: OutStream, env: CliIo['env']): number {
  const cols = Number(env['COLUMNS']);
  const fromEnv = Number.isInteger(cols) && cols > 0 ? cols : null;
  const fromTty = out.isTTY === true && typeof out.columns === 'number' && out.columns > 0;
  const w = fromTty ? out.columns! : (fromEnv ?? DEFAULT_WIDTH);
  return Math.max(MIN_WIDTH, w);
}

/** The style for a stream: NO_COLOR (any non-empty value, per no-color.org) turns colour off. */
export function styleFor(out: OutStream, env: CliIo['env']): Style {
  const tty = out.isTTY === true;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const color = tty && !noColor;
  return { tty, color, c: picocolors.createColors(color), width: outputWidth(out, env) };
}

/** The same style without a width limit: what `--wide` asks for. */
export function unlimited(style: Style): Style {
  return { ...style, width: null };
}

/** `s` cut to `n` visible characters, ending in `…` when cut (colour is dropped from a cut cell). */
export function truncate(s: string, n: number): string {
  if (visibleWidth(s) <= n) return s;
  const plain = stripVTControlCharacters(s);
  return n <= 0 ? '' : `${plain.slice(0, n - 1)}…`;
}

/**
 * Parts joined by `sep`, wrapped before a part that would pass `width` onto a new line starting
 * with `indent` (a part longer than a line is truncated).
 */
export function wrapParts(
  parts: readonly string[],
  sep: string,
  indent: string,
  width: number | null,
): string {
  if (width === null) return indent + parts.join(sep);
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    const next = line === '' ? indent + p : line + sep + p;
    if (line !== '' && visibleWidth(next) > width) {
      lines.push(line);
      line = indent + p;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l) => truncate(l, width)).join('\n');
}

/** Visible width of a string, ignoring ANSI colour codes. */
export function visibleWidth(s: string): number {
  return stripVTControlCharacters(s).length;
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
  /**
   * Columns to leave out, first to last, when the table is wider than the style's width (the
   * least needed first); `--wide` (a style without a width) shows them all.
   */
  drop?: readonly number[];
  /** Columns whose cells may be cut with `…` to fit, widest first (default: any column). */
  shrink?: readonly number[];
  /** Shrunk columns whose cells wrap onto more lines instead of being cut (prose: a plan's why). */
  wrap?: readonly number[];
}

/** A line of prose in lines of at most `width`, later lines indented by two (null: one line). */
export function wrapText(text: string, width: number | null): string {
  if (width === null || visibleWidth(text) <= width) return text;
  const [first, ...rest] = wrapCell(text, width);
  const more = rest.length === 0 ? [] : wrapCell(rest.join(' '), width - 2).map((l) => `  ${l}`);
  return [first, ...more].join('\n');
}

/** A cell's text in lines of at most `width`, broken at spaces (colour dropped when it breaks). */
export function wrapCell(s: string, width: number): string[] {
  if (visibleWidth(s) <= width) return [s];
  const words = stripVTControlCharacters(s).split(' ');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (word.length > width) {
      if (line !== '') lines.push(line);
      line = '';
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** What a table's frame takes besides its cells: separators, padding, borders. */
function frameWidth(columns: number, tty: boolean, indent: string): number {
  // Plain: two spaces between columns. Boxed (cli-table3, padding 1): │ x │ y │.
  return indent.length + (tty ? 3 * columns + 1 : 2 * (columns - 1));
}

/**
 * Which columns to show and how wide, to fit `width`: drop the `drop` columns in order, then
 * shave the widest shrinkable column a character at a time (down to its header, then to 4).
 */
export function fitColumns(
  widths: readonly number[],
  heads: readonly number[],
  spec: Pick<TableSpec, 'drop' | 'shrink' | 'indent'>,
  style: Pick<Style, 'tty' | 'width'>,
): { keep: number[]; widths: number[] } {
  const all = widths.map((_, i) => i);
  if (style.width === null) return { keep: all, widths: [...widths] };
  const limit = style.width;
  const indent = spec.indent ?? '';
  const total = (keep: readonly number[], w: readonly number[]) =>
    frameWidth(keep.length, style.tty, indent) + keep.reduce((n, i) => n + w[i]!, 0);
  let keep = all;
  for (const d of spec.drop ?? []) {
    if (total(keep, widths) <= limit) break;
    keep = keep.filter((i) => i !== d);
  }
  const w = [...widths];
  const shrinkable = (spec.shrink ?? all).filter((i) => keep.includes(i));
  // Headers stay whole if cells alone can give way; past that, they are cut too.
  for (const floor of [(i: number) => Math.max(4, heads[i]!), () => 4]) {
    while (total(keep, w) > limit) {
      const widest = shrinkable.filter((i) => w[i]! > floor(i)).sort((a, b) => w[b]! - w[a]!)[0];
      if (widest === undefined) break;
      w[widest]!--;
    }
  }
  return { keep, widths: w };
}

/** Renders a table: boxed on a TTY, two-space-separated columns otherwise. */
export function renderTable(spec: TableSpec, style: Style): string {
  const indent = spec.indent ?? '';
  // Every row as wide as the head, every cell text.
  const allRows = spec.rows.map((r) => spec.head.map((_, i) => cellText(r[i])));
  const natural = spec.head.map((h, i) =>
    Math.max(visibleWidth(h), ...allRows.map((r) => visibleWidth(r[i]!))),
  );
  const fit = fitColumns(
    natural,
    spec.head.map((h) => visibleWidth(h)),
    spec,
    style,
  );
  const wrap = new Set(spec.wrap ?? []);
  const cut = (cells: readonly string[]) =>
    fit.keep.map((i) => truncate(cells[i]!, fit.widths[i]!));
  const head = cut(spec.head);
  // A row whose wrapping cells run over becomes several lines (the table is compact: no rules
  // between rows, so they read as one).
  const rows = allRows.flatMap((r) => {
    const cells = fit.keep.map((i) =>
      wrap.has(i) ? wrapCell(r[i]!, fit.widths[i]!) : [truncate(r[i]!, fit.widths[i]!)],
    );
    const height = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => cells.map((c) => c[k] ?? ''));
  });
  const right = new Set(fit.keep.flatMap((col, i) => (spec.right?.includes(col) ? [i] : [])));
  if (style.tty) {
    const t = new Table({
      head: head.map((h) => style.c.bold(h)),
      style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
      colAligns: head.map((_, i) => (right.has(i) ? 'right' : 'left')),
    });
    for (const row of rows) t.push(row);
    return t
      .toString()
      .split('\n')
      .map((l) => indent + l)
      .join('\n');
  }
  const widths = head.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i]!))),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => pad(cell, widths[i]!, right.has(i) ? 'right' : 'left'))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
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
