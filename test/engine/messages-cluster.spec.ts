import { type ClusterMessage, Gossip, GossipMessageError } from '../../lib/engine';
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
});
