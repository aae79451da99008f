/**
 * Liveness curves on the deterministic simulator (virtual clock, seeded):
 *
 *   crash    crash detection against N (0% and 10% loss), and the steady
 *            traffic per node in the 10 s before the crash
 *   loss     false unreachable events against loss, 10 nodes, 10 virtual
 *            minutes each, then the detection time of a crash under that loss
 *   long     10 nodes, 50% loss, one virtual hour, then a crash
 *   curve    where detection time goes (first miss, accusations, quorum,
 *            spreading the verdict), and the curve of survivors holding
 *            a crashed node unreachable against time (not in the default set)
 *
 *   npm run bench:liveness                          # all three
 *   npm run bench:liveness -- --part crash --nodes 10,100 --seeds 2
 *   npm run bench:liveness -- --part loss --minutes 2
 *
 * Prints what it measured and writes bench/results/sim-liveness-*.csv and
 * .svg. See docs/simulator.md, "Liveness curves".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng, SimNode, Simulation } from '../lib/sim';
import { deriveTuning } from '../lib/engine/vocabulary/tuning';
import { detectionCurveSvg, readCurveCsv } from './detection-curve';
import { plot } from './plot';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'crash,loss,long' },
    nodes: { type: 'string', default: '10,30,100,300,1000' },
    losses: { type: 'string', default: '0,0.1,0.2,0.3,0.4,0.5' },
    seeds: { type: 'string', default: '3' },
    /** Seeds for N >= 1000 (each run takes minutes). */
    'seeds-large': { type: 'string', default: '1' },
    crash: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '20000' },
    expiry: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '10' },
    'long-minutes': { type: 'string', default: '60' },
    out: { type: 'string', default: 'bench/results' },
    /** Part `curve`: the loss rates to run (each N of --nodes, --seeds-large seeds at N >= 1000). */
    'curve-losses': { type: 'string', default: '0,0.1' },
  },
});

const INTERVAL = 100;
/** The first 20 s of loss, reported apart: the detectors are still learning the new miss rate. */
const ONSET = 20_000;
/** The prefix of the internal entries an observer writes to accuse a subject (lib/engine/accusations.ts). */
const ACCUSATION_PREFIX = '\u0000unreachable:';
const parts = new Set(values.part.split(','));
const out = values.out;
const num = (s: string) => s.split(',').map(Number);

// ------------------------------------------------------------------ helpers

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Every running node sees every other running node live. Reads metadata only (cheap at N = 1000). */
function everyoneLive(sim: Simulation): boolean {
  const running = sim.running;
  return running.every(
    (n) => n.gossip.nodes().filter((m) => m.status === 'alive').length === running.length,
  );
}

async function startConverged(sim: Simulation, n: number): Promise<SimNode[]> {
  const nodes = await sim.startCluster(n);
  await sim.runUntil(() => everyoneLive(sim), { timeout: 60_000, every: 500 });
  return nodes;
}

/** Datagrams, datagram bytes and stream bytes sent per node per second over rounds [from, to). */
function trafficPerNodePerSecond(sim: Simulation, nodes: SimNode[], from: number, to: number) {
  let packets = 0;
  let bytes = 0;
  let streamBytes = 0;
  let maxBytes = 0;
  for (const node of nodes) {
    let mine = 0;
    const rounds = sim.trafficPerRound(node.id);
    for (let r = from; r < to; r++) {
      const c = rounds[r];
      if (!c) continue;
      packets += c.packetsOut;
      bytes += c.packetBytesOut;
      streamBytes += c.streamBytesOut;
      mine += c.packetBytesOut + c.streamBytesOut;
    }
    maxBytes = Math.max(maxBytes, mine);
  }
  const perNodeSecond = (nodes.length * ((to - from) * INTERVAL)) / 1000;
  const seconds = ((to - from) * INTERVAL) / 1000;
  return {
    packets: packets / perNodeSecond,
    bytes: bytes / perNodeSecond,
    streamBytes: streamBytes / perNodeSecond,
    maxNodeBytes: maxBytes / seconds,
  };
}

/**
 * Crashes `victims` now and runs until every survivor holds each of them
 * unreachable (and, with `untilDropped`, has dropped it). Times in virtual
 * ms from the crash, per (survivor, victim) pair.
 */
async function timeCrash(
  sim: Simulation,
  victims: SimNode[],
  { timeout, untilDropped }: { timeout: number; untilDropped?: number },
) {
  const victimIds = new Set(victims.map((v) => v.id));
  const survivors = sim.running.filter((n) => !victimIds.has(n.id));
  const crashedAt = sim.now();
  const unreachableAt = new Map<string, number>();
  const droppedAt = new Map<string, number>();
  const backToLive: string[] = [];
  sim.onEvent((e) => {
    if (!victimIds.has(e.event.nodeId) || victimIds.has(e.node) || e.at < crashedAt) return;
    const pair = `${e.node}>${e.event.nodeId}`;
    if (e.event.type === 'unreachable' && !unreachableAt.has(pair))
      unreachableAt.set(pair, e.at - crashedAt);
    if (e.event.type === 'expired' && !droppedAt.has(pair)) droppedAt.set(pair, e.at - crashedAt);
    if (e.event.type === 'reachable' || e.event.type === 'join')
      backToLive.push(
        `${e.node} reported ${e.event.nodeId} ${e.event.type} at +${Math.round(e.at - crashedAt)} ms`,
      );
  });
  for (const v of victims) sim.crash(v.id);
  const pairs = survivors.length * victims.length;
  while (unreachableAt.size < pairs && sim.now() - crashedAt < timeout) await sim.runRounds(1);
  if (untilDropped !== undefined) {
    while (droppedAt.size < pairs && sim.now() - crashedAt < timeout + untilDropped)
      await sim.runRounds(1);
  }
  // Per victim: when the last survivor held it unreachable (or dropped it).
  const allSurvivors = (times: Map<string, number>) =>
    victims.map((v) => {
      const got = survivors.map((s) => times.get(`${s.id}>${v.id}`));
      return got.some((t) => t === undefined) ? Infinity : Math.max(...(got as number[]));
    });
  return {
    pairs,
    survivors: survivors.length,
    pairTimes: [...unreachableAt.values()].sort((a, b) => a - b),
    undetected: pairs - unreachableAt.size,
    allUnreachable: allSurvivors(unreachableAt),
    allDropped: allSurvivors(droppedAt),
    backToLive,
  };
}

/** Counts unreachable events (and how long each lasted) from now on; every one is false while nobody crashed. */
function watchFalseAlarms(sim: Simulation) {
  const open = new Map<string, number>();
  const durations: number[] = [];
  const events: { at: number; node: string; subject: string }[] = [];
  let counting = true;
  sim.onEvent((e) => {
    if (!counting) return;
    const pair = `${e.node}>${e.event.nodeId}`;
    if (e.event.type === 'unreachable') {
      events.push({ at: e.at, node: e.node, subject: e.event.nodeId });
      open.set(pair, e.at);
    } else if (e.event.type === 'reachable' && open.has(pair)) {
      durations.push(e.at - open.get(pair)!);
      open.delete(pair);
    }
  });
  return {
    events,
    durations,
    /** Stops counting; events still open are counted as lasting until now. */
    stop(now: number) {
      counting = false;
      for (const at of open.values()) durations.push(now - at);
      open.clear();
    },
  };
}

/** The engine's own record of a node: accusations are internal entries, hidden from `localNode()`. */
interface OwnRecord {
  internalKeys(prefix: string): string[];
  get(key: string): { version: number } | undefined;
}
const ownRecord = (node: SimNode) =>
  (node.gossip as unknown as { core: { state: { self: OwnRecord } } }).core.state.self;

/**
 * Lone accusations: an observer publishing an accusation entry (its own
 * detector suspects the subject; a quorum may or may not follow). Sampled
 * once a round from each node's own record, so one withdrawn within the same
 * round can be missed.
 */
function accusationSampler(sim: Simulation) {
  const seen = new Set<string>();
  return {
    sample() {
      for (const node of sim.running) {
        const self = ownRecord(node);
        for (const key of self.internalKeys(ACCUSATION_PREFIX)) {
          seen.add(`${node.id}>${key.slice(ACCUSATION_PREFIX.length)}@${self.get(key)?.version}`);
        }
      }
    },
    get count() {
      return seen.size;
    },
  };
}

const ms = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : 'never');

function writeCsv(name: string, header: string[], rows: (string | number)[][]): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, name),
    [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n',
  );
}

// ------------------------------------------------- 1 + 4: crash detection, traffic vs N

interface CrashRow {
  nodes: number;
  loss: number;
  seed: number;
  crashed: number;
  survivors: number;
  medianMs: number;
  allMedianMs: number;
  allMaxMs: number;
  undetected: number;
  droppedMaxMs: number;
  backToLive: number;
  falseUnreachable: number;
  loneAccusations: number;
  packetsPerNodeSecond: number;
  bytesPerNodeSecond: number;
  streamBytesPerNodeSecond: number;
  maxNodeBytesPerSecond: number;
  wallStart: number;
  wallTotal: number;
}

async function crashCurve(): Promise<void> {
  const sizes = num(values.nodes);
  const seeds = Number(values.seeds);
  const warmup = Number(values.warmup);
  const expiry = Number(values.expiry);
  const rows: CrashRow[] = [];
  console.log(
    `\n1. Crash detection vs N: interval ${INTERVAL} ms, ${values.crash} crashed after ${warmup / 1000} s of loss, nodeExpiry ${expiry / 1000} s`,
  );
  console.log(
    'nodes  loss seed | median  all:med  all:max undet | dropped-max | back-live false accus | dgram/s  B/s  streamB/s  maxnodeB/s | wall start/total (s)',
  );
  for (const nodes of sizes) {
    for (const loss of [0, 0.1]) {
      const runs = nodes >= 1000 ? Number(values['seeds-large']) : seeds;
      for (let seed = 1; seed <= runs; seed++) {
        const wall = Date.now();
        const sim = new Simulation({
          seed,
          engine: { interval: INTERVAL, nodeExpiry: expiry },
          recordEvents: false,
        });
        const all = await startConverged(sim, nodes);
        const wallStart = (Date.now() - wall) / 1000;
        sim.faults({ loss });
        const alarms = watchFalseAlarms(sim);
        const accusations = accusationSampler(sim);
        for (let r = 0; r < warmup / INTERVAL; r++) {
          await sim.runRounds(1);
          accusations.sample();
        }
        const end = sim.round;
        // Steady state: the last 10 s before the crash.
        const traffic = trafficPerNodePerSecond(sim, all, end - 10_000 / INTERVAL, end);
        alarms.stop(sim.now());
        const pick = new Rng(seed ^ 0x11fe);
        const victims = pick.sample(all, Math.min(Number(values.crash), nodes - 2));
        const d = await timeCrash(sim, victims, { timeout: 30_000, untilDropped: expiry });
        const problems = sim.problems();
        if (problems.length > 0) throw new Error(`N=${nodes}: ${problems.slice(0, 3).join('; ')}`);
        await sim.shutdown();
        for (const line of d.backToLive)
          console.log(`   dead seen live: ${line} (N=${nodes}, loss ${loss}, seed ${seed})`);
        const sortedAll = [...d.allUnreachable].sort((a, b) => a - b);
        const row: CrashRow = {
          nodes,
          loss,
          seed,
          crashed: victims.length,
          survivors: d.survivors,
          medianMs: quantile(d.pairTimes, 0.5),
          allMedianMs: quantile(sortedAll, 0.5),
          allMaxMs: Math.max(...d.allUnreachable),
          undetected: d.undetected,
          droppedMaxMs: Math.max(...d.allDropped),
          backToLive: d.backToLive.length,
          falseUnreachable: alarms.events.length,
          loneAccusations: accusations.count,
          packetsPerNodeSecond: traffic.packets,
          bytesPerNodeSecond: traffic.bytes,
          streamBytesPerNodeSecond: traffic.streamBytes,
          maxNodeBytesPerSecond: traffic.maxNodeBytes,
          wallStart,
          wallTotal: (Date.now() - wall) / 1000,
        };
        rows.push(row);
        console.log(
          [
            String(nodes).padStart(5),
            `${loss * 100}%`.padStart(5),
            String(seed).padStart(4),
            '|',
            ms(row.medianMs).padStart(6),
            ms(row.allMedianMs).padStart(8),
            ms(row.allMaxMs).padStart(8),
            String(row.undetected).padStart(5),
            '|',
            ms(row.droppedMaxMs).padStart(11),
            '|',
            String(row.backToLive).padStart(9),
            String(row.falseUnreachable).padStart(5),
            String(row.loneAccusations).padStart(5),
            '|',
            row.packetsPerNodeSecond.toFixed(1).padStart(7),
            row.bytesPerNodeSecond.toFixed(0).padStart(5),
            row.streamBytesPerNodeSecond.toFixed(0).padStart(10),
            row.maxNodeBytesPerSecond.toFixed(0).padStart(11),
            '|',
            `${row.wallStart.toFixed(1)}/${row.wallTotal.toFixed(1)}`.padStart(10),
          ].join(' '),
        );
        writeCrash(rows);
      }
    }
  }
  writeCrashPlots(rows, sizes);
}

function writeCrash(rows: CrashRow[]): void {
  writeCsv(
    'sim-liveness-detection.csv',
    [
      'nodes',
      'loss',
      'seed',
      'crashed',
      'survivors',
      'detect_median_ms',
      'all_survivors_median_ms',
      'all_survivors_max_ms',
      'undetected_pairs',
      'all_dropped_max_ms',
      'victim_seen_live_again',
      'false_unreachable_before_crash',
      'lone_accusations_before_crash',
      'datagrams_per_node_s',
      'datagram_bytes_per_node_s',
      'stream_bytes_per_node_s',
      'max_node_bytes_s',
      'wall_start_s',
      'wall_total_s',
    ],
    rows.map((r) => [
      r.nodes,
      r.loss,
      r.seed,
      r.crashed,
      r.survivors,
      ms(r.medianMs),
      ms(r.allMedianMs),
      ms(r.allMaxMs),
      r.undetected,
      ms(r.droppedMaxMs),
      r.backToLive,
      r.falseUnreachable,
      r.loneAccusations,
      r.packetsPerNodeSecond.toFixed(2),
      r.bytesPerNodeSecond.toFixed(0),
      r.streamBytesPerNodeSecond.toFixed(0),
      r.maxNodeBytesPerSecond.toFixed(0),
      r.wallStart.toFixed(1),
      r.wallTotal.toFixed(1),
    ]),
  );
}

function writeCrashPlots(rows: CrashRow[], sizes: number[]): void {
  const mean = (loss: number, pick: (r: CrashRow) => number) =>
    sizes.map((n) => {
      const xs = rows.filter((r) => r.nodes === n && r.loss === loss).map(pick);
      return { x: n, y: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN };
    });
  writeFileSync(
    join(out, 'sim-liveness-detection.svg'),
    plot('Crash detection, ping ring (simulator, 100 ms rounds)', 'ms after the crash', [
      { name: 'median survivor, 0% loss', color: '#1f77b4', points: mean(0, (r) => r.medianMs) },
      { name: 'median survivor, 10% loss', color: '#d62728', points: mean(0.1, (r) => r.medianMs) },
      {
        name: 'all survivors, 0% loss',
        color: '#1f77b4',
        dashed: true,
        points: mean(0, (r) => r.allMaxMs),
      },
      {
        name: 'all survivors, 10% loss',
        color: '#d62728',
        dashed: true,
        points: mean(0.1, (r) => r.allMaxMs),
      },
      {
        name: 'target: all within 1.5 s',
        color: '#2ca02c',
        dashed: true,
        points: sizes.map((n) => ({ x: n, y: 1500 })),
      },
    ]),
  );
  writeFileSync(
    join(out, 'sim-liveness-traffic.svg'),
    plot('Steady traffic sent per node (simulator, 100 ms rounds)', 'bytes per node per second', [
      {
        name: 'datagrams, 0% loss',
        color: '#1f77b4',
        points: mean(0, (r) => r.bytesPerNodeSecond),
      },
      {
        name: 'datagrams, 10% loss',
        color: '#d62728',
        points: mean(0.1, (r) => r.bytesPerNodeSecond),
      },
      {
        name: 'streams, 0% loss',
        color: '#1f77b4',
        dashed: true,
        points: mean(0, (r) => r.streamBytesPerNodeSecond),
      },
      {
        name: 'streams, 10% loss',
        color: '#d62728',
        dashed: true,
        points: mean(0.1, (r) => r.streamBytesPerNodeSecond),
      },
    ]),
  );
  console.log(
    `wrote ${out}/sim-liveness-detection.csv, sim-liveness-detection.svg, sim-liveness-traffic.svg`,
  );
}

// --------------------------------------------- 2 + 3: false unreachable under loss

interface LossRow {
  nodes: number;
  loss: number;
  seed: number;
  minutes: number;
  falseUnreachable: number;
  /** Of those, in the first ONSET ms of loss (detectors still calibrated for a clean network). */
  falseAtOnset: number;
  subjects: number;
  durationMedianMs: number;
  durationMaxMs: number;
  loneAccusations: number;
  droppedDatagrams: number;
  detectMedianMs: number;
  detectAllMs: number;
  undetected: number;
  wall: number;
}

/**
 * N nodes converge on a clean network, then lose `loss` of every datagram
 * for `minutes` of virtual time (counted from the moment loss starts: the
 * detectors must learn it); then one node crashes under the same loss.
 */
async function lossRun(nodes: number, loss: number, seed: number, minutes: number) {
  const wall = Date.now();
  const sim = new Simulation({ seed, engine: { interval: INTERVAL }, recordEvents: false });
  const all = await startConverged(sim, nodes);
  await sim.runUntil(() => sim.converged(), { timeout: 30_000 });
  const dropsBefore = sim.network.dropped;
  sim.faults({ loss });
  const lossAt = sim.now();
  const alarms = watchFalseAlarms(sim);
  const accusations = accusationSampler(sim);
  const rounds = (minutes * 60_000) / INTERVAL;
  for (let r = 0; r < rounds; r++) {
    await sim.runRounds(1);
    accusations.sample();
  }
  alarms.stop(sim.now());
  const dropped = sim.network.dropped - dropsBefore;
  const victim = new Rng(seed ^ 0x10ad).sample(all, 1);
  const d = await timeCrash(sim, victim, { timeout: 60_000 });
  const problems = sim.problems();
  if (problems.length > 0) throw new Error(`loss ${loss}: ${problems.slice(0, 3).join('; ')}`);
  await sim.shutdown();
  const durations = alarms.durations.sort((a, b) => a - b);
  const row: LossRow = {
    nodes,
    loss,
    seed,
    minutes,
    falseUnreachable: alarms.events.length,
    falseAtOnset: alarms.events.filter((e) => e.at < lossAt + ONSET).length,
    subjects: new Set(alarms.events.map((e) => e.subject)).size,
    durationMedianMs: quantile(durations, 0.5),
    durationMaxMs: durations.length ? durations[durations.length - 1] : NaN,
    loneAccusations: accusations.count,
    droppedDatagrams: dropped,
    detectMedianMs: quantile(d.pairTimes, 0.5),
    detectAllMs: d.allUnreachable[0],
    undetected: d.undetected,
    wall: (Date.now() - wall) / 1000,
  };
  for (const e of alarms.events.slice(0, 10))
    console.log(
      `   false unreachable: ${e.node} held ${e.subject} unreachable ${Math.round(e.at - lossAt)} ms after the loss began (loss ${loss}, seed ${seed})`,
    );
  return row;
}

const LOSS_HEADER =
  'nodes  loss seed  min | false (onset)  subjects  lasted med/max (ms) | lone accusations  dropped | crash: median  all  undet | wall (s)';

function printLoss(row: LossRow): void {
  console.log(
    [
      String(row.nodes).padStart(5),
      `${row.loss * 100}%`.padStart(5),
      String(row.seed).padStart(4),
      String(row.minutes).padStart(4),
      '|',
      `${row.falseUnreachable} (${row.falseAtOnset})`.padStart(13),
      String(row.subjects).padStart(9),
      `${ms(row.durationMedianMs)}/${ms(row.durationMaxMs)}`.padStart(20),
      '|',
      String(row.loneAccusations).padStart(16),
      String(row.droppedDatagrams).padStart(8),
      '|',
      ms(row.detectMedianMs).padStart(13),
      ms(row.detectAllMs).padStart(5),
      String(row.undetected).padStart(6),
      '|',
      row.wall.toFixed(1).padStart(8),
    ].join(' '),
  );
}

function writeLoss(name: string, rows: LossRow[]): void {
  writeCsv(
    name,
    [
      'nodes',
      'loss',
      'seed',
      'virtual_minutes',
      'false_unreachable_events',
      'of_which_in_first_20s',
      'subjects',
      'lasted_median_ms',
      'lasted_max_ms',
      'lone_accusations',
      'dropped_datagrams',
      'crash_detect_median_ms',
      'crash_all_survivors_ms',
      'crash_undetected_pairs',
      'wall_s',
    ],
    rows.map((r) => [
      r.nodes,
      r.loss,
      r.seed,
      r.minutes,
      r.falseUnreachable,
      r.falseAtOnset,
      r.subjects,
      ms(r.durationMedianMs),
      ms(r.durationMaxMs),
      r.loneAccusations,
      r.droppedDatagrams,
      ms(r.detectMedianMs),
      ms(r.detectAllMs),
      r.undetected,
      r.wall.toFixed(1),
    ]),
  );
}

async function lossCurve(): Promise<void> {
  const minutes = Number(values.minutes);
  const losses = num(values.losses);
  const seeds = Number(values.seeds);
  console.log(
    `\n2. False unreachable vs loss: 10 nodes, ${minutes} virtual minutes from the onset of loss, then one crash`,
  );
  console.log(LOSS_HEADER);
  const rows: LossRow[] = [];
  for (const loss of losses) {
    for (let seed = 1; seed <= seeds; seed++) {
      const row = await lossRun(10, loss, seed, minutes);
      rows.push(row);
      printLoss(row);
      writeLoss('sim-liveness-loss.csv', rows);
    }
  }
  const mean = (pick: (r: LossRow) => number) =>
    losses.map((loss) => {
      const xs = rows.filter((r) => r.loss === loss).map(pick);
      return { x: loss, y: xs.reduce((a, b) => a + b, 0) / xs.length };
    });
  const axes = {
    logX: false,
    xLabel: 'datagram loss, every link',
    xTick: (x: number) => `${Math.round(x * 100)}%`,
  };
  writeFileSync(
    join(out, 'sim-liveness-loss.svg'),
    plot(
      `10 nodes under loss, ${minutes} virtual minutes each (simulator)`,
      'events',
      [
        {
          name: 'false unreachable events',
          color: '#d62728',
          points: mean((r) => r.falseUnreachable),
        },
        {
          name: 'lone accusations',
          color: '#ff7f0e',
          dashed: true,
          points: mean((r) => r.loneAccusations),
        },
      ],
      axes,
    ),
  );
  writeFileSync(
    join(out, 'sim-liveness-loss-detection.svg'),
    plot(
      'Crash detection under loss, 10 nodes (simulator)',
      'ms after the crash',
      [
        { name: 'median survivor', color: '#1f77b4', points: mean((r) => r.detectMedianMs) },
        {
          name: 'all survivors',
          color: '#1f77b4',
          dashed: true,
          points: mean((r) => r.detectAllMs),
        },
      ],
      axes,
    ),
  );
  console.log(
    `wrote ${out}/sim-liveness-loss.csv, sim-liveness-loss.svg, sim-liveness-loss-detection.svg`,
  );
}

async function longRun(): Promise<void> {
  const minutes = Number(values['long-minutes']);
  console.log(`\n3. One long run: 10 nodes, 50% loss, ${minutes} virtual minutes, then one crash`);
  console.log(LOSS_HEADER);
  const row = await lossRun(10, 0.5, 1, minutes);
  printLoss(row);
  writeLoss('sim-liveness-long.csv', [row]);
  console.log(`wrote ${out}/sim-liveness-long.csv`);
}

// ------------------------------------- 5: where detection time goes, and its curve

/** A node's detector of one subject, read from the engine (for the breakdown only). */
interface WatchedDetector {
  misses: number;
}
const watchedBy = (node: SimNode) =>
  (
    node.gossip as unknown as {
      core: { liveness: { prober: { watched(): ReadonlyMap<string, WatchedDetector> } } };
    }
  ).core.liveness.prober.watched();

/** One crashed node: when its observers missed, accused, and when each survivor held it unreachable. */
interface VictimTrace {
  id: string;
  /** Per observer at the crash: ms to its first miss, to its accusation, and the misses it took. */
  observers: { id: string; firstMiss: number; accused: number; misses: number }[];
  /** When a second node accused it (two agreeing observers make the verdict). */
  quorumAt: number;
  /** Per survivor, ms from the crash to its `unreachable` event, sorted. */
  unreachable: number[];
  survivors: number;
}

const STEP = 10;
/** Peers a fresh verdict is pushed to, recorded with the curve (it shapes its tail). */
const VERDICT_FANOUT = deriveTuning({
  interval: INTERVAL,
  nodeExpiry: 10_000,
  streamTimeout: 5000,
  phiThreshold: 8,
}).verdictFanout;

async function curveRun(nodes: number, loss: number, seed: number) {
  const wall = Date.now();
  const sim = new Simulation({
    seed,
    engine: { interval: INTERVAL, nodeExpiry: Number(values.expiry) },
    recordEvents: false,
  });
  const all = await startConverged(sim, nodes);
  sim.faults({ loss });
  const alarms = watchFalseAlarms(sim);
  await sim.runFor(Number(values.warmup));
  alarms.stop(sim.now());
  const traffic = trafficPerNodePerSecond(sim, all, sim.round - 10_000 / INTERVAL, sim.round);
  const victims = new Rng(seed ^ 0x11fe).sample(all, Math.min(Number(values.crash), nodes - 2));
  const victimIds = new Set(victims.map((v) => v.id));
  const survivors = all.filter((n) => !victimIds.has(n.id));
  const crashedAt = sim.now();
  const unreachableAt = new Map<string, number>();
  sim.onEvent((e) => {
    if (e.event.type !== 'unreachable' || !victimIds.has(e.event.nodeId)) return;
    const pair = `${e.node}>${e.event.nodeId}`;
    if (!victimIds.has(e.node) && !unreachableAt.has(pair))
      unreachableAt.set(pair, e.at - crashedAt);
  });
  const traces = victims.map((v) => {
    const observers = survivors.filter((s) => watchedBy(s).has(v.id));
    return {
      victim: v,
      observers: observers.map((o) => ({ node: o, firstMiss: NaN, accused: NaN, misses: 0 })),
      accusers: new Map<string, number>(),
    };
  });
  for (const v of victims) sim.crash(v.id);
  const pairs = survivors.length * victims.length;
  while (unreachableAt.size < pairs && sim.now() - crashedAt < 30_000) {
    await sim.runFor(STEP);
    const t = sim.now() - crashedAt;
    for (const trace of traces) {
      const key = ACCUSATION_PREFIX + trace.victim.id;
      for (const o of trace.observers) {
        const misses = watchedBy(o.node).get(trace.victim.id)?.misses ?? 0;
        if (Number.isNaN(o.firstMiss) && misses > 0) o.firstMiss = t;
        if (
          Number.isNaN(o.accused) &&
          ownRecord(o.node).internalKeys(ACCUSATION_PREFIX).includes(key)
        ) {
          o.accused = t;
          o.misses = misses;
        }
      }
      if (trace.accusers.size < 2)
        for (const s of survivors)
          if (
            !trace.accusers.has(s.id) &&
            ownRecord(s).internalKeys(ACCUSATION_PREFIX).includes(key)
          )
            trace.accusers.set(s.id, t);
    }
  }
  const problems = sim.problems();
  if (problems.length > 0) throw new Error(`N=${nodes}: ${problems.slice(0, 3).join('; ')}`);
  await sim.shutdown();
  const victimTraces: VictimTrace[] = traces.map((trace) => ({
    id: trace.victim.id,
    observers: trace.observers.map((o) => ({
      id: o.node.id,
      firstMiss: o.firstMiss,
      accused: o.accused,
      misses: o.misses,
    })),
    quorumAt: trace.accusers.size < 2 ? Infinity : Math.max(...trace.accusers.values()),
    unreachable: survivors
      .map((s) => unreachableAt.get(`${s.id}>${trace.victim.id}`) ?? Infinity)
      .sort((a, b) => a - b),
    survivors: survivors.length,
  }));
  return {
    victims: victimTraces,
    falseUnreachable: alarms.events.length,
    traffic,
    wall: (Date.now() - wall) / 1000,
  };
}

async function detectionCurves(): Promise<void> {
  const sizes = num(values.nodes);
  const losses = num(values['curve-losses']);
  console.log(
    `\n5. Where detection goes: interval ${INTERVAL} ms, ${values.crash} crashed after ${Number(values.warmup) / 1000} s of loss (ms after the crash; sampled every ${STEP} ms)`,
  );
  console.log(
    'nodes  loss seed victim | first miss  accused (misses)      | quorum | survivors: first  median  last | spread | false wall(s)',
  );
  const curveRows: (string | number)[][] = [];
  for (const nodes of sizes) {
    for (const loss of losses) {
      const runs = nodes >= 1000 ? Number(values['seeds-large']) : Number(values.seeds);
      for (let seed = 1; seed <= runs; seed++) {
        const run = await curveRun(nodes, loss, seed);
        const pairs = run.victims.flatMap((v) => v.unreachable).sort((a, b) => a - b);
        const lasts = run.victims.map((v) => v.unreachable[v.unreachable.length - 1]);
        console.log(
          `  N=${nodes} loss ${loss * 100}% seed ${seed}: median pair ${ms(quantile(pairs, 0.5))} ms, all survivors worst ${ms(Math.max(...lasts))} ms; before the crash ${run.falseUnreachable} false unreachable, ${run.traffic.packets.toFixed(1)} datagrams and ${run.traffic.bytes.toFixed(0)} bytes (+${run.traffic.streamBytes.toFixed(0)} stream) per node per second; wall ${run.wall.toFixed(0)} s`,
        );
        for (const v of run.victims) {
          const last = v.unreachable[v.unreachable.length - 1];
          console.log(
            [
              String(nodes).padStart(5),
              `${loss * 100}%`.padStart(5),
              String(seed).padStart(4),
              v.id.padStart(6),
              '|',
              v.observers
                .map((o) => ms(o.firstMiss))
                .join(',')
                .padStart(10),
              v.observers
                .map((o) => `${ms(o.accused)} (${o.misses})`)
                .join(', ')
                .padStart(21),
              '|',
              ms(v.quorumAt).padStart(6),
              '|',
              ms(v.unreachable[0]).padStart(16),
              ms(quantile(v.unreachable, 0.5)).padStart(7),
              ms(last).padStart(5),
              '|',
              ms(last - v.quorumAt).padStart(6),
              '|',
              String(run.falseUnreachable).padStart(5),
              run.wall.toFixed(0).padStart(7),
            ].join(' '),
          );
          const end = Number.isFinite(last) ? last : 30_000;
          for (let t = 0; t <= end + STEP; t += STEP) {
            const held = v.unreachable.filter((x) => x <= t).length;
            curveRows.push([
              nodes,
              loss,
              seed,
              VERDICT_FANOUT,
              v.id,
              t,
              (held / v.survivors).toFixed(4),
            ]);
          }
        }
        writeCsv(
          'sim-detection-curve.csv',
          [
            'nodes',
            'loss',
            'seed',
            'verdict_fanout',
            'victim',
            'ms_after_crash',
            'fraction_of_survivors_unreachable',
          ],
          curveRows,
        );
      }
    }
  }
  const rows = readCurveCsv(join(out, 'sim-detection-curve.csv'));
  for (const nodes of sizes) {
    const name = `sim-detection-curve-n${nodes}.svg`;
    writeFileSync(join(out, name), detectionCurveSvg(nodes, rows));
    console.log(`wrote ${out}/sim-detection-curve.csv, ${name}`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  if (parts.has('crash')) await crashCurve();
  if (parts.has('loss')) await lossCurve();
  if (parts.has('long')) await longRun();
  if (parts.has('curve')) await detectionCurves();
  console.log(`\ntotal wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
