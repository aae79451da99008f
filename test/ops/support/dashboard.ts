import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD_PATH = join(
  __dirname,
  '..',
  '..',
  '..',
  'deploy',
  'grafana',
  'gossip-dashboard.json',
);

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every panel query, with the panel title. */
export function dashboardQueries(dashboard: Dashboard): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );
}

/** A query as Grafana would send it with every node of every job selected. */
export function withDefaults(expr: string, rateInterval = '10s'): string {
  return expr
    .replace(/\$__rate_interval/g, rateInterval)
    .replace(/\$job/g, '.*')
    .replace(/\$node/g, '.*');
}
