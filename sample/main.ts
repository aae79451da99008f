/**
 * The registry sample.
 *
 *   npm start                                 three nodes on 127.0.0.1, until Ctrl-C
 *   npm start -- --duration 10                the same, stopping after 10 s (CI)
 *   npm start -- --single --id node-4 --gossip-port 7949 --http-port 3003 --join 127.0.0.1:7946
 *                                             one more node, joining a running cluster
 *
 * Options (or env): --nodes (SAMPLE_NODES, 3), --duration seconds (SAMPLE_DURATION, 0 = until
 * Ctrl-C), --gossip-port (SAMPLE_GOSSIP_PORT, 7946; 0 = free ports), --http-port
 * (SAMPLE_HTTP_PORT, 3000), --interval ms (SAMPLE_INTERVAL, 200).
 */
import { parseArgs } from 'node:util';
import { membership, startCluster, startNode, stopCluster, type RunningNode } from './cluster';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: process.env.SAMPLE_NODES ?? '3' },
    duration: { type: 'string', default: process.env.SAMPLE_DURATION ?? '0' },
    'gossip-port': { type: 'string', default: process.env.SAMPLE_GOSSIP_PORT ?? '7946' },
    'http-port': { type: 'string', default: process.env.SAMPLE_HTTP_PORT ?? '3000' },
    interval: { type: 'string', default: process.env.SAMPLE_INTERVAL ?? '200' },
    single: { type: 'boolean', default: false },
    id: { type: 'string' },
    join: { type: 'string', multiple: true, default: [] },
  },
});

async function main(): Promise<void> {
  const started = Date.now();
  const stamp = () => `+${((Date.now() - started) / 1000).toFixed(1)}s`;
  const gossipPort = Number(values['gossip-port']);
  const httpPort = Number(values['http-port']);
  const interval = Number(values.interval);
  const logLevels = ['log', 'warn', 'error'] as const;

  const nodes: RunningNode[] = [];
  // Print when who-sees-whom changes, and every 5 s for the loads.
  let last = '';
  let lastAt = 0;
  const report = setInterval(() => {
    if (nodes.length === 0) return;
    const shape = membership(nodes, false);
    if (shape === last && Date.now() - lastAt < 5000) return;
    last = shape;
    lastAt = Date.now();
    console.log(`${stamp()} membership\n${membership(nodes)}`);
  }, 250);

  const announce = (n: RunningNode) =>
    console.log(
      `${stamp()} ${n.config.id} up: gossip ${n.gossipAddr}, http ${n.http} (GET /services, /work/:key, /gossip/ui, /chat, /metrics), rpc ${n.rpc}`,
    );
  if (values.single) {
    nodes.push(
      await startNode(
        {
          id: values.id ?? `node-${process.pid}`,
          gossipAddr: `127.0.0.1:${gossipPort}`,
          join: values.join ?? [],
          httpPort,
          interval,
        },
        [...logLevels],
      ),
    );
    announce(nodes[0]);
  } else {
    const cluster = {
      nodes: Number(values.nodes),
      gossipPort,
      httpPort,
      interval,
      logLevels: [...logLevels],
    };
    await startCluster(cluster, nodes, 500, announce);
  }

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(report);
    console.log(`${stamp()} ${why}: leaving the cluster and shutting down`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await stopCluster(nodes);
    console.log(`${stamp()} stopped`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const duration = Number(values.duration);
  if (duration > 0) setTimeout(() => void stop(`${duration} s elapsed`), duration * 1000);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
