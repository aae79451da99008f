import { io as connect, type Socket } from 'socket.io-client';
import request from 'supertest';
import { ChatGateway, type ChatLine } from '../../sample/chat.gateway';
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

  it('the chat page: a line typed on one instance reaches the pages of all three', async () => {
    const nodes: RunningNode[] = await startCluster({
      nodes: 3,
      gossipPort: 0,
      httpPort: 0,
      interval: 50,
    });
    const pages: Socket[] = [];
    try {
      const html = await request(nodes[1].http).get('/chat');
      expect(html.type).toBe('text/html');
      expect(html.text).toContain('<script src="/socket.io/socket.io.js"></script>');
      const client = await request(nodes[1].http).get('/socket.io/socket.io.js');
      expect(client.status).toBe(200);

      // Each instance knows the others serve Socket.IO (their gossip entries arrived).
      const servers = (node: RunningNode) =>
        node.app.get(ChatGateway).server.of('/').adapter.serverCount();
      await waitFor(
        async () => (await Promise.all(nodes.map(servers))).every((n) => n === 3),
        'each instance to count three Socket.IO servers',
      );
      const lines: ChatLine[][] = nodes.map(() => []);
      const counts: number[] = nodes.map(() => 0);
      // One page a node, one after the other: each new page makes its node announce the
      // count of open pages on all instances (fetchSockets), and every page shows it.
      for (const [i, node] of nodes.entries()) {
        const page = connect(node.http, { transports: ['websocket'], reconnection: false });
        page.on('chat', (line: ChatLine) => lines[i].push(line));
        page.on('presence', ({ clients }: { clients: number }) => (counts[i] = clients));
        pages.push(page);
        await waitFor(
          () => counts.slice(0, i + 1).every((n) => n === i + 1),
          `the pages to count ${i + 1}`,
        );
      }
      // ... and a line sent on node-2 arrives on all three.
      pages[1].emit('chat', { name: 'ada', text: 'hello from node-2' });
      await waitFor(() => lines.every((l) => l.length === 1), 'the line on all three pages');
      for (const received of lines)
        expect(received[0]).toMatchObject({
          name: 'ada',
          text: 'hello from node-2',
          via: 'node-2',
        });
    } finally {
      for (const page of pages) page.close();
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
