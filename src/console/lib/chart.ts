/** Geometry for the console's sparklines: points to SVG paths, no chart library. */

export interface Point {
  t: number;
  v: number;
}

export interface Box {
  width: number;
  height: number;
  /** Shared top of the scale, so rx and tx are drawn against the same axis. */
  max: number;
  /** Time span drawn: the latest point sits at the right edge. */
  spanMs: number;
  end: number;
}

function xy(p: Point, b: Box): [number, number] {
  const x = b.width - ((b.end - p.t) / b.spanMs) * b.width;
  const y = b.max > 0 ? b.height - (p.v / b.max) * b.height : b.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

/** The line through the points (empty for none). */
export function linePath(points: readonly Point[], b: Box): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${xy(p, b).join(',')}`).join('');
}

/** The same line closed down to the baseline, for a filled area. */
export function areaPath(points: readonly Point[], b: Box): string {
  if (points.length === 0) return '';
  const [x0] = xy(points[0]!, b);
  const [x1] = xy(points[points.length - 1]!, b);
  return `${linePath(points, b)}L${x1},${b.height}L${x0},${b.height}Z`;
}

/** A round top for the scale: 1, 2 or 5 times a power of ten, at least the largest value. */
export function niceMax(values: readonly number[]): number {
  const m = Math.max(0, ...values);
  if (m === 0) return 1;
  const p = 10 ** Math.floor(Math.log10(m));
  for (const f of [1, 2, 5, 10]) if (f * p >= m) return f * p;
  return 10 * p;
}
