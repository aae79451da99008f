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
import { joinUntilUp } from './join-until-up';

const [id, port, seed] = process.argv.slice(2);

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
  await joinUntilUp(gossip, seed);
  console.log(`joined ${gossip.localNode().addr}`);
  report();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
