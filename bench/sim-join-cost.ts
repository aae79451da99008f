/**
 * CPU cost of membership change, measured on the simulator so that a busy
 * shared machine does not move it: N nodes join node 0 one after another
 * (virtual time), then a quiet window. Prints the CPU this process spent in
 * each phase, the virtual time until every node sees every node live, and
 * the datagrams and streams sent. `--storm` makes every node call `join` at
 * the same virtual moment instead (a Kubernetes scale-up), and also counts
 * the `unreachable` events (false: nobody crashed).
 *
 *   node .bench-build/bench/sim-join-cost.js --nodes 100 [--storm]
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { Simulation } from '../lib/sim';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    steady: { type: 'string', default: '10000' },
    storm: { type: 'boolean', default: false },
  },
});

function sent(sim: Simulation): { packets: number; bytes: number; streams: number } {
  const total = { packets: 0, bytes: 0, streams: 0 };
  for (const node of sim.all) {
    const t = sim.traffic(node.id);
    total.packets += t.packetsOut;
    total.bytes += t.packetBytesOut;
    total.streams += t.streamsOut;
  }
  return total;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function main(): Promise<void> {
  const n = Number(values.nodes);
  const sim = new Simulation({
    seed: Number(values.seed),
    engine: { interval: 100, nodeExpiry: 600_000, registry: new Registry() },
  });
  for (let i = 0; i < n; i++) await sim.addNode(`node-${i}`);
  let unreachable = 0;
  sim.onEvent(({ event }) => {
    if (event.type === 'unreachable') unreachable++;
  });
  const start = sim.now();
  const cpu = process.cpuUsage();
  if (values.storm) {
    const seed = sim.node('node-0').addr;
    const joins = sim.all.slice(1).map((node) => node.gossip.join([seed]));
    await sim.settle(Promise.all(joins));
  } else {
    for (let i = 1; i < n; i++) await sim.join(`node-${i}`, ['node-0']);
  }
  const callsDone = sim.now() - start;
  await sim.runUntil(() => sim.membershipConverged(), { timeout: 120_000, every: 10 });
  const all = sim.now() - start;
  const joinCpu = cpuMs(cpu);
  // Settle: news and hot rounds end about a second after the last change.
  await sim.runFor(5000);
  const joinSent = sent(sim);
  const steadyCpu = process.cpuUsage();
  await sim.runFor(Number(values.steady));
  const steadySeconds = Number(values.steady) / 1000;
  const steadySent = sent(sim);
  console.log(
    [
      `N=${n} seed ${values.seed}${values.storm ? ', storm (every join at once)' : ''}`,
      `join: calls done at ${callsDone.toFixed(0)} ms, all see all at ${all.toFixed(0)} ms (virtual); CPU ${joinCpu.toFixed(0)} ms; sent ${joinSent.packets} datagrams, ${(joinSent.bytes / 1e6).toFixed(2)} MB, ${joinSent.streams} streams`,
      `steady: CPU ${(cpuMs(steadyCpu) / steadySeconds / 10).toFixed(1)}% of a core for the whole simulated cluster; ${((steadySent.packets - joinSent.packets) / n / steadySeconds).toFixed(1)} datagrams and ${((steadySent.bytes - joinSent.bytes) / n / steadySeconds).toFixed(0)} B per node per s`,
      `unreachable events (none is true): ${unreachable}; problems: ${sim.problems().length}`,
    ].join('\n  '),
  );
  await sim.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
