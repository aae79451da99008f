import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 6: one node upserts 10,000 keys and deletes them all. After
 * tombstone collection the state every node holds for it is small again; a
 * node that was cut off for longer than the grace period is reset (it does
 * not keep, or spread, the keys it missed the deletion of); and no deleted
 * key is ever seen live again, by anyone, including a node that joins later.
 */
describe('scenario 6: delete storm of 10,000 keys with tombstone GC', () => {
  const grace = 2_000;
  const sim = new Simulation({
    seed: 6,
    engine: { interval: 100, tombstoneGracePeriod: grace, nodeExpiry: 60_000 },
  });
  afterAll(() => sim.shutdown());

  it('collects tombstones, resets the straggler, never resurrects a key', async () => {
    const nodes = await sim.startCluster(10);
    const writer = sim.gossip('n0');
    for (let i = 0; i < 10_000; i++) writer.upsertLocal(`key-${i}`, `value-${i}`);
    await sim.runUntil(() => sim.converged(), { timeout: 30_000, every: 1_000 });
    expect(sim.liveKeys('n9', 'n0').size).toBe(10_000);

    // n9 is cut off, then every key is deleted and a few survivors written.
    const cut = sim.isolate('n9');
    for (let i = 0; i < 10_000; i++) writer.deleteLocal(`key-${i}`);
    writer.upsertLocal('survivor-1', 'yes');
    writer.upsertLocal('survivor-2', 'yes');
    const deletedAt = sim.now();
    const resurrected: string[] = [];
    sim.onEvent(({ at, node, event }) => {
      if (event.nodeId === 'n0' && event.type === 'upsert-key' && event.key.startsWith('key-'))
        resurrected.push(`${node} saw ${event.key} live again at ${at - deletedAt} ms`);
    });

    // Past the grace period (and the once-a-second collection) everyone
    // still connected has dropped the tombstones.
    const connected = nodes.filter((n) => n.id !== 'n9');
    await sim.runFor(grace + 3_000);
    expect(sim.divergences({ among: connected })).toEqual([]);
    for (const node of connected) {
      const view = sim.view(node.id, 'n0')!;
      expect(view.entries.length).toBeLessThanOrEqual(2);
      expect(view.entries.map((e) => e.key).sort()).toEqual(['survivor-1', 'survivor-2']);
    }
    // The straggler still holds the 10,000 live keys it never saw deleted.
    expect(sim.liveKeys('n9', 'n0').size).toBe(10_000);
    // Discovery answers from the same views: the connected nodes indexed each delete.
    expect(sim.gossip('n1').discovery.holders('key-5')).toEqual([]);

    sim.heal(cut);
    await sim.runUntil(
      () => {
        for (const node of connected) expect(sim.view(node.id, 'n0')!.entries.length).toBe(2);
        return sim.converged();
      },
      { timeout: 30_000, every: 500 },
    );
    expect(sim.liveKeys('n9', 'n0')).toEqual(
      new Map([
        ['survivor-1', 'yes'],
        ['survivor-2', 'yes'],
      ]),
    );
    // The reset replaced n9's record of n0: its discovery index follows.
    expect(sim.gossip('n9').discovery.holders('key-5')).toEqual([]);
    expect(sim.gossip('n9').discovery.holders('survivor-1')).toEqual([
      { nodeId: 'n0', value: 'yes' },
    ]);

    // A node joining now never sees a deleted key live.
    await sim.addNode('late');
    await sim.join('late', ['n9']);
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    expect([...sim.liveKeys('late', 'n0').keys()].sort()).toEqual(['survivor-1', 'survivor-2']);

    expect(resurrected).toEqual([]);
    expect(sim.problems()).toEqual([]);
  });
});
