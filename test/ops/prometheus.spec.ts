import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { dashboardQueries, loadDashboard, withDefaults } from './support/dashboard';
import { type SampleProcess, startSampleCluster, stopAll } from './support/sample-process';
import { Child } from '../support/child';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';

jest.setTimeout(90_000);

const DEPLOY = join(__dirname, '..', '..', 'deploy', 'prometheus');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus answers in its own time: poll every 250 ms, for up to 20 s. */
const PATIENCE = 20_000;
const POLL = { every: 250 };

// prometheus comes from Debian's package; scripts/setup.sh installs it.
describe('a real Prometheus scraping three sample processes', () => {
  let nodes: SampleProcess[] = [];
  let prometheus: Child | undefined;
  let api = '';
  const dir = mkdtempSync(join(tmpdir(), 'gossip-prometheus-'));

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data: { result: Sample[] };
    };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }
  const scalar = async (promql: string) => Number((await query(promql))[0]?.value[1] ?? NaN);

  beforeAll(async () => {
    const [cluster, port] = await Promise.all([startSampleCluster(3, 100), freePort()]);
    nodes = cluster;
    // deploy/prometheus/prometheus.yml, pointed at these nodes and scraping every second.
    const config = load(readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    config.rule_files = config.rule_files.map((f) => join(DEPLOY, f));
    config.scrape_configs[0].static_configs = [{ targets: nodes.map((n) => new URL(n.http).host) }];
    writeFileSync(join(dir, 'prometheus.yml'), dump(config));
    prometheus = new Child('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    api = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${api}/-/ready`)).status === 200,
      'prometheus ready',
      PATIENCE,
      { ...POLL, detail: () => prometheus?.output() ?? '' },
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await stopAll(nodes);
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the gossip series with sensible values', async () => {
    const up = await waitFor(
      async () => ((await scalar('count(up{job="gossip"} == 1)')) === 3 ? 3 : undefined),
      'three targets up',
      PATIENCE,
      POLL,
    );
    const live = await waitFor(
      async () => {
        const r = await query('gossip_nodes{job="gossip",status="live"}');
        return r.length === 3 && r.every((s) => s.value[1] === '3') ? r : undefined;
      },
      'every node to report 3 live nodes',
      PATIENCE,
      POLL,
    );
    expect(live.map((s) => s.metric.local_node_id).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await scalar('max(gossip_nodes{status="unreachable"})')).toBe(0);

    const before = await scalar('sum(gossip_packets_outbound_total)');
    const after = await waitFor(
      async () => {
        const v = await scalar('sum(gossip_packets_outbound_total)');
        return v > before ? v : undefined;
      },
      'packet counters to rise',
      PATIENCE,
      POLL,
    );
    const rates = await waitFor(
      async () => {
        const r = await query('rate(gossip_packets_inbound_total[5s])');
        return r.length === 3 && r.every((s) => Number(s.value[1]) > 0) ? r : undefined;
      },
      'every node to receive packets',
      PATIENCE,
      POLL,
    );
    const entries = await scalar(
      'min(sum by (local_node_id) (gossip_entries{deleted="false",internal="false"}))',
    );
    // Each node publishes `http`, `load`, `rpc`, its claim `leader:report`
    // (the sample's one-instance job) and `socket.io#/` (the chat gateway's
    // server), and every node holds all of them: 15. The job's `report`
    // entry is on the node(s) that ran it so far: 1 to 3.
    expect(entries).toBeGreaterThanOrEqual(16);
    expect(entries).toBeLessThanOrEqual(18);
    const rounds = await scalar('sum(gossip_round_duration_seconds_count)');
    expect(rounds).toBeGreaterThan(0);
    console.log(
      [
        `count(up{job="gossip"} == 1) = ${up}`,
        `gossip_nodes{status="live"} = ${live.map((s) => `${s.metric.local_node_id}:${s.value[1]}`).join(' ')}`,
        `max(gossip_nodes{status="unreachable"}) = 0`,
        `sum(gossip_packets_outbound_total) = ${before} then ${after}`,
        `rate(gossip_packets_inbound_total[5s]) = ${rates.map((s) => `${s.metric.local_node_id}:${Number(s.value[1]).toFixed(1)}/s`).join(' ')}`,
        `min(sum by (local_node_id) (gossip_entries{deleted="false",internal="false"})) = ${entries}`,
        `sum(gossip_round_duration_seconds_count) = ${rounds}`,
      ].join('\n'),
    );
  });

  it('loads the alert rules, all healthy and quiet', async () => {
    const rules = await waitFor(
      async () => {
        const body = (await (await fetch(`${api}/api/v1/rules?type=alert`)).json()) as {
          data: { groups: { rules: { name: string; health: string; state: string }[] }[] };
        };
        const r = body.data.groups.flatMap((g) => g.rules);
        return r.length === 4 && r.every((rule) => rule.health === 'ok') ? r : undefined;
      },
      'four evaluated rules',
      PATIENCE,
      POLL,
    );
    expect(rules.map((r) => [r.name, r.state])).toEqual([
      ['GossipNodeUnreachable', 'inactive'],
      ['GossipMembershipSmallerThanExpected', 'inactive'],
      ['GossipRejectedPacketsRising', 'inactive'],
      ['GossipRoundDurationHigh', 'inactive'],
    ]);
  });

  it('answers every Grafana dashboard query', async () => {
    for (const { panel, expr } of dashboardQueries(loadDashboard())) {
      const promql = withDefaults(expr);
      // Nothing was rejected, so that counter has no series yet; everything else has data.
      const mayBeEmpty = /gossip_rejected_total/.test(expr) && !/or vector/.test(expr);
      const result = await waitFor(
        async () => {
          const r = await query(promql);
          return mayBeEmpty || r.length > 0 ? r : undefined;
        },
        `data for "${panel}": ${promql}`,
        PATIENCE,
        POLL,
      );
      if (!mayBeEmpty) expect(result.length).toBeGreaterThan(0);
    }
  });
});
