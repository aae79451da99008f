import { createHash } from 'node:crypto';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { GossipService } from '../../lib';
import type { FeedNode, FeedSnapshot } from '../../lib/nest/ui/cluster-feed';
import { gossipApp } from '../nest/helpers';
import { waitFor } from '../support/wait';

interface SseEvent {
  type: string;
  data: unknown;
}

/** An `EventSource`-less client: reads the stream as `curl -N` would and parses each event. */
class SseClient {
  readonly events: SseEvent[] = [];
  response!: IncomingMessage;
  ended = false;
  private buffer = '';

  static open(url: string): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      get(url, (res) => {
        client.response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk));
        res.on('end', () => (client.ended = true));
        res.on('close', () => (client.ended = true));
        resolve(client);
      }).on('error', reject);
    });
  }

  of<T>(type: string): T[] {
    return this.events.filter((e) => e.type === type).map((e) => e.data as T);
  }

  close(): void {
    this.response.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let type = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) this.events.push({ type, data: JSON.parse(data.join('\n')) });
    }
  }
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

describe('GET /gossip/events and /gossip/ui', () => {
  let a: { app: INestApplication; gossip: GossipService };
  let b: { app: INestApplication; gossip: GossipService };
  let base: string;

  beforeAll(async () => {
    a = await gossipApp({ nodeId: 'feed-a', controller: true, metrics: false });
    base = await listen(a.app);
    b = await gossipApp({ nodeId: 'feed-b', join: [a.gossip.localNode().addr], metrics: false });
    b.gossip.upsertLocal('role', 'worker');
    await waitFor(() => a.gossip.node('feed-b')?.entries.length === 1, 'b known at a');
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.app.close();
  });

  it('streams the snapshot first, then changes, then stats every second', async () => {
    const sse = await SseClient.open(`${base}/gossip/events`);
    try {
      expect(sse.response.headers['content-type']).toMatch(/^text\/event-stream/);
      await waitFor(() => sse.events.length > 0, 'the snapshot');
      expect(sse.events[0].type).toBe('snapshot');
      const snapshot = sse.events[0].data as FeedSnapshot;
      expect(snapshot.self).toBe('feed-a');
      expect(snapshot.nodes.map((n) => [n.id, n.status, n.full]).sort()).toEqual([
        ['feed-a', 'alive', true],
        ['feed-b', 'alive', true],
      ]);
      expect(snapshot.nodes.find((n) => n.id === 'feed-b')!.entries).toEqual([
        expect.objectContaining({ key: 'role', value: 'worker', deleted: false }),
      ]);
      // "Recent events" is not empty on open: what happened before comes with the snapshot.
      expect(snapshot.events).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'join', nodeId: 'feed-b', at: expect.any(Number) }),
          expect.objectContaining({
            type: 'upsert-key',
            nodeId: 'feed-b',
            key: 'role',
            value: 'worker',
          }),
        ]),
      );

      // A remote write: the event as it happened, then the node's new entries only.
      b.gossip.upsertLocal('role', 'leader');
      const update = await waitFor(
        () => sse.of<FeedNode>('node').find((n) => n.id === 'feed-b'),
        'the node update',
      );
      expect(update).toMatchObject({ full: false, status: 'alive' });
      expect(update.entries).toEqual([expect.objectContaining({ key: 'role', value: 'leader' })]);
      expect(sse.of('upsert-key')).toContainEqual(
        expect.objectContaining({ nodeId: 'feed-b', key: 'role', value: 'leader' }),
      );

      // A delete arrives as a tombstone; a local write (no event) as a node update.
      b.gossip.deleteLocal('role');
      a.gossip.upsertLocal('zone', 'eu-1');
      await waitFor(
        () =>
          sse.of<FeedNode>('node').some((n) => n.id === 'feed-b' && n.entries[0]?.deleted) &&
          sse.of<FeedNode>('node').some((n) => n.id === 'feed-a' && n.entries[0]?.key === 'zone'),
        'the tombstone and the local write',
      );
      expect(sse.of('delete-key')).toContainEqual(
        expect.objectContaining({ nodeId: 'feed-b', key: 'role' }),
      );

      const stats = await waitFor(
        () => sse.of<{ packetsIn: number; alive: number }>('stats')[0],
        'stats',
        3000,
      );
      expect(stats.alive).toBe(2);
      expect(stats.packetsIn).toBeGreaterThan(0);
    } finally {
      sse.close();
    }
  });

  it('reports a node that left, then drops it (`gone`) once it expires', async () => {
    const c = await gossipApp({
      nodeId: 'feed-f',
      controller: true,
      metrics: false,
      nodeExpiry: 500,
    });
    const url = await listen(c.app);
    const g = await gossipApp({
      nodeId: 'feed-g',
      join: [c.gossip.localNode().addr],
      metrics: false,
    });
    const sse = await SseClient.open(`${url}/gossip/events`);
    try {
      await waitFor(() => sse.events.length > 0, 'the snapshot');
      await g.app.close(); // leaves
      const left = await waitFor(
        () => sse.of<FeedNode>('node').find((n) => n.id === 'feed-g' && n.status === 'left'),
        'feed-g shown left',
      );
      expect(left.expiry).toEqual(expect.any(String));
      await waitFor(() => sse.of<{ id: string }>('gone').some((n) => n.id === 'feed-g'), 'gone');
      expect(sse.of('expired')).toContainEqual(expect.objectContaining({ nodeId: 'feed-g' }));
    } finally {
      sse.close();
      await c.app.close();
    }
  });

  it('serves a page whose CSP admits exactly its inline script and style', async () => {
    const res = await request(base).get('/gossip/ui').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    const hash = (text: string) =>
      `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.text)![1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1];
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain("default-src 'none'");
    // Nothing from outside: no URL to another origin anywhere in the page.
    expect(res.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('ends open streams at shutdown, so closing the app does not hang', async () => {
    const c = await gossipApp({ nodeId: 'feed-c', controller: true, metrics: false });
    const url = await listen(c.app);
    const sse = await SseClient.open(`${url}/gossip/events`);
    await waitFor(() => sse.events.length > 0, 'the snapshot');
    // An open stream would hold the server open until its keep-alive expires: make that
    // longer than this test may take, so only ending the streams at shutdown lets close return.
    (c.app.getHttpServer() as Server).keepAliveTimeout = 10 * 60_000;
    await c.app.close();
    await waitFor(() => sse.ended, 'the stream to end');
  });

  it('`controller: { ui: false }` keeps the JSON routes only; a custom path moves the page', async () => {
    const off = await gossipApp({ nodeId: 'feed-d', controller: { ui: false }, metrics: false });
    await request(off.app.getHttpServer()).get('/gossip/nodes').expect(200);
    await request(off.app.getHttpServer()).get('/gossip/ui').expect(404);
    await request(off.app.getHttpServer()).get('/gossip/events').expect(404);
    await off.app.close();
    const moved = await gossipApp({
      nodeId: 'feed-e',
      controller: { path: 'ops/cluster' },
      metrics: false,
    });
    await request(moved.app.getHttpServer())
      .get('/ops/cluster/ui')
      .expect(200, /<title>/);
    await moved.app.close();
  });
});
