import { GOSSIP_DEFAULTS, GossipJoinError, socketTransport } from '../../lib/engine';
import type { TransportFactory } from '../../lib/engine';
import { LoopbackCluster, TestNode, liveIds } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';

jest.setTimeout(60_000);

/**
 * The real socket transport, except that nothing goes to or comes from an
 * address in `cut` (every node sends through it, so a cut node's links are
 * down both ways).
 */
function cuttableTransport(cut: Set<string>): TransportFactory {
  const inner = socketTransport(GOSSIP_DEFAULTS);
  return async (bindAddr, handler) => {
    const transport = await inner(bindAddr, handler);
    const severed = (to: string) => cut.has(to) || cut.has(transport.localAddr);
    return {
      get localAddr() {
        return transport.localAddr;
      },
      sendPacket: (to, data) => {
        if (!severed(to)) transport.sendPacket(to, data);
      },
      request: (to, data, timeoutMs) =>
        severed(to)
          ? Promise.reject(new Error(`connect ECONNREFUSED ${to} (cut)`))
          : transport.request(to, data, timeoutMs),
      close: () => transport.close(),
    };
  };
}

/** Issue 17's two defects, on real sockets (the simulator tells the same stories with exact timing). */
describe('issue 17 on 127.0.0.1', () => {
  let cluster: LoopbackCluster;
  afterEach(() => cluster.closeAll());

  it('a node cut off both ways is never reported reachable while 7 nodes join, and expires', async () => {
    const cut = new Set<string>();
    cluster = new LoopbackCluster({ nodeExpiry: 3_000, transport: cuttableTransport(cut) });
    const seed = await cluster.start('s0');
    const first: TestNode[] = [seed];
    for (const id of ['n1', 'n2', 'n3']) {
      const node = await cluster.start(id);
      await node.gossip.join([seed.addr]);
      first.push(node);
    }
    const ids = first.map((n) => n.id).sort();
    await waitFor(
      () => first.every((n) => liveIds(n.gossip).join() === ids.join()),
      'the first four to see each other',
    );
    const victim = first[2];
    cut.add(victim.addr);
    const seen = (node: TestNode) => node.watcher.events.filter((e) => e.nodeId === victim.id);
    await waitFor(() => seen(seed).some((e) => e.type === 'unreachable'), 'the seed to judge it');

    for (let i = 0; i < 7; i++) {
      const joiner = await cluster.start(`j${i}`);
      await joiner.gossip.join([seed.addr]);
      await sleep(500);
    }
    await waitFor(
      () => seen(seed).some((e) => e.type === 'expired'),
      'the seed to expire it',
      20_000,
    );
    // Nothing was heard from it: one verdict, one expiry, never reachable anywhere.
    expect(seen(seed).map((e) => e.type)).toEqual(['join', 'unreachable', 'expired']);
    for (const node of cluster.nodes)
      if (node !== victim) expect(seen(node).filter((e) => e.type === 'reachable')).toEqual([]);
  });

  it('a second process with a live node id is refused at join; the live node keeps its identity', async () => {
    cluster = new LoopbackCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    await b.gossip.join([a.addr]);
    await waitFor(() => liveIds(b.gossip).join() === 'a,b', 'b to see a');
    const before = b.watcher.events.length;

    const copy = await cluster.start('a');
    const join = copy.gossip.join([b.addr]);
    await expect(join).rejects.toBeInstanceOf(GossipJoinError);
    await expect(join).rejects.toThrow(`node id "a" is already used by a live node at ${a.addr}`);
    expect(copy.gossip.idConflict).toEqual({ id: 'a', addr: a.addr });
    await sleep(500);
    await copy.gossip.leave();
    await cluster.remove(copy.gossip);

    // Joining through the live node itself is refused the same way, and the live node knows.
    const second = await cluster.start('a');
    await expect(second.gossip.join([a.addr])).rejects.toThrow(
      `node id "a" is already used by a live node at ${a.addr}`,
    );
    expect(a.gossip.idConflict).toEqual({ id: 'a', addr: second.addr });
    await cluster.remove(second.gossip);

    // b never lost the real a.
    expect(b.watcher.events.slice(before).filter((e) => e.nodeId === 'a')).toEqual([]);
    expect(b.gossip.node('a')).toMatchObject({ addr: a.addr, unreachable: false, left: false });
  });
});
