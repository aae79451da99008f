import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenarios 4 and 5: a node restarts with the same id and empty state. Its
 * new incarnation (higher generation) wins everywhere, nobody ever holds a
 * mix of old and new entries, and replayed datagrams of the old
 * incarnation change nothing.
 */
describe('scenarios 4 and 5: restart with the same id, stale incarnation replayed', () => {
  const sim = new Simulation({ seed: 4, engine: { interval: 100, nodeExpiry: 30_000 } });
  afterAll(() => sim.shutdown());
  const oldDatagrams: Array<{ from: string; to: string; data: Uint8Array }> = [];

  /** An observer holds a mix when it has the new value of `a` and the old-only key `b`. */
  const mixed = () =>
    sim.all
      .filter((n) => n.id !== 'n5')
      .filter((n) => {
        const keys = sim.liveKeys(n.id, 'n5');
        return keys.get('a') === 'new' && keys.has('b');
      })
      .map((n) => n.id);

  it('scenario 4: the new incarnation replaces the old one everywhere, never mixed', async () => {
    const nodes = await sim.startCluster(20);
    const n5 = sim.node('n5');
    sim.network.tap = (from, to, data) => {
      if (from === n5.addr) oldDatagrams.push({ from, to, data });
    };
    n5.gossip.upsertLocal('a', 'old');
    n5.gossip.upsertLocal('b', 'old');
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    sim.network.tap = undefined;
    const oldGeneration = sim.view('n0', 'n5');
    expect(sim.liveKeys('n0', 'n5')).toEqual(
      new Map([
        ['a', 'old'],
        ['b', 'old'],
      ]),
    );

    sim.crash('n5');
    await sim.runRounds(3);
    const restartedAt = sim.now();
    await sim.restart('n5', ['n0']);
    expect(n5.incarnation).toBe(2);
    n5.gossip.upsertLocal('a', 'new');

    await sim.runUntil(
      () => {
        expect(mixed()).toEqual([]);
        return sim.converged();
      },
      { timeout: 20_000 },
    );
    for (const node of nodes) {
      if (node.id === 'n5') continue;
      expect(sim.liveKeys(node.id, 'n5')).toEqual(new Map([['a', 'new']]));
      // Reported as the old incarnation expiring, then the new one joining.
      const seen = sim.events
        .filter((e) => e.node === node.id && e.event.nodeId === 'n5' && e.at >= restartedAt)
        .map((e) => e.event.type);
      expect(seen.indexOf('expired')).toBeGreaterThanOrEqual(0);
      expect(seen.indexOf('join')).toBeGreaterThan(seen.indexOf('expired'));
    }
    expect(oldGeneration).toBeDefined();
    expect(sim.problems()).toEqual([]);
  });

  it('scenario 5: replayed datagrams of the old incarnation are ignored', async () => {
    expect(oldDatagrams.length).toBeGreaterThan(0);
    const before = sim.events.length;
    // Replay everything the old n5 ever sent, to everyone, twice.
    for (let i = 0; i < 2; i++) {
      for (const d of oldDatagrams)
        for (const node of sim.all)
          if (node.id !== 'n5') sim.network.inject(d.from, node.addr, d.data);
      await sim.runRounds(5);
      expect(mixed()).toEqual([]);
    }
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    // Liveness may flicker on a busy network; membership and entries must not move.
    const n5Events = sim.events
      .slice(before)
      .filter(
        (e) =>
          e.event.nodeId === 'n5' && e.event.type !== 'unreachable' && e.event.type !== 'reachable',
      );
    expect(n5Events).toEqual([]);
    for (const node of sim.all)
      if (node.id !== 'n5') expect(sim.liveKeys(node.id, 'n5')).toEqual(new Map([['a', 'new']]));
    expect(sim.problems()).toEqual([]);
  });
});
