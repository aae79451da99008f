import {
  type ClusterMessage,
  Gossip,
  GossipMessageError,
  type QueryAnswer,
} from '../../lib/engine';
import { MessageType, decodeMessage, encodeMessage } from '../../lib/engine/codec';
import { frame, rawStream } from '../security/support';
import { LoopbackCluster, waitAllSee } from '../support/cluster';
import { waitFor } from '../support/wait';

describe('messages between three real nodes on loopback', () => {
  const cluster = new LoopbackCluster();
  let nodes: Gossip[] = [];

  beforeAll(async () => {
    const a = await cluster.startEngine('a');
    const b = await cluster.startEngine('b');
    const c = await cluster.startEngine('c');
    nodes = [a, b, c];
    await b.join([a.localNode().addr]);
    await c.join([a.localNode().addr]);
    await waitAllSee(nodes, ['a', 'b', 'c'], 'all three live everywhere');
  });
  afterAll(() => cluster.closeAll());

  it('publish reaches every member once, the sender included', async () => {
    const seen: Array<[string, ClusterMessage]> = [];
    const unsubscribe = nodes.map((g) =>
      g.messages.subscribe('news', (m) => seen.push([g.nodeId, m])),
    );
    const result = await nodes[0].messages.publish('news', { hello: 'world', n: [1, 2] });
    expect(result.delivered).toEqual(['a', 'b', 'c']);
    expect(result.missed).toEqual([]);
    await waitFor(() => seen.length === 3, 'three copies');
    expect(seen.map(([at, m]) => [at, m.from, m.local, m.payload]).sort()).toEqual([
      ['a', 'a', true, { hello: 'world', n: [1, 2] }],
      ['b', 'a', false, { hello: 'world', n: [1, 2] }],
      ['c', 'a', false, { hello: 'world', n: [1, 2] }],
    ]);
    unsubscribe.forEach((u) => u());
  });

  it('send reaches one member, on the same ordered channel as publish', async () => {
    const [a, , c] = nodes;
    const atC: ClusterMessage[] = [];
    const atOthers: ClusterMessage[] = [];
    const offC = c.messages.subscribe('*', (m) => atC.push(m));
    const offA = a.messages.subscribe('job', (m) => atOthers.push(m));
    const offB = nodes[1].messages.subscribe('job', (m) => atOthers.push(m));
    const results = await Promise.all([
      a.messages.publish('job', 1),
      a.messages.send('c', 'job', 2),
      a.messages.publish('job', 3),
    ]);
    expect(results[1]).toMatchObject({ delivered: ['c'], missed: [] });
    await waitFor(() => atC.length === 3, 'c has all three');
    expect(atC.map((m) => m.payload)).toEqual([1, 2, 3]);
    expect(atC.map((m) => m.seq)).toEqual(results.map((r) => r.seq));
    expect(atOthers.map((m) => m.payload).sort()).toEqual([1, 1, 3, 3]);
    expect(() => a.messages.send('nobody', 'job', 1)).toThrow(GossipMessageError);
    [offA, offB, offC].forEach((off) => off());
  });

  it('query asks every member and completes when all answered, each answer as it comes', async () => {
    const off = nodes.map((g) => g.messages.handle('load', async (p) => ({ node: g.nodeId, p })));
    const streamed: QueryAnswer[] = [];
    const result = await nodes[1].messages.query('load', 7, { timeout: 10_000 }, (a) =>
      streamed.push(a),
    );
    expect(result).toMatchObject({ timedOut: false, gone: [], silent: [] });
    expect(result.answers.map((a) => a.node).sort()).toEqual(['a', 'b', 'c']);
    for (const answer of result.answers)
      expect(answer).toEqual({ node: answer.node, ok: true, value: { node: answer.node, p: 7 } });
    expect(streamed).toEqual(result.answers);
    off.forEach((remove) => remove());
    const none = await nodes[1].messages.query('load', 7, { filter: (n) => n.id === 'c' });
    expect(none.answers).toEqual([
      {
        node: 'c',
        ok: false,
        reason: 'no-handler',
        error: 'node c has no handler for query "load"',
      },
    ]);
  });

  it('carries a 1 MiB payload to every member', async () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const got = new Map<string, Uint8Array>();
    const off = nodes.map((g) =>
      g.messages.subscribe('blob', (m) => got.set(g.nodeId, m.payload as Uint8Array)),
    );
    const result = await nodes[2].messages.publish('blob', big);
    expect(result).toMatchObject({ delivered: ['a', 'b', 'c'], missed: [] });
    await waitFor(() => got.size === 3, 'the blob everywhere');
    for (const payload of got.values())
      expect(Buffer.from(payload).equals(Buffer.from(big))).toBe(true);
    off.forEach((remove) => remove());
  });

  it('drops and counts a malformed Deliver without handing anything on or crashing', async () => {
    const [a, b] = nodes;
    const seen: ClusterMessage[] = [];
    const off = b.messages.subscribe('*', (m) => seen.push(m));
    const before = await b.metrics.rejectedCount('decode');
    const deliver = (toGeneration: number) =>
      frame(
        encodeMessage({
          type: MessageType.Deliver,
          clusterId: 'default',
          from: 'mallory',
          fromGeneration: 1,
          to: 'b',
          toGeneration,
          // 0xc1 is never used in MessagePack: the payload cannot be decoded.
          items: [{ seq: 1, topic: 't', payload: Uint8Array.of(0xc1) }],
        }),
      );
    // Meant for another process of b: acknowledged and dropped unread; the reply names b's generation.
    const stale = await rawStream(b.localNode().addr, deliver(1));
    const ack = decodeMessage(stale.subarray(4), {
      maxKeySize: 1,
      maxValueSize: 1,
      maxArrayLength: 8,
    });
    if (ack.type !== MessageType.Delivered) throw new Error(`got type ${ack.type}`);
    expect(ack).toMatchObject({ from: 'b', upTo: 1 });
    expect(await b.metrics.messagesDroppedCount('stale')).toBe(1);
    const reply = await rawStream(b.localNode().addr, deliver(ack.generation));
    expect(reply.length).toBe(0); // closed unanswered
    await waitFor(
      async () => (await b.metrics.rejectedCount('decode')) > before,
      'the malformed Deliver counted',
    );
    // Still serving: a real message after it arrives.
    await a.messages.send('b', 'after', 'fine');
    await waitFor(() => seen.length === 1, 'the next message');
    expect(seen.map((m) => [m.from, m.payload])).toEqual([['a', 'fine']]);
    off();
  });
});

describe('messages with encryption (secretKeys)', () => {
  const key = Buffer.alloc(32, 9).toString('base64');
  const cluster = new LoopbackCluster({ secretKeys: [key] });
  afterAll(() => cluster.closeAll());

  it('publish, send and query work between sealed nodes', async () => {
    const a = await cluster.startEngine('sa');
    const b = await cluster.startEngine('sb');
    await b.join([a.localNode().addr]);
    await waitAllSee([a, b], ['sa', 'sb'], 'both live');
    const got: unknown[] = [];
    b.messages.subscribe('secret', (m) => got.push(m.payload));
    b.messages.handle('echo', (p) => p);
    await expect(a.messages.publish('secret', 'one')).resolves.toMatchObject({
      delivered: ['sa', 'sb'],
    });
    await expect(a.messages.send('sb', 'secret', 'two')).resolves.toMatchObject({
      delivered: ['sb'],
    });
    await waitFor(() => got.length === 2, 'both messages');
    expect(got).toEqual(['one', 'two']);
    const result = await a.messages.query('echo', 'hi', { filter: (n) => n.id === 'sb' });
    expect(result.answers).toEqual([{ node: 'sb', ok: true, value: 'hi' }]);
  });
});

describe('messages when a real node crashes', () => {
  const cluster = new LoopbackCluster();
  afterAll(() => cluster.closeAll());

  it('publish names the crashed node missed, and a query completes once it is convicted', async () => {
    const nodes = await Promise.all(['ca', 'cb', 'cc'].map((id) => cluster.start(id)));
    const [a, b, c] = nodes.map((n) => n.gossip);
    await b.join([a.localNode().addr]);
    await c.join([a.localNode().addr]);
    await waitAllSee([a, b, c], ['ca', 'cb', 'cc'], 'all three live');
    for (const g of [a, b, c]) g.messages.handle('ping', () => g.nodeId);
    await cluster.crash(nodes[2]); // closed without leaving: peers must find it unreachable
    const [published, asked] = await Promise.all([
      a.messages.publish('t', 'after the crash'),
      a.messages.query('ping', null, { timeout: 60_000 }),
    ]);
    expect(published).toMatchObject({ delivered: ['ca', 'cb'], missed: ['cc'] });
    expect(asked).toMatchObject({ timedOut: false, gone: ['cc'], silent: [] });
    expect(asked.answers.map((x) => x.node).sort()).toEqual(['ca', 'cb']);
    expect(a.node('cc')?.status).toBe('unreachable');
  });
});
