/**
 * `sriovctl top`: per-VF throughput, drops and who holds each VF, from the daemon's traffic rates
 * (GET /api/v1/traffic: the PF-side VF counters, so VFs inside guests count) joined with the
 * attachments. On a terminal it redraws every interval and sorts by key (r, t, d, v; q quits);
 * with --once or when stdout is not a terminal it prints one table and exits.
 */
import type { Command } from 'commander';
import type { Attachment, ListOf, PfRate, TrafficView, VfRate } from '../../contract/index.js';
import type { ApiClient } from '../api-client.js';
import { UsageError } from '../exit-codes.js';
import { renderTable, styleFor, type Style } from '../format.js';
import { println } from '../io.js';
import { apiOptions, printJson, withApi, type ApiFlags } from './api-command.js';
import type { CommandContext } from './context.js';

export const SORTS = ['rx', 'tx', 'drops', 'vf'] as const;
export type TopSort = (typeof SORTS)[number];

export interface TopRow extends VfRate {
  tenant: string | null;
  consumer: string | null;
  interface: string | null;
}

interface TopFlags extends ApiFlags {
  once?: boolean;
  sort?: string;
  pf?: string;
  interval?: string;
  limit?: string;
}

const byName = (a: { pf: string; vf: number }, b: { pf: string; vf: number }) =>
  a.pf.localeCompare(b.pf, 'en', { numeric: true }) || a.vf - b.vf;

/** The VFs with rates, joined with their holders, filtered by PF and sorted. */
export function topRows(
  traffic: TrafficView,
  attachments: readonly Attachment[],
  opts: { sort: TopSort; pf?: string },
): TopRow[] {
  // Rates are per PF netdev: a VF without a network has none.
  const held = new Map(
    attachments.filter((a) => a.pfNetdev !== null).map((a) => [`${a.pfNetdev}#${a.vfIndex}`, a]),
  );
  const rows = traffic.vfs
    .filter((v) => opts.pf === undefined || v.pf === opts.pf)
    .map((v): TopRow => {
      const a = held.get(`${v.pf}#${v.vf}`);
      return {
        ...v,
        tenant: a?.tenant ?? null,
        consumer: a ? `${a.consumer.kind}:${a.consumer.name}` : null,
        interface: a?.interface ?? null,
      };
    });
  const drops = (r: VfRate) => r.rxDroppedPerS + r.txDroppedPerS;
  const key: Record<TopSort, (a: TopRow, b: TopRow) => number> = {
    rx: (a, b) => b.rxBytesPerS - a.rxBytesPerS || byName(a, b),
    tx: (a, b) => b.txBytesPerS - a.txBytesPerS || byName(a, b),
    drops: (a, b) => drops(b) - drops(a) || byName(a, b),
    vf: byName,
  };
  return rows.sort(key[opts.sort]);
}

/** Bytes per second as a link speed: 1_250_000 → `10.0 Mb/s`. */
export function formatBits(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  if (bits < 1000) return `${Math.round(bits)} b/s`;
  const units = ['Kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];
  let v = bits / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** Packets per second: 950 → `950`, 12_300 → `12.3k`. */
export function formatRate(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** The PF totals worth a line: the chosen PF, and only PFs with VF counters (or a truncated list). */
const shownPf = (only: string | undefined) => (p: PfRate) =>
  (only === undefined || p.pf === only) && (p.vfsCounted > 0 || p.truncated);

export interface TopView {
  traffic: TrafficView;
  rows: TopRow[];
  sort: TopSort;
  pf?: string;
  /** Rows to show at most (the terminal's height); all when absent. */
  limit?: number;
  /** Keys line for the live view. */
  keys?: boolean;
}

/** The header lines and the table. */
export function renderTop(v: TopView, style: Style): string {
  const { c } = style;
  const t = v.traffic;
  const lines: string[] = [];
  const span = t.intervalMs > 0 ? `${(t.intervalMs / 1000).toFixed(1)} s` : 'no rates yet';
  lines.push(
    `${c.bold('sriovctl top')} — ${new Date(t.at).toISOString().replace(/\.\d+Z$/, 'Z')}, rates over ${span}, ${v.rows.length} VF${v.rows.length === 1 ? '' : 's'} with counters${v.pf ? ` on ${v.pf}` : ''}, sorted by ${v.sort}`,
  );
  for (const p of (t.pfs ?? []).filter(shownPf(v.pf))) {
    lines.push(
      `  ${p.pf}: rx ${formatBits(p.rxBytesPerS)}, tx ${formatBits(p.txBytesPerS)}, ${p.vfsCounted} VFs counted${p.truncated ? ' (VF list truncated by the kernel: VFs past it have no counters)' : ''}`,
    );
  }
  if (v.keys) lines.push(c.dim('  keys: r rx · t tx · d drops · v VF · q quit'));
  const shown = v.limit !== undefined ? v.rows.slice(0, v.limit) : v.rows;
  const sorted = (k: TopSort, label: string) =>
    v.sort === k ? `${label}${style.tty ? '▼' : '*'}` : label;
  lines.push(
    renderTable(
      {
        head: [
          sorted('vf', 'VF'),
          sorted('rx', 'RX'),
          sorted('tx', 'TX'),
          'RX PKT/S',
          'TX PKT/S',
          sorted('drops', 'DROPS/S RX/TX'),
          'TENANT',
          'CONSUMER',
        ],
        rows: shown.map((r) => {
          const drops = `${formatRate(r.rxDroppedPerS)}/${formatRate(r.txDroppedPerS)}`;
          return [
            `${r.pf}#${r.vf}`,
            formatBits(r.rxBytesPerS),
            formatBits(r.txBytesPerS),
            formatRate(r.rxPacketsPerS),
            formatRate(r.txPacketsPerS),
            r.rxDroppedPerS + r.txDroppedPerS > 0 ? c.red(drops) : drops,
            r.tenant ?? '-',
            r.consumer ? `${r.consumer}${r.interface ? ` (${r.interface})` : ''}` : '-',
          ];
        }),
        right: [1, 2, 3, 4, 5],
      },
      style,
    ),
  );
  if (shown.length < v.rows.length)
    lines.push(
      c.dim(`  … ${v.rows.length - shown.length} more (--limit, --pf, or a taller terminal)`),
    );
  return lines.join('\n');
}

async function fetchView(
  api: ApiClient,
): Promise<{ traffic: TrafficView; attachments: Attachment[] }> {
  const [traffic, attachments] = await Promise.all([
    api.get<TrafficView>('/traffic'),
    api.get<ListOf<Attachment>>('/attachments'),
  ]);
  return { traffic, attachments: attachments.items };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Registers `top`. */
export function topCommand(program: Command, ctx: CommandContext): void {
  apiOptions(
    program
      .command('top')
      .description(
        'live per-VF throughput, drops and consumers from the daemon (one table with --once or when piped)',
      )
      .option('--once', 'print one table and exit (the default when stdout is not a terminal)')
      .option('--sort <key>', `sort by ${SORTS.join(', ')} (default rx)`)
      .option('--pf <netdev>', 'only the VFs of this PF')
      .option('--interval <seconds>', 'refresh interval on a terminal (default 2)')
      .option('--limit <n>', 'at most this many rows'),
  ).action((flags: TopFlags) =>
    withApi(ctx, flags, async (api) => {
      // Defaults applied here, not by commander, which would print them a second time in --help.
      const sortFlag = flags.sort ?? 'rx';
      if (!(SORTS as readonly string[]).includes(sortFlag))
        throw new UsageError(
          `--sort ${JSON.stringify(sortFlag)}: expected one of ${SORTS.join(', ')}`,
        );
      let sort = sortFlag as TopSort;
      const interval = Number(flags.interval ?? '2');
      if (!Number.isFinite(interval) || interval < 0.2 || interval > 3600)
        throw new UsageError(
          `--interval ${JSON.stringify(flags.interval)}: expected 0.2 to 3600 seconds`,
        );
      let limit: number | undefined;
      if (flags.limit !== undefined) {
        limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(
            `--limit ${JSON.stringify(flags.limit)}: expected a whole number of rows`,
          );
      }
      const pf = flags.pf;
      const style = styleFor(ctx.io.stdout, ctx.io.env);
      const live = ctx.io.stdout.isTTY === true && flags.once !== true && flags.json !== true;

      if (!live) {
        let v = await fetchView(api);
        // A daemon that was not sampling has rates only from its second dump: ask once more.
        if (v.traffic.intervalMs === 0) {
          await sleep(Math.min(interval, 2) * 1000, ctx.io.signal);
          v = await fetchView(api);
        }
        const rows = topRows(v.traffic, v.attachments, { sort, ...(pf ? { pf } : {}) });
        if (pf !== undefined && v.traffic.pfs && !v.traffic.pfs.some((p) => p.pf === pf))
          throw new UsageError(
            `--pf ${pf}: no such PF with VF counters (PFs: ${v.traffic.pfs.map((p) => p.pf).join(', ') || 'none'})`,
          );
        if (flags.json)
          return printJson(ctx.io, { at: v.traffic.at, intervalMs: v.traffic.intervalMs, rows });
        println(
          ctx.io.stdout,
          renderTop(
            { traffic: v.traffic, rows, sort, ...(pf ? { pf } : {}), ...(limit ? { limit } : {}) },
            style,
          ),
        );
        return;
      }

      // The live view: keys from the terminal, a redraw per interval or key.
      const stop = new AbortController();
      ctx.io.signal?.addEventListener('abort', () => stop.abort(), { once: true });
      let wake: (() => void) | null = null;
      const stdin = process.stdin;
      const onKey = (b: Buffer) => {
        const k = b.toString();
        if (k === 'q' || k === '\u0003') stop.abort();
        else if (k === 'r') sort = 'rx';
        else if (k === 't') sort = 'tx';
        else if (k === 'd') sort = 'drops';
        else if (k === 'v') sort = 'vf';
        else return;
        wake?.();
      };
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        stdin.resume();
        stdin.on('data', onKey);
      }
      const out = ctx.io.stdout as { write(s: string): unknown; rows?: number };
      try {
        let v = await fetchView(api);
        let last = 0;
        while (!stop.signal.aborted) {
          if (Date.now() - last >= interval * 1000) {
            v = await fetchView(api);
            last = Date.now();
          }
          const rows = topRows(v.traffic, v.attachments, { sort, ...(pf ? { pf } : {}) });
          const pfLines = (v.traffic.pfs ?? []).filter(shownPf(pf)).length;
          const height = Math.max(5, (out.rows ?? 24) - 6 - pfLines);
          out.write(
            `\x1b[H\x1b[2J${renderTop(
              {
                traffic: v.traffic,
                rows,
                sort,
                ...(pf ? { pf } : {}),
                limit: Math.min(limit ?? Infinity, height),
                keys: true,
              },
              style,
            )}\n`,
          );
          await new Promise<void>((resolve) => {
            wake = resolve;
            void sleep(interval * 1000, stop.signal).then(resolve);
          });
          wake = null;
        }
      } finally {
        if (stdin.isTTY) {
          stdin.off('data', onKey);
          stdin.setRawMode(false);
          stdin.pause();
        }
      }
    }),
  );
}
