import request from 'supertest';
import { startCluster, stopCluster, type RunningNode } from '../../sample/cluster';
import type { Instance } from '../../sample/registry.service';
import { ReportJob } from '../../sample/report.job';
import { Child } from '../support/child';
import { waitFor } from '../support/wait';

describe('sample: service registry', () => {
  it('three instances find each other and publish their HTTP address and load', async () => {
    const nodes: RunningNode[] = await startCluster({
      nodes: 3,
      gossipPort: 0,
      httpPort: 0,
      interval: 50,
    });
    try {
      const services = await waitFor(async () => {
        const res = await request(nodes[0].http).get('/services');
        const list = res.body as Instance[];
        return list.length === 3 &&
          list.every((i) => i.status === 'live' && i.http && i.load !== undefined)
          ? list
          : undefined;
      }, 'node-1 to list three instances');
      expect(services.map((s) => s.http).sort()).toEqual(nodes.map((n) => n.http).sort());

      // The one-instance job: the next two runs come from a single node.
      const runs = () => nodes.map((n) => n.app.get(ReportJob).runs);
      const before = runs();
      const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
      await waitFor(() => total(runs()) >= total(before) + 2, 'two runs of the report job', 15_000);
      const ran = runs().filter((count, i) => count > before[i]);
      expect(ran).toHaveLength(1);
    } finally {
      await stopCluster(nodes);
    }
  });

  it('`npm start` runs bounded with --duration and exits 0', async () => {
    const sample = Child.script('sample/main.ts', ['--duration', '1'], {
      env: { SAMPLE_GOSSIP_PORT: '0', SAMPLE_HTTP_PORT: '0', SAMPLE_INTERVAL: '50' },
    });
    const code = await sample.exited;
    const stdout = sample.output();
    expect(code).toBe(0);
    expect(stdout).toContain('node-1 sees 3 nodes');
    expect(stdout).toContain('node-3 sees 3 nodes');
    expect(stdout).toMatch(/stopped/);
  }, 90_000);
});
