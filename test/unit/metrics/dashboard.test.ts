// The Grafana dashboard in dashboards/ is well-formed, every query in it names only metrics the
// exposition has, and every query is valid PromQL (checked by promtool as recording rules).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorld } from './support.js';

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

const FILE = join(import.meta.dirname, '../../../dashboards/sriovctl.json');
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** The metric names a PromQL expression selects (functions, labels and keywords left out). */
function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/\$?[a-zA-Z_:][\w:]*/g)) {
    const word = m[0];
    const after = s.slice(m.index + word.length);
    if (word.startsWith('$') || KEYWORDS.has(word) || /^\s*\(/.test(after)) continue;
    names.add(word);
  }
  return [...names];
}

function queries(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of dashboard.panels)
    for (const t of p.targets ?? [])
      out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const lv = q ? /^label_values\((.*),\s*\w+\)$/.exec(q) : null;
    if (lv) out.push({ where: `variable ${v.name}`, expr: lv[1]! });
  }
  return out;
}

let exported: Set<string>;
beforeAll(async () => {
  const w = await openWorld({ health: {} });
  try {
    const text = await w.scrape();
    exported = new Set();
    for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      const [, name, type] = m;
      exported.add(name!);
      if (type === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) exported.add(name + s);
    }
    // The process metrics the daemon adds (the test world leaves them out).
    const { MetricsExporter } = await import('../../../src/metrics/exposition.js');
    const e = new MetricsExporter({
      sampler: w.sampler,
      inventory: w.allocation.inventory,
      ledgerView: w.obs.ledgerView,
      placement: w.allocation.placementConfig,
    });
    for (const m of (await e.scrapeText()).matchAll(/^# TYPE (\S+) /gm)) exported.add(m[1]!);
    e.close();
  } finally {
    await w.close();
  }
});

describe('dashboards/sriovctl.json', () => {
  it('is a Grafana dashboard: unique panel ids, a grid position each, a query per data panel', () => {
    expect(dashboard.uid).toBe('sriovctl');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.w).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.targets?.length ?? 0).toBeGreaterThan(0);
    }
    expect(queries().length).toBeGreaterThan(30);
  });

  it('queries only metrics the exposition exports', () => {
    const missing = queries().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
    // And it uses the families that matter: the per-VF counters, capacity, health.
    const used = new Set(queries().flatMap((q) => metricNames(q.expr)));
    for (const n of [
      'sriov_vf_rx_bytes',
      'sriov_vf_tx_dropped',
      'sriov_vf_info',
      'sriovctl_pf_link_up',
      'sriovctl_pf_guaranteed_bytes_per_second',
      'sriovctl_pool_vfs_free',
      'sriovctl_tenant_vfs_allocated',
      'sriovctl_health_status',
      'sriovctl_api_request_duration_seconds_bucket',
    ])
      expect(used).toContain(n);
  });

  it('finds metric names the way PromQL reads them (the checker is not blind)', () => {
    expect(
      metricNames(
        'sum by (tenant) (rate(sriov_vf_tx_bytes{pf=~"$pf"}[$__rate_interval]) * on (pf, vf) group_left (tenant) sriov_vf_info{tenant!=""}) * 8',
      ).sort(),
    ).toEqual(['sriov_vf_info', 'sriov_vf_tx_bytes']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))')).toEqual([
      'x_bucket',
    ]);
    expect(exported.has('sriov_vf_tx_byte')).toBe(false);
  });

  describe('PromQL', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sriovctl-dash-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('parses every query (promtool check rules, Grafana variables filled in)', () => {
      const rules = queries()
        .map(({ expr }, i) => {
          const promql = expr
            .replace(/\$__rate_interval/g, '1m')
            .replace(/\$(instance|pf|tenant)\b/g, '.*');
          return `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(promql)}\n`;
        })
        .join('');
      const file = join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}`);
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      if (r.error)
        throw new Error(
          `promtool is needed for this test and could not be run (${r.error.message}): install the Debian package "prometheus"`,
        );
      expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS: \d+ rules found/);
      expect(r.status).toBe(0);
    });
  });
});
