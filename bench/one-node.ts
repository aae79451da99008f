/**
 * One node of ours in its own process, as a user of the engine entry
 * (`nestjs-gossip/engine`) would write it: default options, 127.0.0.1, joined
 * to a seed, running until killed. Started by `npm run bench -- --processes K`
 * (bench/processes.ts).
 *
 *   node .bench-build/bench/one-node.js <id> <port, 0: any free one> [seed host:port]
 *
 * It prints `joined <host:port>` once its join call returned, then `live <count>` each
 * time the number of live members it sees changes, and `unreachable <id>`
 * for each verdict; nothing in between, so the output costs no CPU at rest.
 */
import { Gossip } from '../lib/engine';

const [id, port, seed] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  if (!id || !port) throw new Error('usage: one-node <id> <port> [seed host:port]');
  const gossip = await Gossip.create({ bindAddr: `127.0.0.1:${port}`, nodeId: id });
  let reported = -1;
  const report = () => {
    const live = gossip.nodes().filter((n) => n.status === 'alive').length;
    if (live !== reported) console.log(`live ${(reported = live)}`);
  };
  gossip.subscribe((event) => {
    if (event.type === 'unreachable') console.log(`unreachable ${event.nodeId}`);
    if (event.type !== 'upsert-key' && event.type !== 'delete-key') report();
  });
  const stop = () => void gossip.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // As a deploy would: a seed not up yet, or too busy to answer in time, is asked again.
  // The first process founds the cluster (`join([])`); the others join it.
  for (let attempt = 1; ; attempt++) {
    try {
      await gossip.join(seed ? [seed] : []);
      break;
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(200);
    }
  }
  console.log(`joined ${gossip.localNode().addr}`);
  report();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
