/**
 * Simulated scaling curves: rounds for one update to reach every node, and
 * failure detection time, for growing N at 0% and 10% loss, on the
 * deterministic simulator (interval 100 ms, maxPacketSize 1400).
 *
 *   npm run bench:sim                # N = 10, 30, 100, 300, 1000
 *   npm run bench:sim -- --large     # also N = 2000 (about 6 GB of memory)
 *   npm run bench:sim -- --nodes 10,100 --seeds 3
 *   npm run bench:sim -- --replot    # redraw the SVGs from the CSV
 *
 * Writes bench/results/sim-scaling.csv, sim-rounds.svg and sim-detection.svg:
 * the measured rounds drawn against log2(N) and the push-pull bound
 * log3(N) + ln(ln(N)) (Karp et al., 2000).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runExperiment } from '../lib/sim';
import { plot } from './plot';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10,30,100,300,1000' },
    large: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results' },
    replot: { type: 'boolean', default: false },
  },
});

interface Row {
  nodes: number;
  loss: number;
  seed: number;
  rounds: number | undefined;
  detectMedianMs: number | undefined;
  detectMaxMs: number | undefined;
  bytesPerNodePerRound: number;
  wallSeconds: number;
}

async function main(): Promise<void> {
  if (values.replot) {
    // Redraw the plots from the last CSV without running anything.
    const rows = readFileSync(join(values.out, 'sim-scaling.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
      .map((c): Row => ({
        nodes: Number(c[0]),
        loss: Number(c[1]),
        seed: Number(c[2]),
        rounds: c[3] === '' ? undefined : Number(c[3]),
        detectMedianMs: c[6] === '' ? undefined : Number(c[6]),
        detectMaxMs: c[7] === '' ? undefined : Number(c[7]),
        bytesPerNodePerRound: Number(c[8]),
        wallSeconds: Number(c[9]),
      }));
    writePlots(rows, [...new Set(rows.map((r) => r.nodes))]);
    return;
  }
  const sizes = values.nodes.split(',').map(Number);
  if (values.large) sizes.push(2000);
  const seeds = Number(values.seeds);
  const rows: Row[] = [];
  console.log(
    'nodes  loss  seed  rounds  log2(N)  detect p50/max (ms)  bytes/node/round  wall (s)',
  );
  for (const nodes of sizes) {
    for (const loss of [0, 0.1]) {
      for (let seed = 1; seed <= seeds; seed++) {
        const started = Date.now();
        const r = await runExperiment({ nodes, seed, link: { loss }, crash: 1 });
        const row: Row = {
          nodes,
          loss,
          seed,
          rounds: r.roundsToConverge,
          detectMedianMs: r.detection?.median,
          detectMaxMs: r.detection?.max,
          bytesPerNodePerRound: r.packetBytesPerNodePerRound,
          wallSeconds: (Date.now() - started) / 1000,
        };
        if (r.violations > 0 || r.engineErrors > 0) {
          throw new Error(
            `N=${nodes}: ${r.violations} oversize datagrams, ${r.engineErrors} engine errors`,
          );
        }
        rows.push(row);
        console.log(
          [
            String(nodes).padStart(5),
            `${loss * 100}%`.padStart(5),
            String(seed).padStart(5),
            String(row.rounds ?? 'never').padStart(7),
            Math.log2(nodes).toFixed(1).padStart(8),
            `${row.detectMedianMs ?? '-'}/${row.detectMaxMs ?? '-'}`.padStart(20),
            row.bytesPerNodePerRound.toFixed(0).padStart(17),
            row.wallSeconds.toFixed(1).padStart(9),
          ].join(' '),
        );
      }
    }
  }
  mkdirSync(values.out, { recursive: true });
  const csv = [
    'nodes,loss,seed,rounds,log2_n,push_pull_bound,detect_median_ms,detect_max_ms,bytes_per_node_per_round,wall_s',
    ...rows.map((r) =>
      [
        r.nodes,
        r.loss,
        r.seed,
        r.rounds ?? '',
        Math.log2(r.nodes).toFixed(2),
        pushPullBound(r.nodes).toFixed(2),
        r.detectMedianMs ?? '',
        r.detectMaxMs ?? '',
        r.bytesPerNodePerRound.toFixed(0),
        r.wallSeconds.toFixed(1),
      ].join(','),
    ),
  ].join('\n');
  writeFileSync(join(values.out, 'sim-scaling.csv'), csv + '\n');
  writePlots(rows, sizes);
}

function writePlots(rows: Row[], sizes: number[]): void {
  const mean = (loss: number, pick: (r: Row) => number | undefined) =>
    sizes.map((n) => {
      const xs = rows.filter((r) => r.nodes === n && r.loss === loss).map(pick);
      const got = xs.filter((x): x is number => x !== undefined);
      return { x: n, y: got.length ? got.reduce((a, b) => a + b, 0) / got.length : NaN };
    });
  writeFileSync(
    join(values.out, 'sim-rounds.svg'),
    plot('Rounds for one update to reach every node (simulator, 100 ms rounds)', 'rounds', [
      { name: 'measured, 0% loss', color: '#1f77b4', points: mean(0, (r) => r.rounds) },
      { name: 'measured, 10% loss', color: '#d62728', points: mean(0.1, (r) => r.rounds) },
      {
        name: 'log2(N)',
        color: '#7f7f7f',
        dashed: true,
        points: sizes.map((n) => ({ x: n, y: Math.log2(n) })),
      },
      {
        name: 'push-pull: log3 N + ln ln N',
        color: '#2ca02c',
        dashed: true,
        points: sizes.map((n) => ({ x: n, y: pushPullBound(n) })),
      },
    ]),
  );
  writeFileSync(
    join(values.out, 'sim-detection.svg'),
    plot('Crash detection: median survivor marks it unreachable (simulator)', 'ms', [
      { name: 'median, 0% loss', color: '#1f77b4', points: mean(0, (r) => r.detectMedianMs) },
      { name: 'median, 10% loss', color: '#d62728', points: mean(0.1, (r) => r.detectMedianMs) },
      {
        name: 'slowest, 0% loss',
        color: '#1f77b4',
        dashed: true,
        points: mean(0, (r) => r.detectMaxMs),
      },
      {
        name: 'slowest, 10% loss',
        color: '#d62728',
        dashed: true,
        points: mean(0.1, (r) => r.detectMaxMs),
      },
    ]),
  );
  console.log(`wrote ${values.out}/sim-scaling.csv, sim-rounds.svg, sim-detection.svg`);
}

/** Rounds push-pull gossip needs to reach N nodes: log3(N) + O(ln ln N). */
function pushPullBound(n: number): number {
  return Math.log(n) / Math.log(3) + Math.log(Math.max(Math.log(n), 1));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
