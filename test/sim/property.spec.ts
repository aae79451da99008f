import fc from 'fast-check';
import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);
/**
 * Scenario 9: random interleavings of writes, deletes, packet loss and
 * partitions, ending with the network healed, always converge: every node
 * holds exactly what each owner last wrote.
 */
type Step =
  | { op: 'upsert'; node: number; key: number; value: number }
  | { op: 'delete'; node: number; key: number }
  | { op: 'loss'; rate: number }
  | { op: 'partition'; side: number[] }
  | { op: 'heal' }
  | { op: 'wait'; ms: number };

const NODES = 5;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('upsert' as const),
    node: fc.nat(NODES - 1),
    key: fc.nat(5),
    value: fc.nat(9),
  }),
  fc.record({ op: fc.constant('delete' as const), node: fc.nat(NODES - 1), key: fc.nat(5) }),
  fc.record({ op: fc.constant('loss' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6) }),
  fc.record({
    op: fc.constant('partition' as const),
    side: fc.uniqueArray(fc.nat(NODES - 1), { minLength: 1, maxLength: NODES - 1 }),
  }),
  fc.record({ op: fc.constant('heal' as const) }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 10, max: 1_500 }) }),
);

describe('scenario 9: random interleavings converge to the owners’ states', () => {
  it('holds for every generated run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(step, { maxLength: 25 }),
        async (seed, steps) => {
          const sim = new Simulation({ seed, engine: { interval: 100 }, link: { jitter: 10 } });
          try {
            const nodes = await sim.startCluster(NODES);
            const ids = sim.ids(nodes);
            // What each owner should end up with: its own writes, in order.
            const model = ids.map(() => new Map<string, string>());
            for (const s of steps) {
              switch (s.op) {
                case 'upsert':
                  sim.gossip(ids[s.node]).upsertLocal(`k${s.key}`, `v${s.value}`);
                  model[s.node].set(`k${s.key}`, `v${s.value}`);
                  break;
                case 'delete':
                  sim.gossip(ids[s.node]).deleteLocal(`k${s.key}`);
                  model[s.node].delete(`k${s.key}`);
                  break;
                case 'loss':
                  sim.faults({ loss: s.rate });
                  break;
                case 'partition': {
                  const a = s.side.map((i) => ids[i]);
                  sim.partition(
                    a,
                    ids.filter((id) => !a.includes(id)),
                  );
                  break;
                }
                case 'heal':
                  sim.heal();
                  break;
                case 'wait':
                  await sim.runFor(s.ms);
                  break;
              }
            }
            sim.heal();
            sim.faults({ loss: 0 });
            await sim.runUntil(() => sim.converged(), { timeout: 30_000, every: 200 });

            expect(sim.divergences()).toEqual([]);
            for (const [i, owner] of ids.entries()) {
              for (const observer of ids) {
                if (observer !== owner) expect(sim.liveKeys(observer, owner)).toEqual(model[i]);
              }
            }
            expect(sim.problems()).toEqual([]);
          } finally {
            await sim.shutdown();
          }
        },
      ),
      { numRuns: 25, seed: 9 },
    );
  });
});
