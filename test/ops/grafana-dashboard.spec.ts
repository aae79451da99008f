import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { dashboardQueries, loadDashboard } from './support/dashboard';
import { exportedMetricNames, gossipMetricsIn } from './support/exported-metrics';

describe('Grafana dashboard (deploy/grafana/gossip-dashboard.json)', () => {
  const dashboard = loadDashboard();
  const queries = dashboardQueries(dashboard);
  let exported: Set<string>;

  beforeAll(async () => {
    exported = await exportedMetricNames();
  });

  it('every query names a metric the nodes export', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const { panel, expr } of queries) {
      const used = gossipMetricsIn(expr);
      expect({ panel, used: used.length > 0 }).toEqual({ panel, used: true });
      expect({ panel, unknown: used.filter((n) => !exported.has(n)) }).toEqual({
        panel,
        unknown: [],
      });
    }
  });

  it('every exported metric has a panel', () => {
    const used = new Set(queries.flatMap((q) => gossipMetricsIn(q.expr)));
    const histogramParts = /_(bucket|sum|count)$/;
    const missing = [...exported].filter(
      (name) =>
        !used.has(name) &&
        !(histogramParts.test(name) && used.has(name.replace(histogramParts, '_bucket'))) &&
        !used.has(`${name}_bucket`),
    );
    expect(missing).toEqual([]);
  });

  it('template variables query exported metrics; panels read the chosen data source', () => {
    for (const variable of dashboard.templating.list) {
      if (variable.type !== 'query') continue;
      const query = typeof variable.query === 'string' ? variable.query : variable.query!.query;
      expect(gossipMetricsIn(query).every((n) => exported.has(n))).toBe(true);
    }
    for (const panel of dashboard.panels) {
      if (panel.type === 'row') continue;
      expect(panel.datasource?.uid).toBe('${datasource}');
      expect(panel.targets?.every((t) => t.datasource?.uid === '${datasource}')).toBe(true);
    }
  });

  it('has unique panel ids and no overlapping panels on the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = dashboard.panels.map((p) => ({ title: p.title, ...p.gridPos }));
    for (const a of boxes) {
      expect(a.x + a.w).toBeLessThanOrEqual(24);
      for (const b of boxes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ a: a.title, b: b.title, overlap }).toEqual({
          a: a.title,
          b: b.title,
          overlap: false,
        });
      }
    }
  });

  it('the provisioning files load it from the mounted folder', () => {
    const provisioning = join(__dirname, '..', '..', 'deploy', 'grafana', 'provisioning');
    const providers = load(
      readFileSync(join(provisioning, 'dashboards', 'gossip.yml'), 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers[0]).toMatchObject({ type: 'file' });
    const sources = load(
      readFileSync(join(provisioning, 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { type: string }[] };
    expect(sources.datasources[0].type).toBe('prometheus');
  });
});
