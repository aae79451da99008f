import { MonitoringRing } from '../../lib/engine/liveness/monitoring-ring';
import { Simulation, SimEvent } from '../../lib/sim';

// Virtual time is cheap, wall time is not: generous limits for a busy CI machine.
jest.setTimeout(180_000);

const NODE_EXPIRY = 10_000;
const CUT = 'n3';

/** What happens to the cut node while the rest of the cluster changes around it. */
type Churn = (sim: Simulation, observers: string[]) => Promise<void>;

/** The observers of `subject` on the ring of `members`, `subject` held unreachable (as the seed sees it). */
function observersOf(members: string[], subject: string): string[] {
  const ring = new MonitoringRing(
    members.map((id) => ({ id, reachable: id !== subject })),
    2,
  );
  return ring.observersOf(subject).map((m) => m.id);
}

/** Seven new nodes join through n0, one every 500 ms. */
async function sevenJoin(sim: Simulation, prefix = 'j'): Promise<void> {
  for (let i = 0; i < 7; i++) {
    const started = sim.now();
    await sim.addNode(`${prefix}${i}`);
    await sim.join(`${prefix}${i}`, ['n0']);
    await sim.runFor(Math.max(0, 500 - (sim.now() - started)));
  }
}

/**
 * The story of issue 17: a node cut from every other node both ways is
 * marked unreachable; then the ring moves under it (nodes join, its
 * observers leave or crash, the cluster grows and shrinks). Nothing is
 * heard from it, so no node may ever report it reachable, and it expires
 * `nodeExpiry` after the verdict, the verdict never restarting that clock.
 */
describe('reachable only on evidence: a node cut off both ways while the ring moves', () => {
  const cases: Array<[string, Churn]> = [
    ['7 nodes join, one every 500 ms', (sim) => sevenJoin(sim)],
    [
      'its observers leave, then 7 nodes join',
      async (sim, observers) => {
        for (const id of observers) await sim.leave(id);
        await sevenJoin(sim);
      },
    ],
    [
      'its observers crash, then 7 nodes join',
      async (sim, observers) => {
        for (const id of observers) sim.crash(id);
        await sevenJoin(sim);
      },
    ],
    [
      'the ring grows and shrinks',
      async (sim) => {
        await sevenJoin(sim);
        for (const id of ['j1', 'j4']) await sim.leave(id);
        for (const id of ['j2', 'j5', 'n1']) sim.crash(id);
        await sim.runFor(1_000);
        await sevenJoin(sim, 'k');
        for (const id of ['k0', 'k3']) sim.crash(id);
        await sim.leave('k6');
      },
    ],
  ];

  it.each(cases)('%s: never reported reachable, expired on time', async (_story, churn) => {
    const sim = new Simulation({
      seed: 17,
      engine: { interval: 100, nodeExpiry: NODE_EXPIRY },
    });
    const ids = sim.ids(await sim.startCluster(6));
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    await sim.runFor(5_000); // links learn they are clean
    const cutAt = sim.now();
    sim.isolate(CUT);
    await sim.runUntil(() => sim.status('n0', CUT) === 'unreachable', { timeout: 10_000 });
    const observers = observersOf(ids, CUT).filter((id) => id !== 'n0');

    await churn(sim, observers);
    // Every node drops it: those that held it unreachable, and the joiners that never saw it alive.
    const others = () => sim.running.filter((n) => n.id !== CUT);
    await sim.runUntil(() => others().every((n) => sim.status(n.id, CUT) === 'unknown'), {
      timeout: 3 * NODE_EXPIRY,
    });

    const about = (node: string): SimEvent[] =>
      sim.events.filter((e) => e.node === node && e.event.nodeId === CUT && e.at >= cutAt);
    // Nothing was heard from it: nobody ever says it is back.
    expect(
      sim.events.filter((e) => e.event.nodeId === CUT && e.event.type === 'reachable'),
    ).toEqual([]);
    for (const node of others()) {
      const seen = about(node.id);
      const verdict = seen.find((e) => e.event.type === 'unreachable');
      if (!verdict) {
        // A node that joined after the cut never saw it alive: no event at all.
        expect(seen).toEqual([]);
      } else {
        // One verdict, one expiry, nodeExpiry after it (give or take a round).
        expect(seen.map((e) => e.event.type)).toEqual(['unreachable', 'expired']);
        const expiredAt = seen[1].at - verdict.at;
        expect(expiredAt).toBeGreaterThanOrEqual(NODE_EXPIRY);
        expect(expiredAt).toBeLessThanOrEqual(NODE_EXPIRY + 2 * sim.interval);
      }
    }
    expect(sim.problems()).toEqual([]);
    await sim.shutdown();
  });
});
