import { ownerChanges } from '../../lib/engine/discovery/ownership';
import { Simulation } from '../../lib/sim';

jest.setTimeout(120_000);

const KEYS = Array.from({ length: 10_000 }, (_, i) => `tenant-${i}`);

/** True when every listed node sees exactly `expected` as live members. */
function allSee(sim: Simulation, observers: string[], expected: string[]): boolean {
  const want = [...expected].sort().join(',');
  return observers.every(
    (id) =>
      sim
        .gossip(id)
        .discovery.members()
        .map((m) => m.id)
        .join(',') === want,
  );
}

describe('ownership on 100 simulated nodes', () => {
  const sim = new Simulation({ seed: 12, engine: { interval: 100, nodeExpiry: 5_000 } });
  afterAll(() => sim.shutdown());

  it('moves about 1/N of the keys when one member leaves, and all agree on the new owners', async () => {
    const nodes = await sim.startCluster(100);
    const ids = sim.ids(nodes);
    await sim.runUntil(() => allSee(sim, ids, ids), { timeout: 20_000 });
    const before = new Map(KEYS.map((k) => [k, sim.gossip('n0').discovery.owner(k)]));

    const leaving = 'n37';
    const leaveAt = sim.now();
    await sim.settle(sim.gossip(leaving).leave());
    const survivors = ids.filter((id) => id !== leaving);
    const agreedAfter = await sim.runUntil(() => allSee(sim, survivors, survivors), {
      timeout: 20_000,
      every: 10,
    });

    const moved = ownerChanges(KEYS, ids, survivors);
    const share = moved.length / KEYS.length;
    console.log(
      `1 of 100 left: ${moved.length} of ${KEYS.length} keys moved (${(share * 100).toFixed(2)}%, ` +
        `1/N = 1%); every survivor agreed on the new owners ${agreedAfter} ms (virtual) after the leave`,
    );
    expect(sim.now() - leaveAt).toBeLessThan(5_000);
    // Only the leaver's keys move, and there are about 1/N of them.
    expect(moved.every((c) => before.get(c.key) === leaving)).toBe(true);
    expect(share).toBeGreaterThan(0.005);
    expect(share).toBeLessThan(0.015);
    // Every survivor computes the same owner for a sample of keys.
    for (const key of KEYS.slice(0, 200)) {
      const owners = new Set(survivors.map((id) => sim.gossip(id).discovery.owner(key)));
      expect(owners.size).toBe(1);
    }
    expect(sim.problems()).toEqual([]);
  });
});

describe('owner agreement after a crash, N = 10, interval 100 ms (simulated)', () => {
  it('every survivor names the same new owner within the detection time', async () => {
    const sim = new Simulation({ seed: 7, engine: { interval: 100, nodeExpiry: 10_000 } });
    try {
      const nodes = await sim.startCluster(10);
      const ids = sim.ids(nodes);
      await sim.runUntil(() => allSee(sim, ids, ids), { timeout: 10_000 });
      const key = KEYS.find((k) => sim.gossip('n0').discovery.owner(k) === 'n4') as string;
      sim.crash('n4');
      const survivors = ids.filter((id) => id !== 'n4');
      const agreedAfter = await sim.runUntil(
        () => {
          const seen = new Set(survivors.map((id) => sim.gossip(id).discovery.owner(key)));
          return seen.size === 1 && !seen.has('n4');
        },
        { timeout: 10_000, every: 10 },
      );
      console.log(
        `N=10, 100 ms: every survivor agreed on the new owner ${agreedAfter} ms after the crash`,
      );
      expect(agreedAfter).toBeLessThan(5_000);
    } finally {
      await sim.shutdown();
    }
  });
});
