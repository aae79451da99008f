import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 2: the cluster splits into two halves, both sides keep writing,
 * then the network heals. Each side sees the other as unreachable during
 * the cut and reachable after, and everything converges.
 */
describe('scenario 2: partition into two halves, writes on both sides, heal', () => {
  const sim = new Simulation({ seed: 2, engine: { interval: 100, nodeExpiry: 60_000 } });
  afterAll(() => sim.shutdown());

  it('marks the other side unreachable during the cut, reachable after, and converges', async () => {
    const nodes = await sim.startCluster(20);
    const left = sim.ids(nodes.slice(0, 10));
    const right = sim.ids(nodes.slice(10));
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });

    const cut = sim.partition(left, right);
    const cutAt = sim.now();
    for (const id of left) sim.gossip(id).upsertLocal('side', `left-${id}`);
    for (const id of right) sim.gossip(id).upsertLocal('side', `right-${id}`);
    await sim.runFor(5_000);

    for (const a of left) {
      for (const b of right) {
        expect(sim.status(a, b)).toBe('unreachable');
        expect(sim.status(b, a)).toBe('unreachable');
      }
    }
    // Each side still agrees internally.
    expect(sim.divergences({ among: nodes.slice(0, 10) })).toEqual([]);
    expect(sim.divergences({ among: nodes.slice(10) })).toEqual([]);

    sim.heal(cut);
    const healedAt = sim.now();
    const took = await sim.runUntil(() => sim.converged(), { timeout: 30_000 });
    console.log(`partition of 20 nodes healed: converged in ${took / sim.interval} rounds`);

    for (const a of left) {
      for (const b of right) {
        expect(sim.liveKeys(a, b).get('side')).toBe(`right-${b}`);
        expect(sim.liveKeys(b, a).get('side')).toBe(`left-${a}`);
        // Unreachable during the cut, reachable again only after the heal.
        const seen = (node: string, subject: string, type: string) =>
          sim.events.filter(
            (e) => e.node === node && e.event.nodeId === subject && e.event.type === type,
          );
        expect(seen(a, b, 'unreachable').some((e) => e.at > cutAt && e.at < healedAt)).toBe(true);
        expect(seen(a, b, 'reachable').some((e) => e.at >= healedAt)).toBe(true);
        expect(seen(b, a, 'reachable').some((e) => e.at >= healedAt)).toBe(true);
      }
    }
    expect(sim.problems()).toEqual([]);
  });
});
