// Scenario 10 (test/sim/scale.spec.ts), run in a process of its own: 1,000
// simulated nodes, one update. The spec asserts on the JSON line this prints.
// Outside jest's sandbox the simulator runs faster (jest reaches globals such
// as Math through its sandbox's global object), and its 3 GiB of heap are
// not left to the jest process that runs the other specs after it.
import { Simulation } from '../../../lib/sim';

export interface ScaleResult {
  nodes: number;
  /** Network violations after the start and 3 rounds (datagram limit and the like). */
  violations: unknown[];
  /** Share of nodes holding the update after each round (index 0: when written). */
  curve: number[];
  /** Rounds until every node held it (or the last round run). */
  rounds: number;
  holders: number;
  /** Of 100 nodes other than the writer, those whose view of its `news` is not `hello`. */
  wrongValues: string[];
  problems: string[];
}

async function main(): Promise<void> {
  const N = 1_000;
  const sim = new Simulation({ seed: 10, engine: { interval: 100 }, recordEvents: false });
  const nodes = await sim.startCluster(N);
  await sim.runRounds(3);
  const violations = [...sim.network.violations];

  const writer = nodes[137];
  const holders = new Set([writer.id]);
  sim.onEvent(({ node, event }) => {
    if (event.type === 'upsert-key' && event.nodeId === writer.id && event.key === 'news')
      holders.add(node);
  });
  writer.gossip.upsertLocal('news', 'hello');
  const curve = [holders.size / N];
  while (holders.size < N && curve.length <= 60) {
    await sim.runRounds(1);
    curve.push(holders.size / N);
  }
  const wrongValues = nodes
    .filter((n) => n !== writer)
    .slice(0, 100)
    .filter((n) => sim.liveKeys(n.id, writer.id).get('news') !== 'hello')
    .map((n) => n.id);
  const result: ScaleResult = {
    nodes: N,
    violations,
    curve,
    rounds: curve.length - 1,
    holders: holders.size,
    wrongValues,
    problems: sim.problems(),
  };
  await sim.shutdown();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
