import fc from 'fast-check';
import { Simulation } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);

/**
 * Scenario 9: random interleavings of writes, deletes, packet loss,
 * partitions (two-way and one-way), pauses and restarts, ending with the
 * network healed, always converge: every node holds exactly what each
 * owner last wrote (a restarted owner starts over empty).
 */
type Step =
  | { op: 'upsert'; node: number; key: number; value: number }
  | { op: 'delete'; node: number; key: number }
  | { op: 'loss'; rate: number }
  | { op: 'partition'; side: number[] }
  | { op: 'one-way cut'; side: number[] }
  | { op: 'heal' }
  | { op: 'pause'; node: number; ms: number }
  | { op: 'restart'; node: number }
  | { op: 'wait'; ms: number };

const NODES = 5;
const node = fc.nat(NODES - 1);
const side = fc.uniqueArray(node, { minLength: 1, maxLength: NODES - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('upsert' as const),
      node,
      key: fc.nat(5),
      value: fc.nat(9),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), node, key: fc.nat(5) }) },
  fc.record({ op: fc.constant('loss' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6) }),
  fc.record({ op: fc.constant('partition' as const), side }),
  fc.record({ op: fc.constant('one-way cut' as const), side }),
  fc.record({ op: fc.constant('heal' as const) }),
  fc.record({ op: fc.constant('pause' as const), node, ms: fc.integer({ min: 100, max: 6_000 }) }),
  fc.record({ op: fc.constant('restart' as const), node }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('wait' as const),
      ms: fc.integer({ min: 10, max: 2_000 }),
    }),
  },
);

describe('scenario 9: random interleavings converge to the owners’ states', () => {
  it('holds for every generated run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(step, { maxLength: 25 }),
        async (seed, steps) => {
          const sim = new Simulation({
            seed,
            engine: { interval: 100, nodeExpiry: 4_000, tombstoneGracePeriod: 3_000 },
            link: { jitter: 10 },
          });
          try {
            const ids = sim.ids(await sim.startCluster(NODES));
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
                case 'one-way cut': {
                  const a = s.side.map((i) => ids[i]);
                  sim.cutOneWay(
                    a,
                    ids.filter((id) => !a.includes(id)),
                  );
                  break;
                }
                case 'heal':
                  sim.heal();
                  break;
                case 'pause':
                  if (sim.node(ids[s.node]).status === 'running') sim.pauseFor(ids[s.node], s.ms);
                  break;
                case 'restart': {
                  // Crash, come back empty, and join through everyone (in the background:
                  // a join cut off by a partition fails, and gossip must still reunite them).
                  const id = ids[s.node];
                  sim.crash(id);
                  await sim.runFor(50);
                  await sim.restart(id, []);
                  const others = ids.filter((x) => x !== id).map((x) => sim.node(x).addr);
                  sim
                    .gossip(id)
                    .join(others)
                    .catch(() => undefined);
                  model[s.node] = new Map();
                  break;
                }
                case 'wait':
                  await sim.runFor(s.ms);
                  break;
              }
            }
            sim.heal();
            sim.faults({ loss: 0 });
            // Every pause ends by itself; then all five must agree.
            await sim.runUntil(() => sim.running.length === NODES && sim.converged(), {
              timeout: 60_000,
              every: 200,
            });

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
      { numRuns: 100, seed: 9 },
    );
  });
});
