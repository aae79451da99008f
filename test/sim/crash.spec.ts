import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 3: 5 of 100 nodes crash (no leave, no goodbye). Every survivor
 * marks them unreachable, then expires them, and they never come back —
 * not even while peers that expired them later still gossip about them —
 * over three expiry periods.
 */
describe('scenario 3: crash of 5 of 100 nodes', () => {
  const nodeExpiry = 2_000;
  const sim = new Simulation({ seed: 3, engine: { interval: 100, nodeExpiry } });
  afterAll(() => sim.shutdown());

  it('detects, expires and never resurrects the crashed nodes', async () => {
    const nodes = await sim.startCluster(100);
    await sim.runRounds(10);
    const crashed = ['n11', 'n23', 'n42', 'n67', 'n90'];
    const survivors = nodes.filter((n) => !crashed.includes(n.id));
    for (const id of crashed) sim.crash(id);
    const crashAt = sim.now();

    const detected = await sim.runUntil(
      () => survivors.every((s) => crashed.every((c) => sim.status(s.id, c) !== 'alive')),
      { timeout: 10_000 },
    );
    console.log(`5 crashed of 100: every survivor suspects them after ${detected} ms`);

    await sim.runUntil(
      () => survivors.every((s) => crashed.every((c) => sim.status(s.id, c) === 'unknown')),
      { timeout: nodeExpiry + 10_000 },
    );
    const expiredAt = sim.now();
    for (const s of survivors) {
      for (const c of crashed) {
        const events = sim.events.filter((e) => e.node === s.id && e.event.nodeId === c);
        expect(events.some((e) => e.event.type === 'unreachable' && e.at > crashAt)).toBe(true);
        expect(events.some((e) => e.event.type === 'expired')).toBe(true);
      }
    }

    // No ghosts: for three expiry periods nobody learns of them again.
    for (let t = 0; t < 3 * nodeExpiry; t += 500) {
      await sim.runFor(500);
      for (const s of survivors)
        for (const c of crashed) expect(sim.status(s.id, c)).toBe('unknown');
    }
    const comebacks = sim.events.filter(
      (e) => crashed.includes(e.event.nodeId) && e.at > expiredAt && e.event.type !== 'expired',
    );
    expect(comebacks).toEqual([]);
    expect(sim.problems()).toEqual([]);
  });
});
