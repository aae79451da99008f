/**
 * The detection curve: for each crashed node, the fraction of survivors
 * holding it unreachable against time after the crash, from the rows of
 * bench/results/sim-detection-curve.csv (written by `npm run bench:liveness
 * -- --part curve`). Also a command that redraws the SVG from that CSV:
 *
 *   node .bench-build/bench/detection-curve.js bench/results/sim-detection-curve.csv 1000
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Series, plot } from './plot';

export interface CurveRow {
  nodes: number;
  loss: number;
  seed: number;
  /** Peers a fresh verdict was pushed to (the engine's verdictFanout when it ran). */
  fanout: number;
  victim: string;
  ms: number;
  fraction: number;
}

const COLORS = ['#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'];
const TARGET_MS = 1500;

/** One line per (loss, fanout, seed, victim), one colour per (loss, fanout); the 1.5 s target as a vertical line. */
export function detectionCurveSvg(nodes: number, rows: CurveRow[]): string {
  const mine = rows.filter((r) => r.nodes === nodes);
  const groups = [...new Set(mine.map((r) => `${r.loss} ${r.fanout}`))];
  const lines = new Map<string, Series>();
  let end = TARGET_MS;
  for (const r of mine) {
    const key = `${r.loss} ${r.fanout} ${r.seed} ${r.victim}`;
    let line = lines.get(key);
    if (!line) {
      const color = COLORS[groups.indexOf(`${r.loss} ${r.fanout}`) % COLORS.length];
      const n = [...lines.values()].filter((l) => l.color === color).length;
      line = {
        name: `${r.loss * 100}% loss, fanout ${r.fanout}, ${r.victim}${r.seed > 1 ? ` seed ${r.seed}` : ''}`,
        color,
        dashed: n % 2 === 1,
        markers: false,
        points: [],
      };
      lines.set(key, line);
    }
    line.points.push({ x: r.ms, y: r.fraction });
    end = Math.max(end, r.ms);
  }
  const ticks: number[] = [];
  for (let t = 0; t <= end; t += 250) ticks.push(t);
  return plot(
    `Survivors holding a crashed node unreachable, N = ${nodes} (simulator, 100 ms rounds)`,
    'fraction of survivors',
    [
      ...lines.values(),
      {
        name: 'target: all within 1.5 s',
        color: '#7f7f7f',
        dashed: true,
        points: [
          { x: TARGET_MS, y: 0 },
          { x: TARGET_MS, y: 1 },
        ],
      },
    ],
    { logX: false, xLabel: 'ms after the crash', xTicks: ticks },
  );
}

/** Reads the CSV written by the curve part. */
export function readCurveCsv(path: string): CurveRow[] {
  const [, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [nodes, loss, seed, fanout, victim, ms, fraction] = line.split(',');
    return {
      nodes: Number(nodes),
      loss: Number(loss),
      seed: Number(seed),
      fanout: Number(fanout),
      victim,
      ms: Number(ms),
      fraction: Number(fraction),
    };
  });
}

if (require.main === module) {
  const [csv, nodes] = process.argv.slice(2);
  const name = join(dirname(csv), `sim-detection-curve-n${nodes}.svg`);
  writeFileSync(name, detectionCurveSvg(Number(nodes), readCurveCsv(csv)));
  console.log(`wrote ${name}`);
}
