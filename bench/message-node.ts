/**
 * One node of ours in its own process for `npm run bench:messages`
 * (bench/messages.ts): it subscribes to the bench topics, answers the bench
 * queries, and runs what the bench writes on its stdin, one JSON command a
 * line, answering with one JSON line on stdout.
 *
 *   node .bench-build/bench/message-node.js <id> <port, 0: any free one> [seed host:port]
 *
 * Times are taken on the machine's wall clock with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), the same in every process,
 * so a receiver computes a message's latency from the send time it carries.
 */
import { createInterface } from 'node:readline';
import { Gossip } from '../lib/engine';
import { joinUntilUp } from './join-until-up';
import {
  QUERY_ECHO,
  QUERY_SLOW,
  TOPIC_LATENCY,
  TOPIC_THROUGHPUT,
  type MessageCommand,
} from './message-protocol';

/** What the bench uses of `gossip.messages` (lib/engine/messages/cluster-messages.ts). */
type BenchMessages = Gossip['messages'];

const [id, port, seed] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: object): void => void process.stdout.write(JSON.stringify(line) + '\n');

/** What this node received, until the next `report`. */
const received = {
  /** [sender, seq, ms from send to here] per latency message. */
  latency: [] as [string, number, number][],
  throughput: { count: 0, first: 0, last: 0 },
};
let stalled = false;

async function latency(m: BenchMessages, c: Extract<MessageCommand, { cmd: 'latency' }>) {
  const pad = 'x'.repeat(c.size);
  const acked: number[] = [];
  let refused = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < c.count; i++) {
    const t = now();
    // publish throws at once when refused: counted like a rejection.
    pending.push(
      Promise.resolve()
        .then(() => m.publish(TOPIC_LATENCY, { t, pad }))
        .then(
          (r) => void acked.push(r.missed.length === 0 ? now() - t : -1),
          () => void refused++,
        ),
    );
    await sleep(c.gapMs);
  }
  await Promise.all(pending);
  say({ ev: 'latency-done', acked, refused });
}

async function throughput(m: BenchMessages, c: Extract<MessageCommand, { cmd: 'throughput' }>) {
  const pad = 'x'.repeat(c.size);
  const start = now();
  const end = start + c.seconds * 1000;
  let sent = 0;
  let refused = 0;
  let missed = 0;
  // A count and one waiter for the next settled publish (Promise.race over the
  // whole set would add a reaction to every pending publish on each wait).
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settled = () => new Promise<void>((r) => (wake = r));
  let backoff = false;
  while (now() < end) {
    if (inFlight >= c.inFlight || (backoff && inFlight > 0)) {
      backoff = false;
      await settled();
      continue;
    }
    if (backoff) await sleep(1);
    backoff = false;
    inFlight++;
    // Refused (over the backlog bound) throws at once: wait for an acknowledgement, go on.
    void Promise.resolve()
      .then(() => m.publish(TOPIC_THROUGHPUT, { pad }))
      .then(
        (r) => {
          sent++;
          if (r.missed.length > 0) missed++;
        },
        () => {
          refused++;
          backoff = true;
        },
      )
      .finally(() => {
        inFlight--;
        wake?.();
      });
    // Yield, so that acknowledgements are read while we publish.
    await new Promise((r) => setImmediate(r));
  }
  while (inFlight > 0) await settled();
  say({ ev: 'throughput-done', sent, refused, missed, start, end: now() });
}

async function queries(m: BenchMessages, c: Extract<MessageCommand, { cmd: 'query' }>) {
  const ms: number[] = [];
  const answers: number[] = [];
  let timedOut = 0;
  for (let i = 0; i < c.count; i++) {
    const t = now();
    const result = await m.query(c.name, i, { timeout: c.timeout });
    ms.push(now() - t);
    answers.push(result.answers.filter((a) => a.ok).length);
    if (result.timedOut) timedOut++;
    await sleep(20);
  }
  say({ ev: 'query-done', ms, answers, timedOut });
}

async function main(): Promise<void> {
  if (!id || !port) throw new Error('usage: message-node <id> <port> [seed host:port]');
  // BENCH_DEBUG=1: the engine's debug lines on stderr (why a delivery was retried, say).
  const logger = process.env.BENCH_DEBUG
    ? {
        debug: (m: string) => console.error(`debug ${m}`),
        warn: (m: string) => console.error(`warn ${m}`),
        error: (m: string) => console.error(`error ${m}`),
      }
    : undefined;
  const gossip = await Gossip.create({ bindAddr: `127.0.0.1:${port}`, nodeId: id, logger });
  const messages = gossip.messages;
  messages.subscribe(TOPIC_LATENCY, (msg) => {
    const { t } = msg.payload as { t: number };
    received.latency.push([msg.from, msg.seq, now() - t]);
  });
  messages.subscribe(TOPIC_THROUGHPUT, () => {
    const r = received.throughput;
    r.last = now();
    if (r.count++ === 0) r.first = r.last;
  });
  messages.handle(QUERY_ECHO, (payload) => payload);
  messages.handle(QUERY_SLOW, (payload) => (stalled ? new Promise(() => {}) : payload));
  let live = -1;
  gossip.subscribe(() => {
    const count = gossip.nodes().filter((n) => n.status === 'alive').length;
    if (count !== live) say({ ev: 'live', count: (live = count) });
  });
  const stop = () => void gossip.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await joinUntilUp(gossip, seed);
  say({ ev: 'joined', addr: gossip.localNode().addr });
  // One command at a time, in order.
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const c = JSON.parse(line) as MessageCommand;
    queue = queue
      .then(async () => {
        if (c.cmd === 'latency') await latency(messages, c);
        else if (c.cmd === 'throughput') await throughput(messages, c);
        else if (c.cmd === 'query') await queries(messages, c);
        else if (c.cmd === 'stall') {
          stalled = true;
          say({ ev: 'stalled' });
        } else {
          say({ ev: 'report', ...received });
          received.latency = [];
          received.throughput = { count: 0, first: 0, last: 0 };
        }
      })
      .catch((err: unknown) => say({ ev: 'error', message: String(err) }));
  });
  process.stdin.on('end', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
