import { Simulation } from '../../lib/sim';
import { describeFigures, meter } from '../support/leadership-meter';

jest.setTimeout(180_000);

const ROLE = 'billing';

async function cluster(seed: number, size: number, expectedSize?: number, loss = 0) {
  const sim = new Simulation({ seed, engine: { interval: 100, nodeExpiry: 30_000 } });
  const nodes = await sim.startCluster(size);
  const ids = sim.ids(nodes);
  for (const id of ids) sim.gossip(id).leadership.campaign(ROLE, { expectedSize });
  sim.faults({ loss });
  await sim.runUntil(
    () => new Set(ids.map((id) => sim.gossip(id).leadership.leader(ROLE))).size === 1,
    { timeout: 10_000 },
  );
  return { sim, ids };
}

describe('leadership with agreeing views', () => {
  it('names one leader on every node, and exactly one node holds the role', async () => {
    const { sim, ids } = await cluster(1, 5);
    try {
      await sim.runRounds(10);
      const leader = sim.gossip('n0').leadership.leader(ROLE);
      for (const id of ids) expect(sim.gossip(id).leadership.leader(ROLE)).toBe(leader);
      const f = await meter(sim, ROLE, 10_000);
      console.log(describeFigures('steady, 5 nodes, 10 s', f));
      expect(f.overlap).toBe(0);
      expect(f.gap).toBe(0);
      expect([...f.holders]).toEqual([leader]);
      expect(f.tokens).toHaveLength(1);
      expect(sim.problems()).toEqual([]);
    } finally {
      await sim.shutdown();
    }
  });
});
