import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 7: a node is cut off for a long time while it writes 5,000
 * entries and another node writes 5,000 more. After the heal the backlog,
 * far more than a datagram holds, moves over the stream path: a few
 * rounds, not the thousands datagrams alone would need.
 */
describe('scenario 7: long partition of a node holding 5,000 entries', () => {
  const sim = new Simulation({ seed: 7, engine: { interval: 100, nodeExpiry: 120_000 } });
  afterAll(() => sim.shutdown());

  it('catches up through streams within a few rounds of the heal', async () => {
    await sim.startCluster(10);
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });

    const cut = sim.isolate('n3');
    await sim.runFor(10_000);
    for (let i = 0; i < 5_000; i++) sim.gossip('n3').upsertLocal(`n3-key-${i}`, `value-${i}`);
    for (let i = 0; i < 5_000; i++) sim.gossip('n0').upsertLocal(`n0-key-${i}`, `value-${i}`);
    await sim.runFor(30_000);
    expect(sim.view('n1', 'n3')!.entries).toHaveLength(0);
    expect(sim.status('n1', 'n3')).toBe('unreachable');

    const streamsBefore = sim.all.reduce((sum, n) => sum + sim.traffic(n.id).streamsOut, 0);
    sim.heal(cut);
    const took = await sim.runUntil(() => sim.converged(), { timeout: 60_000 });
    const rounds = took / sim.interval;
    console.log(`10,000 entries behind after a 40 s partition: caught up in ${rounds} rounds`);

    expect(rounds).toBeLessThanOrEqual(10);
    const streamsAfter = sim.all.reduce((sum, n) => sum + sim.traffic(n.id).streamsOut, 0);
    expect(streamsAfter).toBeGreaterThan(streamsBefore);
    expect(sim.liveKeys('n3', 'n0').size).toBe(5_000);
    expect(sim.liveKeys('n1', 'n3').size).toBe(5_000);
    expect(sim.problems()).toEqual([]);
  });
});
