import type { LinkConfig } from './link';
import { Rng } from './rng';
import type { SimNode } from './sim-node';
import type { SimEngineOptions } from './sim-options';
import { Simulation } from './simulation';
import type { TrafficCounters } from './traffic';

export interface ExperimentOptions {
  nodes: number;
  seed?: number;
  /** Faults applied once the cluster is up (joins run on a clean network). */
  link?: Partial<LinkConfig>;
  engine?: SimEngineOptions;
  bootstrap?: 'full' | 'sparse';
  /** Quiet rounds between start-up and the update. Default 5. */
  settleRounds?: number;
  /** Give up on the update after this many rounds. Default 300. */
  maxRounds?: number;
  /** Nodes crashed after the update spread, to time failure detection. Default 1; 0 skips. */
  crash?: number;
  /** Give up on detection after this many ms. Default 30000. */
  detectTimeout?: number;
  /** Progress lines (phase, wall ms). */
  log?: (line: string) => void;
}

export interface ExperimentResult {
  nodes: number;
  seed: number;
  /** Rounds from the write until every running node held it, or undefined when it never did. */
  roundsToConverge: number | undefined;
  /** Per round since the write: fraction of nodes holding the update (the writer counts from round 0). */
  curve: number[];
  /** Datagram bytes sent per node per round while the update spread (plus stream bytes, separately). */
  packetBytesPerNodePerRound: number;
  streamBytesPerNodePerRound: number;
  packetsPerNodePerRound: number;
  /** Failure detection: ms from the crash until each survivor marked a crashed node unreachable. */
  detection:
    { min: number; median: number; p99: number; max: number; undetected: number } | undefined;
  violations: number;
  engineErrors: number;
  wallMs: { start: number; spread: number; detect: number };
  virtualSeconds: number;
}

type Detection = ExperimentResult['detection'];

/**
 * The experiment behind the CLI and the scale test: start a cluster, write
 * one key on one node, count rounds until every node holds it, then crash
 * some nodes and time their detection.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => undefined);
  const sim = new Simulation({
    seed,
    engine: { interval: 100, nodeExpiry: 600_000, ...options.engine },
    recordEvents: false,
  });
  const pick = new Rng(seed ^ 0x5eed);
  const n = options.nodes;

  let wall = Date.now();
  const nodes = await sim.startCluster(n, { bootstrap: options.bootstrap ?? 'full' });
  sim.faults(options.link ?? {});
  await sim.runRounds(options.settleRounds ?? 5);
  const startWall = Date.now() - wall;
  log(`started ${n} nodes (${options.bootstrap ?? 'full'} view) in ${startWall} ms wall`);

  wall = Date.now();
  const writer = nodes[pick.int(n)];
  const spread = await measureSpread(sim, writer, n, options.maxRounds ?? 300);
  const { curve, roundsToConverge } = spread;
  const spreadWall = Date.now() - wall;
  log(
    `update ${roundsToConverge === undefined ? 'did not converge' : `converged in ${roundsToConverge} rounds`} (${spreadWall} ms wall)`,
  );

  wall = Date.now();
  const crashCount = Math.min(options.crash ?? 1, n - 2);
  const detection =
    crashCount > 0
      ? await measureDetection(
          sim,
          pick.sample(
            nodes.filter((x) => x !== writer),
            crashCount,
          ),
          nodes,
          options.detectTimeout ?? 30_000,
        )
      : undefined;
  const detectWall = Date.now() - wall;
  if (detection) log(`detection median ${detection.median} ms (${detectWall} ms wall)`);

  const perNode = (f: (r: TrafficCounters) => number) => perNodePerRound(spread.rounds, n, f);
  const result: ExperimentResult = {
    nodes: n,
    seed,
    roundsToConverge,
    curve,
    packetBytesPerNodePerRound: perNode((r) => r.packetBytesOut),
    streamBytesPerNodePerRound: perNode((r) => r.streamBytesOut),
    packetsPerNodePerRound: perNode((r) => r.packetsOut),
    detection,
    violations: sim.network.violations.length,
    engineErrors: sim.logs.filter((l) => l.level === 'error').length,
    wallMs: { start: startWall, spread: spreadWall, detect: detectWall },
    virtualSeconds: (sim.now() - sim.startTime) / 1000,
  };
  await sim.shutdown();
  return result;
}

/** One write on `writer`, then round by round until every node holds it (or `maxRounds`). */
async function measureSpread(
  sim: Simulation,
  writer: SimNode,
  n: number,
  maxRounds: number,
): Promise<{ curve: number[]; roundsToConverge: number | undefined; rounds: TrafficCounters[] }> {
  const holders = new Set<string>([writer.id]);
  sim.onEvent(({ node, event }) => {
    if (event.type === 'upsert-key' && event.nodeId === writer.id && event.key === 'sim-update')
      holders.add(node);
  });
  const writeRound = sim.round;
  const perRoundBefore = sim.network.perRound.length;
  writer.gossip.upsertLocal('sim-update', 'v1');
  const curve = [holders.size / n];
  while (holders.size < n && curve.length <= maxRounds) {
    await sim.runRounds(1);
    curve.push(holders.size / n);
  }
  return {
    curve,
    roundsToConverge: holders.size === n ? curve.length - 1 : undefined,
    // The traffic of the rounds the update took to spread.
    rounds: sim.network.perRound.slice(perRoundBefore, writeRound + curve.length),
  };
}

/** Crashes `victims`; times how long until each survivor suspects each, up to `timeout` ms. */
async function measureDetection(
  sim: Simulation,
  victims: SimNode[],
  nodes: SimNode[],
  timeout: number,
): Promise<Detection> {
  const victimIds = new Set(victims.map((v) => v.id));
  const survivors = nodes.filter((x) => !victimIds.has(x.id));
  const crashedAt = sim.now();
  const times: number[] = [];
  const seen = new Set<string>();
  sim.onEvent(({ at, node, event }) => {
    if (event.type !== 'unreachable' || !victimIds.has(event.nodeId) || victimIds.has(node)) return;
    const pair = `${node}>${event.nodeId}`;
    if (seen.has(pair)) return;
    seen.add(pair);
    times.push(Math.round(at - crashedAt));
  });
  for (const v of victims) sim.crash(v.id);
  const pairs = survivors.length * victims.length;
  while (seen.size < pairs && sim.now() - crashedAt < timeout) await sim.runRounds(1);
  return detectionStats(times, pairs);
}

/** Min, median, p99 and max of the detection times, and how many of `pairs` went undetected. */
function detectionStats(times: number[], pairs: number): Detection {
  if (times.length === 0) return undefined;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return {
    min: times[0],
    median: at(0.5),
    p99: at(0.99),
    max: times[times.length - 1],
    undetected: pairs - times.length,
  };
}

/** A per-round traffic figure summed over `rounds`, per node and per round. */
function perNodePerRound(
  rounds: TrafficCounters[],
  n: number,
  f: (r: TrafficCounters) => number,
): number {
  return rounds.reduce((a, r) => a + f(r), 0) / n / Math.max(1, rounds.length);
}
