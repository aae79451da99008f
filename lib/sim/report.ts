/** The convergence curve as CSV: round, fraction of nodes holding the update. */
export function curveCsv(curve: number[]): string {
  return ['round,fraction', ...curve.map((f, r) => `${r},${f.toFixed(6)}`)].join('\n') + '\n';
}

/** The convergence curve as a small self-contained SVG line chart. */
export function curveSvg(curve: number[], title: string): string {
  const width = 640;
  const height = 360;
  const m = { left: 56, right: 20, top: 40, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const rounds = Math.max(1, curve.length - 1);
  const x = (r: number) => m.left + (r / rounds) * plotW;
  const y = (f: number) => m.top + (1 - f) * plotH;
  const points = curve.map((f, r) => `${x(r).toFixed(1)},${y(f).toFixed(1)}`).join(' ');
  const xTicks: string[] = [];
  const step = Math.max(1, Math.ceil(rounds / 10));
  for (let r = 0; r <= rounds; r += step) {
    xTicks.push(
      `<line x1="${x(r)}" y1="${m.top + plotH}" x2="${x(r)}" y2="${m.top + plotH + 5}" stroke="#333"/>` +
        `<text x="${x(r)}" y="${m.top + plotH + 18}" text-anchor="middle">${r}</text>`,
    );
  }
  const yTicks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const f = i / 4;
    yTicks.push(
      `<line x1="${m.left}" y1="${y(f)}" x2="${m.left + plotW}" y2="${y(f)}" stroke="#ddd"/>` +
        `<text x="${m.left - 8}" y="${y(f) + 4}" text-anchor="end">${f.toFixed(2)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="${width}" height="${height}" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<line x1="${m.left}" y1="${m.top + plotH}" x2="${m.left + plotW}" y2="${m.top + plotH}" stroke="#333"/>
<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + plotH}" stroke="#333"/>
<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${points}"/>
<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">gossip round after the write</text>
<text x="16" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + plotH / 2})">fraction of nodes holding the update</text>
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
