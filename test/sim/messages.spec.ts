import type { ClusterMessage, PublishResult, QueryAnswer } from '../../lib/engine';
import { GossipMessageError } from '../../lib/engine';
import { Simulation } from '../../lib/sim';
import type { LinkConfig } from '../../lib/sim/link';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);

/** Every message each node handed to its subscribers, in order. */
function recordAll(sim: Simulation, ids: string[]): Map<string, ClusterMessage[]> {
  const seen = new Map<string, ClusterMessage[]>();
  for (const id of ids) {
    const list: ClusterMessage[] = [];
    seen.set(id, list);
    sim.gossip(id).messages.subscribe('*', (m) => list.push(m));
  }
  return seen;
}

/** Problems with what `at` received: a message twice, or a sender's messages out of order. */
function orderProblems(at: string, received: ClusterMessage[]): string[] {
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const m of received) {
    const before = last.get(m.from) ?? 0;
    if (m.seq <= before) problems.push(`${at} got ${m.from}#${m.seq} after #${before}`);
    last.set(m.from, m.seq);
  }
  return problems;
}

/** Nodes that ever saw another as unreachable or left, per the trace. */
function convictions(sim: Simulation): number {
  return sim.events.filter((e) => e.event.type === 'unreachable' || e.event.type === 'leave')
    .length;
}

describe.each([
  ['10%', { loss: 0.1, streamLoss: 0.1, streamDuplicate: 0.1 }],
  ['50%', { loss: 0.1, streamLoss: 0.5, streamDuplicate: 0.2 }],
] as Array<[string, Partial<LinkConfig>]>)(
  'messages under %s stream loss, with duplicated requests',
  (_label, link) => {
    it('hands each message to each member exactly once, in send order per sender', async () => {
      const sim = new Simulation({ seed: 19, engine: { interval: 100 } });
      try {
        const nodes = sim.ids(await sim.startCluster(5));
        await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
        const seen = recordAll(sim, nodes);
        sim.faults(link);
        const sends: Array<Promise<PublishResult>> = [];
        const expected = new Map<string, number>(nodes.map((id) => [id, 0]));
        for (let round = 0; round < 6; round++) {
          for (const [i, id] of nodes.entries()) {
            const messages = sim.gossip(id).messages;
            for (let k = 0; k < 5; k++) sends.push(messages.publish('t', { id, round, k }));
            const to = nodes[(i + 1) % nodes.length];
            sends.push(messages.send(to, 'direct', { id, round }));
            for (const n of nodes) expected.set(n, expected.get(n)! + 5);
            expected.set(to, expected.get(to)! + 1);
          }
          await sim.runFor(150);
        }
        const results = await sim.settle(Promise.all(sends), 120_000);
        // Nobody was convicted (the failure detector runs on datagrams), so nothing may be missed.
        expect(convictions(sim)).toBe(0);
        expect(results.filter((r) => r.missed.length > 0)).toEqual([]);
        await sim.runFor(10); // the senders' own copies are handed on after their turn
        for (const id of nodes) {
          const received = seen.get(id)!;
          expect(orderProblems(id, received)).toEqual([]);
          expect(received.length).toBe(expected.get(id));
        }
        // The resends were real: duplicates arrived and were dropped before users saw them.
        const duplicates = await Promise.all(
          nodes.map(async (id) => {
            const metric = await sim.registry
              .getSingleMetric('gossip_messages_duplicate_total')
              ?.get();
            return metric?.values.find((v) => v.labels.local_node_id === id)?.value ?? 0;
          }),
        );
        expect(duplicates.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      } finally {
        await sim.shutdown();
      }
    });
  },
);

describe('messages across a partition, a crash and a restart', () => {
  it('loses nothing between connected members; reports the far side missed once convicted', async () => {
    const sim = new Simulation({ seed: 7, engine: { interval: 100 } });
    try {
      const nodes = sim.ids(await sim.startCluster(6));
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      const seen = recordAll(sim, nodes);
      const near = nodes.slice(0, 3);
      const far = nodes.slice(3);
      const cut = sim.partition(near, far);
      const during = await sim.settle(sim.gossip(near[0]).messages.publish('t', 'during'), 60_000);
      expect(during.delivered).toEqual([...near].sort());
      expect(during.missed).toEqual([...far].sort());
      for (const id of far) expect(sim.status(near[0], id)).not.toBe('alive');
      for (const id of far) expect(seen.get(id)!.some((m) => m.payload === 'during')).toBe(false);

      sim.heal(cut);
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 30_000 });
      const after = await sim.settle(sim.gossip(far[0]).messages.publish('t', 'after'), 60_000);
      expect(after).toMatchObject({ delivered: [...nodes].sort(), missed: [] });
      await sim.runFor(10);
      for (const id of nodes) {
        expect(seen.get(id)!.filter((m) => m.payload === 'after')).toHaveLength(1);
        expect(orderProblems(id, seen.get(id)!)).toEqual([]);
      }
    } finally {
      await sim.shutdown();
    }
  });

  it('a crashed target is reported missed once it is found unreachable', async () => {
    const sim = new Simulation({ seed: 3, engine: { interval: 100 } });
    try {
      const nodes = sim.ids(await sim.startCluster(4));
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      sim.crash(nodes[3]);
      const result = await sim.settle(sim.gossip(nodes[0]).messages.publish('t', 'x'), 60_000);
      expect(result.missed).toEqual([nodes[3]]);
      expect(result.delivered).toEqual(nodes.slice(0, 3).sort());
      expect(sim.status(nodes[0], nodes[3])).toBe('unreachable');
      const dropped = await sim.gossip(nodes[0]).metrics.messagesDroppedCount('gone');
      expect(dropped).toBe(1);
    } finally {
      await sim.shutdown();
    }
  });

  it('a target that restarts drops the old process messages and counts them missed', async () => {
    const sim = new Simulation({ seed: 5, engine: { interval: 100 } });
    try {
      const nodes = sim.ids(await sim.startCluster(3));
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      const [a, , c] = nodes;
      sim.crash(c);
      const pending = sim.gossip(a).messages.send(c, 't', 'to the old process');
      await sim.restart(c, [a]);
      const result = await sim.settle(pending, 60_000);
      expect(result).toMatchObject({ delivered: [], missed: [c] });
    } finally {
      await sim.shutdown();
    }
  });
});

describe('message bounds', () => {
  it('refuses past the backlog and the size bounds, with the numbers, queueing nothing', async () => {
    const sim = new Simulation({
      seed: 11,
      engine: { interval: 100, maxPendingMessages: 3, maxMessageSize: 1000 },
    });
    try {
      const nodes = sim.ids(await sim.startCluster(3));
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      const seen = recordAll(sim, nodes);
      const messages = sim.gossip(nodes[0]).messages;
      const accepted = [1, 2, 3].map((n) => messages.publish('t', n));
      const refuse = (run: () => unknown) => {
        try {
          run();
        } catch (err) {
          return err as GossipMessageError;
        }
        throw new Error('not refused');
      };
      const backlog = refuse(() => messages.publish('t', 4));
      expect(backlog).toBeInstanceOf(GossipMessageError);
      expect(backlog.reason).toBe('backlog');
      expect(backlog.message).toMatch(/3 messages .* maxPendingMessages 3/);
      const tooLarge = refuse(() => messages.send(nodes[1], 't', 'x'.repeat(2000)));
      expect(tooLarge.reason).toBe('too-large');
      expect(tooLarge.message).toMatch(/200\d bytes .* over maxMessageSize 1000/);
      const results = await sim.settle(Promise.all(accepted), 30_000);
      expect(results.map((r) => r.missed)).toEqual([[], [], []]);
      await sim.runFor(10);
      for (const id of nodes) expect(seen.get(id)!.map((m) => m.payload)).toEqual([1, 2, 3]);
      // Acknowledged: the backlog is free again.
      await sim.settle(messages.publish('t', 4), 30_000);
    } finally {
      await sim.shutdown();
    }
  });
});

describe('a live member that refuses every Deliver', () => {
  it('has its messages dropped after nodeExpiry, so nothing waits forever', async () => {
    const sim = new Simulation({ seed: 13, engine: { interval: 100, nodeExpiry: 5000 } });
    try {
      const a = (await sim.addNode('a')).id;
      const b = (await sim.addNode('b')).id;
      const c = (await sim.addNode('c', { maxMessageSize: 100 })).id; // refuses larger payloads
      await sim.join(b, [a]);
      await sim.join(c, [a]);
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      const started = sim.now();
      const result = await sim.settle(sim.gossip(a).messages.publish('t', 'x'.repeat(500)), 60_000);
      expect(result).toMatchObject({ delivered: [a, b], missed: [c] });
      expect(sim.now() - started).toBeGreaterThanOrEqual(5000);
      expect(sim.status(a, c)).toBe('alive');
      expect(await sim.gossip(a).metrics.messagesDroppedCount('refused')).toBe(1);
      expect(await sim.gossip(c).metrics.rejectedCount('limit')).toBeGreaterThan(0);
    } finally {
      await sim.shutdown();
    }
  });
});

describe('queries', () => {
  const setup = async (seed: number) => {
    const sim = new Simulation({ seed, engine: { interval: 100 } });
    const nodes = sim.ids(await sim.startCluster(4));
    await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
    for (const id of nodes)
      sim.gossip(id).messages.handle('whoami', (payload) => ({ id, asked: payload }));
    return { sim, nodes };
  };

  it('completes as soon as every member answered, each answer as it comes', async () => {
    const { sim, nodes } = await setup(21);
    try {
      const streamed: QueryAnswer[] = [];
      const started = sim.now();
      const result = await sim.settle(
        sim
          .gossip(nodes[0])
          .messages.query('whoami', 'q', { timeout: 5000 }, (a) => streamed.push(a)),
      );
      expect(sim.now() - started).toBeLessThan(100);
      expect(result.timedOut).toBe(false);
      expect(result.answers.map((a) => a.node).sort()).toEqual([...nodes].sort());
      expect(streamed).toEqual(result.answers);
      for (const a of result.answers)
        expect(a).toEqual({ node: a.node, ok: true, value: { id: a.node, asked: 'q' } });
    } finally {
      await sim.shutdown();
    }
  });

  it('after a crash completes once the node is convicted, before the timeout', async () => {
    const { sim, nodes } = await setup(22);
    try {
      sim.crash(nodes[2]);
      const started = sim.now();
      const result = await sim.settle(
        sim.gossip(nodes[0]).messages.query('whoami', null, { timeout: 30_000 }),
      );
      expect(result).toMatchObject({ timedOut: false, gone: [nodes[2]], silent: [] });
      expect(result.answers).toHaveLength(3);
      expect(sim.now() - started).toBeLessThan(30_000);
      expect(sim.status(nodes[0], nodes[2])).toBe('unreachable');
    } finally {
      await sim.shutdown();
    }
  });

  it('never waits past its timeout: the silent members are named', async () => {
    const { sim, nodes } = await setup(23);
    try {
      sim.partition([nodes[0]], nodes.slice(1));
      const started = sim.now();
      const result = await sim.settle(
        sim.gossip(nodes[0]).messages.query('whoami', null, { timeout: 300 }),
      );
      expect(sim.now() - started).toBe(300);
      expect(result).toMatchObject({ timedOut: true, gone: [], silent: nodes.slice(1).sort() });
      expect(result.answers.map((a) => a.node)).toEqual([nodes[0]]);
    } finally {
      await sim.shutdown();
    }
  });

  it('a handler that throws sends an error answer; a node without one says so; the filter narrows', async () => {
    const { sim, nodes } = await setup(24);
    try {
      sim.gossip(nodes[1]).messages.handle('fails', () => {
        throw new Error('boom');
      });
      sim
        .gossip(nodes[2])
        .messages.handle('fails', async () => Promise.reject(new Error('later boom')));
      const result = await sim.settle(
        sim.gossip(nodes[0]).messages.query('fails', 1, {
          filter: (n) => n.id !== nodes[3],
        }),
      );
      const byNode = new Map(result.answers.map((a) => [a.node, a]));
      expect(result.answers).toHaveLength(3);
      expect(byNode.get(nodes[1])).toEqual({
        node: nodes[1],
        ok: false,
        reason: 'error',
        error: 'boom',
      });
      expect(byNode.get(nodes[2])).toEqual({
        node: nodes[2],
        ok: false,
        reason: 'error',
        error: 'later boom',
      });
      expect(byNode.get(nodes[0])).toMatchObject({ ok: false, reason: 'no-handler' });
      expect(() => sim.gossip(nodes[1]).messages.handle('fails', () => 1)).toThrow(
        /already has a handler/,
      );
    } finally {
      await sim.shutdown();
    }
  });

  it('a handler slower than the stream allows answers an error in time', async () => {
    const sim = new Simulation({ seed: 25, engine: { interval: 100, streamTimeout: 1000 } });
    try {
      const nodes = sim.ids(await sim.startCluster(2));
      await sim.runUntil(() => sim.membershipConverged(), { timeout: 10_000 });
      sim.gossip(nodes[1]).messages.handle('slow', () => new Promise(() => undefined));
      const started = sim.now();
      const result = await sim.settle(
        sim.gossip(nodes[0]).messages.query('slow', null, {
          timeout: 5000,
          filter: (n) => n.id === nodes[1],
        }),
      );
      expect(result.timedOut).toBe(false);
      expect(result.answers).toEqual([
        {
          node: nodes[1],
          ok: false,
          reason: 'error',
          error: 'the handler did not answer within 900 ms',
        },
      ]);
      expect(sim.now() - started).toBeLessThan(1000);
    } finally {
      await sim.shutdown();
    }
  });
});
