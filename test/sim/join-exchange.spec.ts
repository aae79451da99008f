import { DEFAULT_LINK, Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(60_000);

/**
 * A join is one exchange with the seed, as memberlist's push-pull is. A
 * joiner with entries sends them in a Push beside its Sync (its
 * introduction), so the seed holds them once the join resolves, and no
 * second exchange follows the reply. A joiner without entries needs no
 * introduction: its Sync's digest entry is its whole record.
 */
describe('a join is one exchange with the seed', () => {
  const sim = new Simulation({ seed: 11, engine: { interval: 100 } });
  afterAll(() => sim.shutdown());

  /** Virtual ms the join call took, and the streams the joiner opened meanwhile. */
  async function timedJoin(id: string): Promise<{ took: number; streams: number }> {
    const start = sim.now();
    const before = sim.traffic(id).streamsOut;
    await sim.join(id, ['n0']);
    return { took: sim.now() - start, streams: sim.traffic(id).streamsOut - before };
  }

  it('a joiner with entries: the seed holds them when the join resolves, after one exchange', async () => {
    await sim.startCluster(8);
    await sim.runUntil(() => sim.membershipConverged(), { timeout: 5_000 });
    // Two exchanges in a row take at least twice the delay there and back.
    const { streamDelay, delay } = DEFAULT_LINK;
    const twoExchanges = 2 * (streamDelay + delay);

    await sim.addNode('bare');
    const bare = await timedJoin('bare');
    expect(bare.streams).toBe(1);
    expect(bare.took).toBeLessThan(twoExchanges);

    const withEntries = await sim.addNode('api');
    withEntries.gossip.upsertLocal('role', 'api');
    withEntries.gossip.upsertLocal('http', '10.0.0.7:3000');
    const api = await timedJoin('api');
    expect(api.streams).toBe(2); // the introduction and the sync, side by side
    expect(api.took).toBeLessThan(twoExchanges);
    expect(sim.liveKeys('n0', 'api')).toEqual(
      new Map([
        ['role', 'api'],
        ['http', '10.0.0.7:3000'],
      ]),
    );
    await sim.runUntil(() => sim.converged(), { timeout: 5_000 });
    expect(sim.problems()).toEqual([]);
  });
});
