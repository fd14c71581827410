/**
 * A small benchmark harness: interleaves the measured function with its baseline so both see the
 * same machine noise, reports medians and their ratio. These machines are shared and noisy; the
 * ratio is the figure to compare across runs, the absolute times only on the same machine.
 */

export interface Sample {
  name: string;
  runsMs: number[];
  medianMs: number;
}

export interface Comparison {
  subject: Sample;
  baseline: Sample;
  ratio: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs subject and baseline alternately (after warm-up) and compares their medians. */
export async function compare(
  subject: { name: string; fn: () => Promise<unknown> },
  baseline: { name: string; fn: () => Promise<unknown> },
  opts: { warmup?: number; runs?: number } = {},
): Promise<Comparison> {
  const warmup = opts.warmup ?? 3;
  const runs = opts.runs ?? 15;
  for (let i = 0; i < warmup; i++) {
    await baseline.fn();
    await subject.fn();
  }
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate the order so neither side always runs on a warmer cache.
    if (i % 2 === 0) {
      b.push(await timeOnce(baseline.fn));
      s.push(await timeOnce(subject.fn));
    } else {
      s.push(await timeOnce(subject.fn));
      b.push(await timeOnce(baseline.fn));
    }
  }
  const subjectSample = { name: subject.name, runsMs: s, medianMs: median(s) };
  const baselineSample = { name: baseline.name, runsMs: b, medianMs: median(b) };
  return {
    subject: subjectSample,
    baseline: baselineSample,
    ratio: subjectSample.medianMs / baselineSample.medianMs,
  };
}

export function fmtMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
