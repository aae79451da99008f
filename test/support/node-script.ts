/**
 * One gossip node in a process of its own (see NodeProcess), for the
 * multi-host test (inside a network namespace) and the SIGSTOP test:
 *   node -r test/support/ts-register.js node-script.ts <id> <bind> <seed|-> <interval>
 * Prints JSON lines: `ready`, `joined`, then a `status` every 50 ms. Reads
 * JSON lines on stdin: {"upsert": [key, value]}. Exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { Gossip } from '../../lib/engine';

async function main(): Promise<void> {
  const [id, bindAddr, seed, interval] = process.argv.slice(2);
  const gossip = await Gossip.create({
    bindAddr,
    nodeId: id,
    interval: Number(interval),
    logger: { debug: () => undefined, warn: () => undefined, error: (m) => console.error(m) },
  });
  const say = (message: object) => process.stdout.write(JSON.stringify(message) + '\n');
  say({ ready: gossip.localNode().addr });

  if (seed !== '-') {
    for (let attempt = 1; ; attempt++) {
      try {
        say({ joined: await gossip.join([seed]), attempt });
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  const timer = setInterval(() => {
    const values: Record<string, Record<string, string>> = {};
    for (const n of gossip.nodes()) {
      values[n.id] = {};
      for (const e of gossip.node(n.id)?.entries ?? [])
        if (!e.deleted) values[n.id][e.key] = e.value;
    }
    say({
      status: {
        live: gossip
          .nodes()
          .filter((n) => n.status === 'alive')
          .map((n) => n.id),
        unreachable: gossip
          .nodes()
          .filter((n) => n.unreachable)
          .map((n) => n.id),
        values,
      },
    });
  }, 50);

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as { upsert?: [string, string] };
    if (command.upsert) gossip.upsertLocal(...command.upsert);
  });
  lines.on('close', () => {
    clearInterval(timer);
    void gossip.close().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
