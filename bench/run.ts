/**
 * Real-socket benchmark: N nodes in this process on 127.0.0.1, interval 100 ms,
 * maxPacketSize 1400, each joining node 0. Prints a table and appends one JSON
 * line per run to bench/results/bench.jsonl.
 *
 *   npm run bench                 # N = 10, 50, 100
 *   npm run bench -- --large      # also N = 200
 *   npm run bench -- --nodes 100  # one size (or a list: --nodes 100,200)
 *   npm run bench -- --nodes 100 --memberlist [preset]
 *       after ours, for each N, build and run memberlist-bench (Go, see
 *       bench/memberlist.ts) for the same N and print both side by side;
 *       preset lan-x0.5 (default: every LAN timing halved, the fair match for
 *       our 100 ms interval) or lan. --memberlist-port sets its base port.
 *   npm run bench -- --processes 20 [--settle 20] [--steady 60] [--memberlist lan] [--together]
 *       instead: one node per process, K processes each of ours, of the
 *       bare-Node floor and of memberlist, one kind after another (or, with
 *       --together, all at the same moment); CPU and RSS per process and
 *       their ratios to the floor (bench/processes.ts).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Registry } from 'prom-client';
import { Gossip, socketTransport } from '../lib/engine';
import { resolveOptions } from '../lib/engine/config/options';
import type { GossipOptions } from '../lib/engine';
import { comparisonTable, memberlistFigures, type Figures } from './compare';
import {
  buildMemberlistBench,
  GO_SETUP_COMMAND,
  memberlistUnavailable,
  runMemberlistBench,
} from './memberlist';
import { processesTable, runProcesses } from './processes';
import { countingTransport, newWireCounts, type WireCounts } from './wire-counter';

interface Args {
  sizes: number[];
  /** Undefined: the mode's default (30 s; 60 s with --processes). */
  steadySeconds?: number;
  /** One node per process, this many of each kind, instead of N nodes in this process. */
  processes?: number;
  /** --processes: seconds between start and the measured window. */
  settleSeconds: number;
  /** --processes: every kind at the same moment instead of one after another. */
  together: boolean;
  /** memberlist-bench preset, or undefined to run ours only. */
  memberlist?: string;
  memberlistPort: number;
  /** Joins at once: 1 (one after another, as memberlist-bench joins), or all (a storm). */
  joinsAtOnce: number | 'all';
}

function parseArgs(argv: string[]): Args {
  let sizes = [10, 50, 100];
  let steadySeconds: number | undefined;
  let processes: number | undefined;
  let settleSeconds = 20;
  let together = false;
  let memberlist: string | undefined;
  let memberlistPort = 20000;
  let joinsAtOnce: number | 'all' = 1;
  const value = (i: number, flag: string) => {
    if (argv[i] === undefined || argv[i].startsWith('--')) throw new Error(`${flag} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--large') sizes = [10, 50, 100, 200];
    else if (argv[i] === '--nodes') sizes = value(++i, '--nodes').split(',').map(Number);
    else if (argv[i] === '--steady') steadySeconds = Number(value(++i, '--steady'));
    else if (argv[i] === '--processes') processes = Number(value(++i, '--processes'));
    else if (argv[i] === '--settle') settleSeconds = Number(value(++i, '--settle'));
    else if (argv[i] === '--together') together = true;
    else if (argv[i] === '--joins') {
      const v = value(++i, '--joins');
      joinsAtOnce = v === 'all' ? 'all' : Number(v);
      if (joinsAtOnce !== 'all' && !(Number.isInteger(joinsAtOnce) && joinsAtOnce >= 1))
        throw new Error('--joins: a count >= 1, or all');
    } else if (argv[i] === '--memberlist-port')
      memberlistPort = Number(value(++i, '--memberlist-port'));
    else if (argv[i] === '--memberlist')
      memberlist = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'lan-x0.5';
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--nodes: integers >= 2');
  if (steadySeconds !== undefined && !(steadySeconds > 0)) throw new Error('--steady: seconds > 0');
  if (processes !== undefined && (!Number.isInteger(processes) || processes < 2 || processes > 500))
    throw new Error('--processes: an integer in 2..500');
  if (!(settleSeconds >= 0)) throw new Error('--settle: seconds >= 0');
  if (!Number.isInteger(memberlistPort) || memberlistPort < 1024 || memberlistPort > 65000)
    throw new Error('--memberlist-port: an integer in 1024..65000');
  return {
    sizes,
    steadySeconds,
    processes,
    settleSeconds,
    together,
    memberlist,
    memberlistPort,
    joinsAtOnce,
  };
}

const INTERVAL = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  gossip: Gossip;
  id: string;
  falseUnreachable: number;
}

/** As a deploy (and the Nest module) would: a seed too busy to answer in time is asked again. */
async function joinWithRetry(gossip: Gossip, seed: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await gossip.join([seed]);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      joinRetries++;
      await sleep(200 * attempt);
    }
  }
}
let joinRetries = 0;

async function waitUntil(cond: () => boolean, limitMs: number): Promise<number | undefined> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (cond()) return performance.now() - start;
    await sleep(5);
  }
  return undefined;
}

/** Time from `start` until each node satisfied `cond`; undefined for nodes that never did. */
async function perNodeTimes(
  nodes: Node[],
  cond: (n: Node) => boolean,
  limitMs: number,
  start = performance.now(),
): Promise<(number | undefined)[]> {
  const times: (number | undefined)[] = nodes.map(() => undefined);
  while (performance.now() - start < limitMs && times.some((t) => t === undefined)) {
    nodes.forEach((n, i) => {
      if (times[i] === undefined && cond(n)) times[i] = performance.now() - start;
    });
    await sleep(2);
  }
  return times;
}

function summary(times: (number | undefined)[]): {
  first: number;
  p50: number;
  all: number | null;
} {
  const got = times.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  return {
    first: round(got[0] ?? NaN),
    p50: round(got[Math.floor(got.length / 2)] ?? NaN),
    all: got.length === times.length ? round(got[got.length - 1]) : null,
  };
}
const round = (ms: number) => Math.round(ms);

/** Every node's real socket transport, wrapped to count what it sends (see wire-counter.ts). */
function countedOptions(options: GossipOptions, wire: WireCounts): GossipOptions {
  const limits = resolveOptions(options);
  return {
    ...options,
    transport: countingTransport(
      socketTransport({
        maxPacketSize: limits.maxPacketSize,
        maxStreamSize: limits.maxStreamSize,
        maxInboundStreams: limits.maxInboundStreams,
        streamTimeout: limits.streamTimeout,
      }),
      wire,
    ),
  };
}

async function runSize(
  n: number,
  steadySeconds: number,
  joinsAtOnce: number | 'all',
): Promise<Record<string, unknown>> {
  const nodes: Node[] = [];
  const wire = newWireCounts();
  const live = (x: Node) => x.gossip.nodes().filter((m) => m.status === 'alive').length;
  const makeNode = async (id: string): Promise<Node> => {
    const node: Node = { id, falseUnreachable: 0 } as Node;
    const options: GossipOptions = {
      bindAddr: '127.0.0.1:0',
      nodeId: node.id,
      interval: INTERVAL,
      maxPacketSize: 1400,
      registry: new Registry(),
      nodeExpiry: 600_000,
      watcher: {
        onUnreachable: (id) => {
          if (!expectedDead.has(id)) node.falseUnreachable++;
        },
      },
    };
    node.gossip = await Gossip.create(countedOptions(options, wire));
    return node;
  };
  for (let i = 0; i < n; i++) nodes.push(await makeNode(`node-${i}`));
  const expectedDead = new Set<string>();
  // 1. join convergence
  const joinStart = performance.now();
  joinRetries = 0;
  // All join node 0: one after another by default (as memberlist-bench does), or
  // `--joins K` at a time, or `--joins all` at once (a Kubernetes scale-up).
  const seed = nodes[0].gossip.localNode().addr;
  const queue = nodes.slice(1);
  const atOnce = joinsAtOnce === 'all' ? queue.length : joinsAtOnce;
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      for (let x = queue.shift(); x; x = queue.shift()) await joinWithRetry(x.gossip, seed);
    }),
  );
  const joinCallsMs = round(performance.now() - joinStart);
  const joinAll = await waitUntil(() => nodes.every((x) => live(x) === n), 60_000);
  const joinMs = joinAll === undefined ? null : round(performance.now() - joinStart);
  const falseDuringJoin = nodes.reduce((s, x) => s + x.falseUnreachable, 0);

  // 2. dissemination, 5 trials
  const dissemination: ReturnType<typeof summary>[] = [];
  for (let t = 0; t < 5; t++) {
    const writer = nodes[(t * 7 + 1) % n];
    writer.gossip.upsertLocal('bench', `trial-${t}`);
    const times = await perNodeTimes(
      nodes.filter((x) => x !== writer),
      (x) =>
        x.gossip
          .node(writer.id)
          ?.entries.some((e) => e.key === 'bench' && e.value === `trial-${t}`) ?? false,
      20_000,
    );
    dissemination.push(summary(times));
    await sleep(300);
  }

  // 5. steady state (before the crash, so membership is whole)
  await sleep(2000); // warm-up
  const before = {
    wire: { ...wire },
    cpu: process.cpuUsage(),
    wall: performance.now(),
    falseUnreachable: nodes.reduce((s, x) => s + x.falseUnreachable, 0),
  };
  let rssPeak = 0;
  const steadyEnd = performance.now() + steadySeconds * 1000;
  while (performance.now() < steadyEnd) {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    await sleep(250);
  }
  const seconds = (performance.now() - before.wall) / 1000;
  const cpu = process.cpuUsage(before.cpu);
  // Bytes SENT, counted at the sockets exactly as memberlist-bench counts (wire-counter.ts).
  const perNodePerSec = (k: keyof WireCounts) => (wire[k] - before.wire[k]) / n / seconds;
  const steady = {
    seconds,
    udpBytesPerNodePerSec: perNodePerSec('udpBytes'),
    udpPacketsPerNodePerSec: perNodePerSec('udpPackets'),
    tcpBytesPerNodePerSec: perNodePerSec('tcpBytes'),
    tcpStreamsPerSec: (wire.tcpStreams - before.wire.tcpStreams) / seconds,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    // At the end of the window, as memberlist-bench reads VmRSS; the peak too.
    rssMiB: process.memoryUsage().rss / 1024 / 1024,
    rssPeakMiB: rssPeak / 1024 / 1024,
    falseUnreachable: nodes.reduce((s, x) => s + x.falseUnreachable, 0) - before.falseUnreachable,
  };

  // 6. a fresh node joins the settled cluster, 5 tries: the join call alone, then it leaves
  const freshJoinMs: number[] = [];
  for (let t = 0; t < 5; t++) {
    const fresh = await makeNode(`fresh-${t}`);
    expectedDead.add(fresh.id);
    const started = performance.now();
    await fresh.gossip.join([seed]);
    freshJoinMs.push(round(performance.now() - started));
    await sleep(1000);
    await fresh.gossip.leave();
    await fresh.gossip.close();
    await sleep(500);
  }

  // 3. failure detection
  const victim = nodes[n - 1];
  expectedDead.add(victim.id);
  await victim.gossip.close();
  const survivors = nodes.slice(0, n - 1);
  const detection = summary(
    await perNodeTimes(survivors, (x) => x.gossip.node(victim.id)?.unreachable === true, 60_000),
  );

  // 4. graceful leave, 3 trials
  const leaves: ReturnType<typeof summary>[] = [];
  let remaining = survivors;
  for (let t = 0; t < 3; t++) {
    const leaver = remaining[remaining.length - 1];
    remaining = remaining.slice(0, -1);
    expectedDead.add(leaver.id);
    const started = performance.now();
    await leaver.gossip.leave();
    // Timed from the call: leave() itself waits for the first acknowledgements.
    const times = await perNodeTimes(
      remaining,
      (x) => x.gossip.node(leaver.id)?.left === true,
      20_000,
      started,
    );
    leaves.push(summary(times));
    await leaver.gossip.close();
  }
  const falseTotal = nodes.reduce((s, x) => s + x.falseUnreachable, 0);
  await Promise.all(nodes.map((x) => x.gossip.close()));
  return {
    n,
    joinMs,
    joinCallsMs,
    joinsAtOnce,
    freshJoinMs,
    joinRetries,
    falseDuringJoin,
    dissemination,
    detection,
    leaves,
    steady,
    falseUnreachableTotal: falseTotal,
    // Everything sent over the whole run (join, trials, crash, leaves), for a sanity check.
    wireTotal: { ...wire },
  };
}

/** `--processes K`: one node per process (bench/processes.ts), one line in bench.jsonl. */
async function mainProcesses(args: Args, k: number): Promise<void> {
  const date = new Date().toISOString();
  const settings = {
    k,
    settleSeconds: args.settleSeconds,
    steadySeconds: args.steadySeconds ?? 60,
    preset: args.memberlist ?? 'lan-x0.5',
    together: args.together,
  };
  const results = await runProcesses(settings);
  console.log('\n' + processesTable(k, results) + '\n');
  appendFileSync(
    'bench/results/bench.jsonl',
    JSON.stringify({
      runId: `${date}-${process.pid}`,
      system: 'per-process',
      date,
      machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      ...settings,
      results,
    }) + '\n',
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync('bench/results', { recursive: true });
  if (args.processes !== undefined) return mainProcesses(args, args.processes);
  // Build memberlist-bench before measuring anything, so a failure shows at once.
  let memberlistBinary: string | undefined;
  if (args.memberlist) {
    const missing = memberlistUnavailable();
    if (missing) {
      console.log(
        `memberlist comparison skipped: ${missing} (${GO_SETUP_COMMAND}); running ours only.`,
      );
    } else memberlistBinary = buildMemberlistBench();
  }
  // One id for every line this invocation appends (ours and memberlist's, every N).
  const runId = `${new Date().toISOString()}-${process.pid}`;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
  const append = (line: object) =>
    appendFileSync('bench/results/bench.jsonl', JSON.stringify(line) + '\n');
  let ourBytesAt100: number | undefined;
  for (const n of args.sizes) {
    // The machine is shared: record how busy it was around each system's run.
    const loadBefore = loadavg()[0];
    const result = await runSize(n, args.steadySeconds ?? 30, args.joinsAtOnce);
    append({
      loadAvg1m: { before: loadBefore, after: loadavg()[0] },
      runId,
      system: 'nestjs-gossip',
      date: new Date().toISOString(),
      machine: `${machine}, node ${process.version}`,
      interval: INTERVAL,
      maxPacketSize: 1400,
      ...result,
    });
    printRow(result);
    const ours = ourFigures(result);
    const ourBytes = ours.udpBytesPerNodePerSec + ours.tcpBytesPerNodePerSec;
    if (n === 100) ourBytesAt100 = ourBytes;
    if (n === 200 && ourBytesAt100 !== undefined) {
      const ratio = ourBytes / ourBytesAt100;
      console.log(
        `  steady bytes per node, N = 200 / N = 100: ${ratio.toFixed(2)} (issue 10 target <= 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'})`,
      );
    }
    if (!memberlistBinary || !args.memberlist) continue;
    // Ours has closed every node; only now does memberlist run (2 cores: never both at once).
    const theirLoadBefore = loadavg()[0];
    const theirs = await runMemberlistBench(
      memberlistBinary,
      n,
      args.memberlist,
      args.memberlistPort,
    );
    append({
      runId,
      date: new Date().toISOString(),
      machine,
      loadAvg1m: { before: theirLoadBefore, after: loadavg()[0] },
      ...theirs,
    });
    console.log(
      '\n' +
        comparisonTable(n, args.memberlist, ours, memberlistFigures(theirs), ourBytesAt100) +
        '\n',
    );
  }
}

type Summary = ReturnType<typeof summary>;

function ourFigures(r: Record<string, unknown>): Figures {
  const s = r.steady as Record<string, number>;
  const worst = (xs: Summary[]) =>
    xs.every((x) => x.all !== null) ? Math.max(...xs.map((x) => x.all as number)) : null;
  return {
    joinCallsMs: r.joinCallsMs as number,
    joinMs: r.joinMs as number | null,
    updateMs: worst(r.dissemination as Summary[]),
    crashMs: (r.detection as Summary).all,
    leaveMs: worst(r.leaves as Summary[]),
    udpBytesPerNodePerSec: s.udpBytesPerNodePerSec,
    tcpBytesPerNodePerSec: s.tcpBytesPerNodePerSec,
    cpuPercent: s.cpuPercent,
    rssMiB: s.rssMiB,
    falseUnreachable: s.falseUnreachable,
    notes: {
      false: `${r.falseDuringJoin} in join, ${r.falseUnreachableTotal} in run`,
      bytes: `window ${s.seconds.toFixed(0)} s`,
    },
  };
}

function printRow(r: Record<string, unknown>): void {
  const d = r.dissemination as ReturnType<typeof summary>[];
  const s = r.steady as Record<string, number>;
  const det = r.detection as ReturnType<typeof summary>;
  const lv = r.leaves as ReturnType<typeof summary>[];
  const maxAll = (xs: ReturnType<typeof summary>[]) =>
    Math.max(...xs.map((x) => x.all ?? Infinity));
  console.log(
    [
      `N=${r.n}`,
      `join all-see-all ${r.joinMs} ms (join calls done after ${r.joinCallsMs} ms, ${r.joinsAtOnce} at once; retries ${r.joinRetries}, false unreachable during join: ${r.falseDuringJoin})`,
      `a fresh node joining the settled cluster: join call ${(r.freshJoinMs as number[]).join(' / ')} ms`,
      `update reaches all: max ${maxAll(d)} ms, p50s ${d.map((x) => x.p50).join('/')} ms`,
      `crash: first ${det.first} ms, p50 ${det.p50} ms, all ${det.all} ms`,
      `leave seen by all: ${lv.map((x) => x.all).join('/')} ms`,
      `steady: sent UDP+TCP ${(s.udpBytesPerNodePerSec + s.tcpBytesPerNodePerSec).toFixed(0)} B/node/s = UDP ${s.udpBytesPerNodePerSec.toFixed(0)} B/node/s (${s.udpPacketsPerNodePerSec.toFixed(1)} pkt), TCP ${s.tcpBytesPerNodePerSec.toFixed(0)} B/node/s (${s.tcpStreamsPerSec.toFixed(2)} streams/s), CPU ${s.cpuPercent.toFixed(1)}%, RSS ${s.rssMiB.toFixed(0)} MiB, false unreachable ${s.falseUnreachable}`,
      `false unreachable, whole run: ${r.falseUnreachableTotal}`,
    ].join('\n  '),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
