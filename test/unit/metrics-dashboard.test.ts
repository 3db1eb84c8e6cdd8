// The dashboard and the alert rules only reference series that exist: every metric name in
// their PromQL is declared by createMetrics (the shared registry factory) or is one of the
// Temporal SDK/Core series verified against a running worker (docs/metrics.md). A renamed
// series breaks this test instead of silently emptying a panel or muting an alert.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '../../src/infra/metrics.ts';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

// Temporal SDK (Core) series, as a worker's TEMPORAL_METRICS_PORT serves them (see metrics.test.ts).
const SDK = new Set([
  'temporal_worker_task_slots_available', 'temporal_worker_task_slots_used',
  'temporal_activity_schedule_to_start_latency', 'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_execution_latency', 'temporal_workflow_task_execution_latency', 'temporal_num_pollers',
]);
const PROMQL = new Set(['sum', 'max', 'min', 'avg', 'count', 'by', 'without', 'rate', 'increase', 'irate', 'histogram_quantile', 'clamp_min', 'clamp_max',
  'and', 'or', 'unless', 'vector', 'absent', 'on', 'ignoring', 'bool', 'topk', 'offset', 'inf', 'nan', 'up']);

/** Metric names referenced by a PromQL expression (label matchers, grouping labels and functions removed). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range selectors
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/"[^"]*"/g, ' ')
    .replace(/(^|[^a-zA-Z_:])\d+(\.\d+)?(e[-+]?\d+)?/gi, '$1 '); // numbers such as 1e-9
  const words = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL.has(w)).map((w) => w.replace(/_(bucket|sum|count)$/, '')))];
}

const declared = (() => {
  const m = createMetrics('test');
  const names = new Set(m.registry.getMetricsAsArray().map((x) => x.name));
  m.registry.clear();
  return names;
})();
const known = (name: string) => declared.has(name) || SDK.has(name);

describe('dashboard and alerts reference real series', () => {
  it('every Grafana panel query uses declared metrics; panels have unique ids and do not overlap', () => {
    const dash = JSON.parse(read('deploy/grafana/dashboards/checkout.json'));
    expect(dash.uid).toBe('checkout-overview');
    const ids = dash.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    const unknown: string[] = [];
    for (const p of dash.panels) {
      const g = p.gridPos;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
      for (const t of p.targets ?? []) for (const n of metricNames(t.expr)) if (!known(n)) unknown.push(`${p.title}: ${n}`);
    }
    expect(unknown).toEqual([]);
    const used = new Set(dash.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
    // Every business series has a panel.
    const unplotted = [...declared].filter((n) => !n.startsWith('process_') && !n.startsWith('nodejs_') && !used.has(n));
    expect(unplotted).toEqual([]);
  });

  it('every alert uses declared metrics and links to an existing runbook section', () => {
    const rules = read('deploy/prometheus/alerts.yml');
    const runbook = read('docs/runbook.md');
    const anchors = new Set([...runbook.matchAll(/^#+ (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    const alerts = [...rules.matchAll(/- alert: (\w+)\n\s+expr: (\|\n(?:\s{10,}.*\n)+|.*\n)/g)];
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const [, name, expr] of alerts) {
      expect(metricNames(expr).filter((n) => !known(n))).toEqual([]);
      expect(rules).toContain(`runbook: docs/runbook.md#${name.toLowerCase()}`);
      expect(anchors.has(name.toLowerCase())).toBe(true);
    }
  });

  it('docs/metrics.md lists every declared series', () => {
    const doc = read('docs/metrics.md');
    const missing = [...declared].filter((n) => !n.startsWith('process_') && !n.startsWith('nodejs_') && !doc.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });

  it('promtool accepts the Prometheus config and rules (when promtool is installed)', () => {
    const promtool = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'promtool')).find((p) => existsSync(p));
    if (!promtool) return; // not on every machine; the checks above still ran
    const dir = new URL('deploy/prometheus/', root).pathname;
    expect(() => execFileSync(promtool, ['check', 'rules', 'alerts.yml'], { cwd: dir, stdio: 'pipe' })).not.toThrow();
    expect(() => execFileSync(promtool, ['check', 'config', '--syntax-only', 'prometheus.dev.yml'], { cwd: dir, stdio: 'pipe' })).not.toThrow();
  });
});
