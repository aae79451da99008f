/**
 * False unreachable at the onset of heavy loss, over many seeds: N nodes
 * converge on a clean simulated network, then every datagram is lost with
 * probability `--loss` for `--seconds`; prints each seed with a false
 * `unreachable` event (nobody crashed) and when it came after the onset.
 *
 *   node .bench-build/bench/sim-loss-onset.js --nodes 10 --from 1 --to 300 [--loss 0.5] [--seconds 20]
 */
import { parseArgs } from 'node:util';
import { Simulation } from '../lib/sim';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    from: { type: 'string', default: '1' },
    to: { type: 'string', default: '100' },
    loss: { type: 'string', default: '0.5' },
    seconds: { type: 'string', default: '20' },
  },
});

async function main(): Promise<void> {
  const n = Number(values.nodes);
  const loss = Number(values.loss);
  let seeds = 0;
  let hit = 0;
  let events = 0;
  for (let seed = Number(values.from); seed <= Number(values.to); seed++) {
    const sim = new Simulation({ seed, engine: { interval: 100 } });
    await sim.startCluster(n);
    await sim.runUntil(() => sim.converged(), { timeout: 10_000 });
    const onset = sim.now();
    const at: number[] = [];
    for (const node of sim.all)
      sim.gossip(node.id).subscribe((e) => {
        if (e.type === 'unreachable') at.push(Math.round(sim.now() - onset));
      });
    sim.faults({ loss });
    await sim.runFor(Number(values.seconds) * 1000);
    await sim.shutdown();
    seeds++;
    if (at.length > 0) {
      hit++;
      events += at.length;
      console.log(
        `seed ${seed}: ${at.length} false unreachable, ${at.join(', ')} ms after the onset`,
      );
    }
  }
  console.log(
    `${n} nodes, ${loss * 100}% loss from a converged cluster, ${values.seconds} s: ` +
      `${hit} of ${seeds} seeds had false unreachable events (${events} in all)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
