/** Renders a doctor report: host checks, then one group per PF, then a one-line summary. */
import type { CheckResult, CheckStatus, DoctorReport } from '../doctor/types.js';
import type { Inventory } from '../inventory/types.js';
import { statusMark, type Style } from './format.js';

export interface DoctorRenderOptions {
  /** Show evidence for passing checks too (by default only for info/warn/fail). */
  verbose: boolean;
}

function renderResult(r: CheckResult, opts: DoctorRenderOptions, style: Style): string {
  const { c } = style;
  const lines = [`  ${statusMark(r.status, style)} ${r.title}  ${c.dim(r.id)}`];
  if (r.status !== 'pass' || opts.verbose) {
    for (const e of r.evidence) lines.push(`      ${c.dim(e)}`);
  }
  if (r.fix) {
    const [first, ...rest] = r.fix.split('\n');
    lines.push(`      ${c.bold('fix:')} ${first}`);
    for (const more of rest) lines.push(`           ${more}`);
  }
  return lines.join('\n');
}

/** Group titles: `Host`, then `PF <pci> (<netdev>) <model>` for each PF scope. */
function groupTitle(scope: CheckResult['scope'], inv: Inventory): string {
  if (scope === 'host') return `Host ${inv.host.hostname}`;
  const pf = inv.pfs.find((p) => p.pciAddress === scope);
  if (!pf) return `PF ${scope}`;
  return `PF ${pf.pciAddress}${pf.netdev ? ` (${pf.netdev})` : ''} ${pf.vendorName} ${pf.deviceName}`.trimEnd();
}

/** Counts per status, in display order. */
export function countByStatus(report: DoctorReport): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, info: 0, warn: 0, fail: 0 };
  for (const r of report.results) counts[r.status]++;
  return counts;
}

/** `12 pass, 4 info, 2 warn, 0 fail (worst: warn)`, coloured on a TTY. */
export function renderSummary(report: DoctorReport, style: Style): string {
  const { c } = style;
  const n = countByStatus(report);
  const paint = { pass: c.green, info: c.cyan, warn: c.yellow, fail: c.red };
  const parts = (['pass', 'info', 'warn', 'fail'] as const).map((s) =>
    n[s] > 0 ? paint[s](`${n[s]} ${s}`) : `${n[s]} ${s}`,
  );
  return `${parts.join(', ')} (worst: ${paint[report.worst](report.worst)})`;
}

/** The full grouped report. */
export function renderDoctor(
  report: DoctorReport,
  inv: Inventory,
  opts: DoctorRenderOptions,
  style: Style,
): string {
  const groups = new Map<string, CheckResult[]>();
  for (const r of report.results) {
    const list = groups.get(r.scope) ?? [];
    list.push(r);
    groups.set(r.scope, list);
  }
  const blocks = [...groups].map(([scope, results]) =>
    [
      style.c.bold(groupTitle(scope as CheckResult['scope'], inv)),
      ...results.map((r) => renderResult(r, opts, style)),
    ].join('\n'),
  );
  return [...blocks, `Summary: ${renderSummary(report, style)}`].join('\n\n');
}
