import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Gossip } from '../../lib/engine';
import { PROTOCOL_VERSION } from '../../lib/engine/codec';
import { LoopbackCluster, TestNode, liveIds, valueAt } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';

jest.setTimeout(60_000);

describe('a real cluster on 127.0.0.1', () => {
  let cluster: LoopbackCluster;

  beforeEach(() => {
    cluster = new LoopbackCluster();
  });
  afterEach(async () => {
    await cluster.closeAll();
  });

  /** Starts `n` nodes, each joining the previous one. */
  async function chain(n: number, prefix = 'n'): Promise<TestNode[]> {
    const nodes: TestNode[] = [];
    for (let i = 0; i < n; i++) {
      const node = await cluster.start(`${prefix}${i}`);
      if (i > 0) expect(await node.gossip.join([nodes[i - 1].addr])).toEqual([nodes[i - 1].id]);
      nodes.push(node);
    }
    return nodes;
  }

  async function allSeeAll(nodes: TestNode[]): Promise<number> {
    const ids = nodes.map((n) => n.id).sort();
    const started = Date.now();
    await waitFor(
      () => nodes.every((n) => liveIds(n.gossip).join() === ids.join()),
      `${nodes.length} nodes to see each other`,
      15_000,
      { detail: () => nodes.map((n) => `${n.id}: ${liveIds(n.gossip).length}`).join(', ') },
    );
    return Date.now() - started;
  }

  it('two nodes join and see each other', async () => {
    const [a, b] = await chain(2);
    await allSeeAll([a, b]);
    expect(a.gossip.node('n1')?.addr).toBe(b.addr);
    expect(a.watcher.events).toContainEqual({ type: 'join', nodeId: 'n1' });
    expect(b.watcher.events).toContainEqual({ type: 'join', nodeId: 'n0' });
  });

  it('ten nodes, each joining the previous one, all see all', async () => {
    const nodes = await chain(10);
    const ms = await allSeeAll(nodes);
    console.log(`10 nodes saw each other ${ms} ms after the last join`);
    for (const node of nodes) {
      expect(node.watcher.events.filter((e) => e.type === 'join')).toHaveLength(9);
    }
  });

  it('an update and a delete reach every node', async () => {
    const nodes = await chain(5);
    await allSeeAll(nodes);
    nodes[2].gossip.upsertLocal('role', 'api');
    nodes[2].gossip.upsertLocal('load', '0.5');
    await waitFor(
      () => nodes.every((n) => valueAt(n.gossip, 'n2', 'load') === '0.5'),
      'the update everywhere',
    );
    for (const node of nodes.filter((n) => n.id !== 'n2')) {
      expect(node.watcher.events).toContainEqual({
        type: 'upsert-key',
        nodeId: 'n2',
        key: 'load',
        value: '0.5',
      });
    }
    nodes[2].gossip.deleteLocal('role');
    await waitFor(
      () =>
        nodes.every(
          (n) => n.gossip.node('n2')?.entries.find((e) => e.key === 'role')?.deleted === true,
        ),
      'the tombstone everywhere',
    );
    for (const node of nodes.filter((n) => n.id !== 'n2')) {
      expect(valueAt(node.gossip, 'n2', 'role')).toBeUndefined();
      expect(node.watcher.events).toContainEqual({ type: 'delete-key', nodeId: 'n2', key: 'role' });
    }
  });

  it('a value of 64 KiB reaches every node', async () => {
    const nodes = await chain(4);
    await allSeeAll(nodes);
    const big = randomBytes(48 * 1024).toString('base64'); // 64 KiB of text
    expect(big.length).toBe(64 * 1024);
    nodes[0].gossip.upsertLocal('blob', big);
    nodes[0].gossip.upsertLocal('after', 'x');
    await waitFor(
      () =>
        nodes.every(
          (n) =>
            valueAt(n.gossip, 'n0', 'blob') === big && valueAt(n.gossip, 'n0', 'after') === 'x',
        ),
      'the big value everywhere',
    );
    expect(await streamsOpened(nodes)).toBeGreaterThan(0);
  });

  it('a crash is detected by every node, the node expires and never comes back', async () => {
    const expiry = 1500;
    cluster = new LoopbackCluster({ nodeExpiry: expiry });
    const nodes = await chain(5);
    await allSeeAll(nodes);
    const victim = nodes[4];
    const survivors = nodes.slice(0, 4);
    await cluster.crash(victim);
    const crashedAt = Date.now();
    await waitFor(
      () => survivors.every((n) => n.gossip.node(victim.id)?.unreachable === true),
      'every survivor to mark the crashed node unreachable',
    );
    const detectedIn = Date.now() - crashedAt;
    console.log(`crash detected by all 4 survivors in ${detectedIn} ms`);
    const unreachable = survivors[0].gossip.nodes().find((n) => n.id === victim.id);
    expect(unreachable?.expiry).toBeInstanceOf(Date);
    await waitFor(
      () => survivors.every((n) => n.gossip.node(victim.id) === undefined),
      'expiry everywhere',
      10_000,
    );
    for (const n of survivors) {
      expect(
        n.watcher.events.filter((e) => e.nodeId === victim.id && e.type === 'unreachable'),
      ).toHaveLength(1);
      expect(
        n.watcher.events.filter((e) => e.nodeId === victim.id && e.type === 'expired'),
      ).toHaveLength(1);
    }
    // Three more expiry periods of gossip: no ghost.
    const until = Date.now() + 3 * expiry;
    while (Date.now() < until) {
      for (const n of survivors) expect(n.gossip.node(victim.id)).toBeUndefined();
      await sleep(50);
    }
    for (const n of survivors) {
      expect(
        n.watcher.events.filter((e) => e.nodeId === victim.id && e.type === 'join'),
      ).toHaveLength(1);
    }
  });

  it('a node restarting with the same id is accepted with its new state', async () => {
    const nodes = await chain(3);
    await allSeeAll(nodes);
    nodes[2].gossip.upsertLocal('epoch', 'old');
    nodes[2].gossip.upsertLocal('only-old', 'x');
    await waitFor(
      () => nodes.every((n) => valueAt(n.gossip, 'n2', 'only-old') === 'x'),
      'old state everywhere',
    );
    await cluster.crash(nodes[2]);
    // A new generation is the start time in ms: it must be later than the crashed one's.
    const crashedAt = Date.now();
    await waitFor(() => Date.now() > crashedAt, 'the clock to pass the old start time');
    const reborn = await cluster.start('n2');
    reborn.gossip.upsertLocal('epoch', 'new');
    await reborn.gossip.join([nodes[0].addr]);
    await waitFor(
      () => nodes.slice(0, 2).every((n) => valueAt(n.gossip, 'n2', 'epoch') === 'new'),
      'the new incarnation everywhere',
    );
    for (const n of nodes.slice(0, 2)) {
      expect(valueAt(n.gossip, 'n2', 'only-old')).toBeUndefined();
      const seen = n.watcher.events.filter(
        (e) => e.nodeId === 'n2' && (e.type === 'expired' || e.type === 'join'),
      );
      expect(seen.map((e) => e.type)).toEqual(['join', 'expired', 'join']);
    }
  });

  it('a graceful leave is seen as left by all and fires onLeave once per watcher', async () => {
    const nodes = await chain(5);
    await allSeeAll(nodes);
    await nodes[1].gossip.leave();
    expect(() => nodes[1].gossip.upsertLocal('k', 'v')).toThrow(/left/);
    await waitFor(
      () => nodes.filter((n) => n !== nodes[1]).every((n) => n.gossip.node('n1')?.left === true),
      'everyone to see the leave',
    );
    await cluster.crash(nodes[1]);
    await sleep(500); // gossip goes on; no second leave, no unreachable for a left node
    for (const n of nodes.filter((x) => x !== nodes[1])) {
      const about = n.watcher.events.filter((e) => e.nodeId === 'n1');
      expect(about.filter((e) => e.type === 'leave')).toHaveLength(1);
      expect(about.filter((e) => e.type === 'unreachable')).toHaveLength(0);
      expect(n.gossip.node('n1')?.expiry).toBeInstanceOf(Date);
    }
  });

  it('random bytes on the UDP and TCP ports do not stop the node from converging', async () => {
    const [a, b] = await chain(2);
    await allSeeAll([a, b]);
    const [host, port] = [a.addr.split(':')[0], Number(a.addr.split(':')[1])];
    const udp = createSocket('udp4');
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 1400));
      if (i % 3 === 0) bytes[1] = PROTOCOL_VERSION; // valid protocol version: reaches the decoder
      udp.send(bytes, port, host);
    }
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, host, () => socket.end(randomBytes(2000)));
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
          }),
      ),
    );
    udp.close();
    const c = await cluster.start('c');
    await c.gossip.join([a.addr]);
    a.gossip.upsertLocal('still', 'alive');
    await allSeeAll([a, b, c]);
    await waitFor(
      () => valueAt(c.gossip, 'n0', 'still') === 'alive',
      'a fresh update after the garbage',
    );
    const counts = await Promise.all(
      ['decode', 'type', 'version', 'empty'].map((r) => a.gossip.metrics.rejectedCount(r)),
    );
    expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThan(100);
  });

  it('join rejects when nothing listens at the address', async () => {
    const a = await cluster.start('lonely', { streamTimeout: 1000 });
    const spare = await Gossip.create({ bindAddr: '127.0.0.1:0' });
    const deadAddr = spare.localNode().addr;
    await spare.close();
    await expect(a.gossip.join([deadAddr])).rejects.toThrow(/join failed/);
    await expect(a.gossip.join(['not an address'])).rejects.toThrow(/not host\[:port\]/);
  });

  it('join resolves [] when the only address is this node', async () => {
    const a = await cluster.start('me');
    await expect(a.gossip.join([a.addr])).resolves.toEqual([]);
  });

  it('close is idempotent and stops the node', async () => {
    const a = await cluster.start('closing');
    await a.gossip.close();
    await a.gossip.close();
    expect(() => a.gossip.upsertLocal('k', 'v')).toThrow(/closed/);
  });
});

async function streamsOpened(nodes: TestNode[]): Promise<number> {
  let total = 0;
  for (const n of nodes) {
    const metric = await n.gossip.metrics.registry
      .getSingleMetric('gossip_connections_outbound_total')
      ?.get();
    total += metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
  }
  return total;
}
