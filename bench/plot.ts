/** Small self-contained SVG line charts for the simulator benchmarks (no dependency). */

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  /** A dot at each point of a solid line (default true; off for dense curves). */
  markers?: boolean;
  points: { x: number; y: number }[];
}

export interface Axes {
  /** Label under the x axis. Default: nodes (N, log scale). */
  xLabel?: string;
  /** Logarithmic x axis (cluster sizes) or linear (loss rates). Default log. */
  logX?: boolean;
  /** Format of an x tick. Default: the number. */
  xTick?: (x: number) => string;
  /** Where to put x ticks. Default: at every x of the data. */
  xTicks?: number[];
}

/** A line chart with a logarithmic (or linear) x axis and a linear y axis from 0. */
export function plot(title: string, yLabel: string, series: Series[], axes: Axes = {}): string {
  const logX = axes.logX ?? true;
  const xLabel = axes.xLabel ?? 'nodes (N, log scale)';
  const xTick = axes.xTick ?? ((x: number) => String(x));
  const fx = (x: number) => (logX ? Math.log10(x) : x);
  const [w, h, left, right, top, bottom] = [760, 420, 70, 250, 40, 50];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const [x0, x1] = [fx(Math.min(...xs)), fx(Math.max(...xs))];
  const yMax = niceCeil(Math.max(...ys, 1));
  const px = (x: number) => left + ((fx(x) - x0) / Math.max(x1 - x0, 1e-9)) * (w - left - right);
  const py = (y: number) => h - bottom - (y / yMax) * (h - top - bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${title}</text>`,
    `<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="black"/>`,
    `<text x="${(left + w - right) / 2}" y="${h - 12}" text-anchor="middle">${xLabel}</text>`,
    `<text x="16" y="${(top + h - bottom) / 2}" transform="rotate(-90 16 ${(top + h - bottom) / 2})" text-anchor="middle">${yLabel}</text>`,
  ];
  for (const x of axes.xTicks ?? [...new Set(xs)]) {
    out.push(`<text x="${px(x)}" y="${h - bottom + 16}" text-anchor="middle">${xTick(x)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    out.push(`<line x1="${left}" y1="${py(y)}" x2="${w - right}" y2="${py(y)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end">${+y.toFixed(1)}</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of s.dashed || s.markers === false ? [] : pts)
      out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.color}"/>`);
    const ly = top + 10 + i * 20;
    out.push(
      `<line x1="${w - right + 15}" y1="${ly}" x2="${w - right + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${w - right + 45}" y="${ly + 4}">${s.name}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
