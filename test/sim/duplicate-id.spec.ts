import { GossipJoinError } from '../../lib/engine';
import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);

/** A failure detection at a 100 ms interval takes well under this (see liveness.spec.ts). */
const DETECTION = 1_500;

async function cluster(ids: string[]): Promise<Simulation> {
  const sim = new Simulation({ seed: 21, engine: { interval: 100, nodeExpiry: 3_000 } });
  for (const id of ids) await sim.addNode(id);
  for (const id of ids.slice(1)) await sim.join(id, [ids[0]]);
  await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
  return sim;
}

/**
 * Issue 17, "one identity per id": a second process starts with the id of
 * a live node (`nodeId: HOSTNAME` repeated), joins, and goes away. The live
 * node keeps its identity: the copy's join is refused, naming the id and
 * the address that holds it; and when the copy got in anyway (the live
 * node was cut off), the live node refutes it at once and is seen live
 * again within one detection time after the copy is gone.
 */
describe('one identity per id: a second process with a live node id', () => {
  it('the copy joining through a peer is refused, naming the id and the holder', async () => {
    const sim = await cluster(['a', 'b']);
    const real = sim.node('a');
    const copy = await sim.addCopy('a');
    // Events from here on (the cluster may have converged at this very instant: count, not time).
    const seenBefore = sim.events.length;
    const join = sim.settle(copy.gossip.join([sim.node('b').addr]));
    await expect(join).rejects.toBeInstanceOf(GossipJoinError);
    await expect(join).rejects.toThrow(
      `node id "a" is already used by a live node at ${real.addr}`,
    );
    expect(copy.gossip.idConflict).toEqual({ id: 'a', addr: real.addr });
    await sim.runFor(500);
    await sim.settle(copy.gossip.leave());
    await copy.gossip.close();
    await sim.runFor(3_000);
    // b never lost the real a: no event about it, and it is live at its own address.
    expect(sim.events.slice(seenBefore).filter((e) => e.node === 'b')).toEqual([]);
    expect(sim.status('b', 'a')).toBe('alive');
    expect(sim.view('b', 'a')?.addr).toBe(real.addr);
    expect(real.gossip.idConflict).toBeUndefined();
    await sim.shutdown();
  });

  it('the copy joining through the live node itself is refused too', async () => {
    const sim = await cluster(['a', 'b']);
    const real = sim.node('a');
    const copy = await sim.addCopy('a');
    const join = sim.settle(copy.gossip.join([real.addr]));
    await expect(join).rejects.toThrow(
      `node id "a" is already used by a live node at ${real.addr}`,
    );
    // Both ends know: the holder reports where the copy is.
    expect(real.gossip.idConflict).toEqual({ id: 'a', addr: copy.addr });
    expect(copy.gossip.idConflict).toEqual({ id: 'a', addr: real.addr });
    await copy.gossip.close();
    await sim.shutdown();
  });

  it.each([
    ['leaves', 'leave'],
    ['crashes', 'crash'],
  ] as const)(
    'a copy that got in while the node was cut off: refuted at once, the real node back once the copy %s',
    async (_how, end) => {
      const sim = await cluster(['a', 'b', 'c']);
      const real = sim.node('a');
      const cut = sim.isolate('a');
      await sim.runUntil(() => sim.status('b', 'a') === 'unreachable', { timeout: 10_000 });
      const copy = await sim.addCopy('a');
      await sim.settle(copy.gossip.join([sim.node('b').addr]));
      await sim.runUntil(
        () => sim.view('b', 'a')?.addr === copy.addr && sim.status('b', 'a') === 'alive',
        {
          timeout: 5_000,
        },
      );
      sim.heal(cut);
      // The real a hears of the newer generation of its id and refutes it; the copy yields.
      await sim.runUntil(() => real.gossip.idConflict !== undefined, { timeout: 5_000 });
      expect(real.gossip.idConflict).toEqual({ id: 'a', addr: copy.addr });
      await sim.runUntil(() => copy.gossip.idConflict !== undefined, { timeout: 5_000 });
      // Two live copies do not flap: while both run, b keeps the one it holds.
      const calmFrom = sim.now();
      await sim.runFor(3_000);
      const flaps = sim.events.filter(
        (e) => e.node !== 'a' && e.event.nodeId === 'a' && e.at >= calmFrom,
      );
      expect(flaps).toEqual([]);

      if (end === 'leave') await sim.settle(copy.gossip.leave());
      else copy.clock.halt();
      const took = await sim.runUntil(
        () =>
          ['b', 'c'].every(
            (id) => sim.view(id, 'a')?.addr === real.addr && sim.status(id, 'a') === 'alive',
          ),
        { timeout: 10 * DETECTION, every: 10 },
      );
      console.log(`copy ${end}: the real node seen live again after ${took} ms`);
      expect(took).toBeLessThanOrEqual(DETECTION);
      await copy.gossip.close();
      expect(sim.problems()).toEqual([]);
      await sim.shutdown();
    },
  );
});
