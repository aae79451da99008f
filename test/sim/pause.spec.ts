import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 8: a node's process stops for 5 s (a long GC pause), then
 * resumes. Its own overdue round sees the gap and forgives the silence it
 * did not observe, so it does not accuse its peers; the peers, which did
 * see it go quiet, mark it unreachable and then reachable again.
 */
describe('scenario 8: a node paused for 5 s', () => {
  const sim = new Simulation({ seed: 8, engine: { interval: 100, nodeExpiry: 60_000 } });
  afterAll(() => sim.shutdown());

  it('does not mark its peers unreachable, and peers recover it', async () => {
    const nodes = await sim.startCluster(10);
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    const peers = nodes.filter((n) => n.id !== 'n4').map((n) => n.id);

    const pausedAt = sim.now();
    sim.pauseFor('n4', 5_000);
    await sim.runFor(5_000);
    // The peers noticed the silence.
    for (const p of peers) expect(sim.status(p, 'n4')).toBe('unreachable');

    await sim.runFor(5_000);
    const accusedByN4 = sim.events.filter(
      (e) => e.node === 'n4' && e.event.type === 'unreachable' && e.at >= pausedAt,
    );
    expect(accusedByN4).toEqual([]);
    for (const p of peers) {
      expect(sim.status('n4', p)).toBe('alive');
      expect(sim.status(p, 'n4')).toBe('alive');
      const back = sim.events.filter((e) => e.node === p && e.event.nodeId === 'n4');
      expect(back.map((e) => e.event.type)).toEqual(
        expect.arrayContaining(['unreachable', 'reachable']),
      );
    }
    expect(sim.converged()).toBe(true);
    expect(sim.problems()).toEqual([]);
  });
});
