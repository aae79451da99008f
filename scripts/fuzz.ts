/**
 * The long fuzz run: `npm run fuzz -- --cases 200000 [--seed 7] [--streams 0.2]`.
 *
 * Feeds arbitrary bytes, valid messages and mutated valid messages into the
 * decoder, then into a live node's UDP and TCP ports on 127.0.0.1 (its
 * traffic only goes to the other local test nodes), while two healthy peers
 * gossip with it. Prints cases run, rejections by reason, and peak RSS and
 * heap; exits non-zero if anything throws, a rejection escapes, state passes
 * the limits, or the node no longer converges with its peers afterwards.
 */
import { DecodeError, decodeMessage } from '../lib/engine/codec';
import { Gossip } from '../lib/engine';
import { draw, hostileInput } from '../test/security/fuzz-inputs';
import { LoopbackCluster, waitAllSee, waitValue } from '../test/support/cluster';
import {
  ALL_REASONS,
  addrOf,
  collectGarbage,
  frame,
  pool,
  rawStream,
  rejections,
  sendDatagrams,
} from '../test/security/support';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

const CASES = flag('cases', 100_000);
const SEED = flag('seed', Date.now() % 1_000_000);
const STREAM_SHARE = flag('streams', 0.1);
const BATCH = 1000;
const LIMITS = { maxNodes: 64, maxEntriesPerNode: 256, maxKeySize: 128, maxValueSize: 4096 };
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const unhandled: unknown[] = [];
  process.on('unhandledRejection', (reason) => unhandled.push(reason));
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  console.log(`fuzz: ${CASES} cases per target, seed ${SEED}`);

  // 1. The decoder alone.
  const target = { clusterId: 'fuzz', addrs: ['127.0.0.1:9', '[::1]:9'] };
  const outcomes = new Map<string, number>();
  const limits = { ...LIMITS, maxArrayLength: LIMITS.maxEntriesPerNode + 16 };
  let started = Date.now();
  for (let done = 0; done < CASES; done += BATCH) {
    for (const bytes of draw(hostileInput(target), Math.min(BATCH, CASES - done), SEED + done)) {
      let outcome = 'ok';
      try {
        decodeMessage(bytes, limits);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        outcome = err.reason;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  }
  console.log(
    `decoder: ${CASES} cases in ${Date.now() - started} ms, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
  );

  // 2. A live node, with two healthy peers.
  const nodes = new LoopbackCluster();
  try {
    const options = { clusterId: 'fuzz', ...LIMITS };
    const victim = await nodes.startEngine('victim', options, { guarded: true });
    const healthy = [
      await nodes.startEngine('healthy-1', options, { guarded: true }),
      await nodes.startEngine('healthy-2', options, { guarded: true }),
    ];
    for (const h of healthy) await h.join([addrOf(victim)]);
    const all: Gossip[] = [victim, ...healthy];
    await waitAllSee(all, ['victim', 'healthy-1', 'healthy-2'], 'the three nodes');
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const liveTarget = { clusterId: 'fuzz', addrs: [...all.map(addrOf), '127.0.0.1:9'] };
    started = Date.now();
    let datagrams = 0;
    let streams = 0;
    for (let done = 0; done < CASES; done += BATCH) {
      const batch = draw(hostileInput(liveTarget), Math.min(BATCH, CASES - done), SEED + 7 + done);
      const cut = Math.floor(batch.length * (1 - STREAM_SHARE));
      datagrams += await sendDatagrams(addrOf(victim), batch.slice(0, cut));
      const tcp = batch.slice(cut).map((bytes, i) => (i % 10 === 0 ? bytes : frame(bytes)));
      await pool(tcp, 16, (bytes) => rawStream(addrOf(victim), bytes, 1000));
      streams += tcp.length;
      if ((done / BATCH) % 20 === 0) {
        sample();
        console.log(
          `  ${done + batch.length} cases, rss ${mb(process.memoryUsage().rss)}, victim knows ${victim.nodes().length} nodes`,
        );
      }
    }
    const floodMs = Date.now() - started;
    clearInterval(sampler);
    sample();
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    const counts = await rejections(victim, ALL_REASONS);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `live node: ${datagrams} datagrams + ${streams} streams in ${floodMs} ms; ${total} rejected: ${JSON.stringify(counts)}`,
    );
    console.log(
      `memory: peak rss ${mb(peakRss)}, peak heap ${mb(peakHeap)}, heap ${mb(heapBefore)} before -> ${mb(heapAfter)} after (gc)`,
    );

    const problems: string[] = [];
    if (unhandled.length > 0) problems.push(`${unhandled.length} unhandled rejections`);
    for (const g of all) {
      if (g.nodes().length > LIMITS.maxNodes)
        problems.push(`${g.nodeId} holds ${g.nodes().length} nodes`);
      for (const n of g.nodes())
        if ((g.node(n.id)?.entries.length ?? 0) > LIMITS.maxEntriesPerNode)
          problems.push(`${g.nodeId} holds too many entries of ${n.id}`);
    }
    await waitAllSee(all, ['victim', 'healthy-1', 'healthy-2'], 'the three nodes after the flood');
    victim.upsertLocal('after', 'fuzz');
    await waitValue(healthy, 'victim', 'after', 'fuzz');
    console.log('after the flood: the victim and its healthy peers still converge');
    if (problems.length > 0) {
      console.error(`FAILED: ${problems.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(sampler);
    await nodes.closeAll();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
