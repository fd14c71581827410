/**
 * A small throughput chart: rx and tx over the last minutes as two areas on one scale, in plain
 * SVG. Chart libraries (Victory, which PatternFly's charts use) would multiply the bundle size.
 */
import { useId } from 'react';
import { areaPath, linePath, niceMax, type Box } from '../lib/chart.js';
import { formatBitRate } from '../lib/format.js';
import type { Sample } from '../lib/traffic.js';

const RX = 'var(--pf-t--global--color--brand--default, #0066cc)';
const TX = 'var(--pf-t--global--color--status--success--default, #3e8635)';

export function Sparkline({
  samples,
  width = 240,
  height = 48,
  spanMs = 120_000,
  label,
  testId,
}: {
  samples: readonly Sample[];
  width?: number;
  height?: number;
  spanMs?: number;
  label: string;
  testId?: string;
}) {
  const id = useId();
  const last = samples[samples.length - 1];
  if (!last)
    return (
      <span data-testid={testId} className="sriov-muted">
        no traffic samples yet
      </span>
    );
  const end = last.t;
  const shown = samples.filter((s) => s.t >= end - spanMs);
  // Until the window fills, the samples there are stretch across the width; one sample is a
  // level line.
  const firstT = shown[0]!.t;
  if (shown.length === 1) shown.unshift({ ...last, t: end - 1 });
  const span = Math.min(spanMs, Math.max(end - Math.min(firstT, end - 1), 1));
  // Scale in bits: niceMax rounds in the unit the axis label is read in.
  const max = niceMax(shown.flatMap((s) => [s.rx * 8, s.tx * 8])) / 8;
  const box: Box = { width, height, max, spanMs: span, end };
  const rx = shown.map((s) => ({ t: s.t, v: s.rx }));
  const tx = shown.map((s) => ({ t: s.t, v: s.tx }));
  const summary = `${label}: rx ${formatBitRate(last.rx)}, tx ${formatBitRate(last.tx)}`;
  return (
    <figure className="sriov-spark" data-testid={testId} style={{ margin: 0 }}>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby={`${id}-t`}
      >
        <title id={`${id}-t`}>{summary}</title>
        <path d={areaPath(rx, box)} fill={RX} fillOpacity={0.15} stroke="none" />
        <path d={linePath(rx, box)} fill="none" stroke={RX} strokeWidth={1.5} />
        <path d={areaPath(tx, box)} fill={TX} fillOpacity={0.15} stroke="none" />
        <path d={linePath(tx, box)} fill="none" stroke={TX} strokeWidth={1.5} />
      </svg>
      <figcaption className="sriov-spark-caption">
        <span style={{ color: RX }}>■</span> rx {formatBitRate(last.rx)}{' '}
        <span style={{ color: TX }}>■</span> tx {formatBitRate(last.tx)}{' '}
        <span className="sriov-muted">(scale {formatBitRate(max)})</span>
      </figcaption>
    </figure>
  );
}
