import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 1: 100 nodes on a network that loses 10% of datagrams,
 * duplicates some and reorders others. Every node writes; every write
 * reaches every node and all copies end identical.
 */
describe('scenario 1: 100 nodes, 10% loss, duplication and reordering', () => {
  const sim = new Simulation({ seed: 1, engine: { interval: 100 } });
  afterAll(() => sim.shutdown());

  it('delivers every update from every node to every node', async () => {
    const nodes = await sim.startCluster(100);

    sim.faults({ loss: 0.1, duplicate: 0.05, reorder: 0.1, reorderDelay: 150, jitter: 20 });
    for (const node of nodes) node.gossip.upsertLocal(`key-of-${node.id}`, `value-of-${node.id}`);
    await sim.runRounds(5);
    for (const node of nodes.filter((_, i) => i % 3 === 0))
      node.gossip.upsertLocal(`key-of-${node.id}`, `second-value-of-${node.id}`);

    const took = await sim.runUntil(() => sim.converged(), { timeout: 60_000, every: 500 });
    console.log(
      `100 nodes, lossy network: converged ${took / sim.interval} rounds after the last write`,
    );

    expect(sim.divergences()).toEqual([]);
    for (const observer of nodes) {
      for (const owner of nodes) {
        if (owner === observer) continue;
        const expected = Number(owner.id.slice(1)) % 3 === 0 ? 'second-value-of-' : 'value-of-';
        expect(sim.liveKeys(observer.id, owner.id).get(`key-of-${owner.id}`)).toBe(
          expected + owner.id,
        );
      }
    }
    // Nobody crashed: any suspicion the loss caused was withdrawn (converged() needs every node live).
    const suspicions = sim.events.filter((e) => e.event.type === 'unreachable');
    console.log(`false suspicions on the lossy network (all withdrawn): ${suspicions.length}`);
    for (const s of suspicions) expect(sim.status(s.node, s.event.nodeId)).toBe('alive');
    expect(sim.network.dropped).toBeGreaterThan(0);
    expect(sim.network.duplicated).toBeGreaterThan(0);
  });

  it('never sent a datagram over maxPacketSize and logged no engine error', () => {
    expect(sim.network.violations).toEqual([]);
    expect(sim.network.largestPacket).toBeLessThanOrEqual(1400);
    expect(sim.problems()).toEqual([]);
  });
});
