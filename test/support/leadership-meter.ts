import type { Simulation } from '../../lib/sim';

/** What a stretch of simulated time looked like for one role. */
export interface LeadershipFigures {
  /** Virtual ms during which two or more running nodes both held the role. */
  overlap: number;
  /** Virtual ms during which no running node held it. */
  gap: number;
  /** Every node that held it at some sample. */
  holders: Set<string>;
  /** Fencing tokens seen, in order of first appearance. */
  tokens: number[];
}

/**
 * Runs the simulation for `ms`, asking every running node every `step` ms
 * whether it holds `role` right now (`isLeader`, the check a job makes
 * before it runs). Crashed and closed nodes are not asked: they run nothing.
 * A paused node is asked too: its check sees its own staleness.
 */
export async function meter(
  sim: Simulation,
  role: string,
  ms: number,
  { step = 10, among }: { step?: number; among?: () => string[] } = {},
): Promise<LeadershipFigures> {
  const figures: LeadershipFigures = { overlap: 0, gap: 0, holders: new Set(), tokens: [] };
  const end = sim.now() + ms;
  while (sim.now() < end) {
    await sim.runFor(step);
    const ids =
      among?.() ??
      sim.all.filter((n) => n.status === 'running' || n.status === 'paused').map((n) => n.id);
    const leading = ids.filter((id) => sim.gossip(id).leadership.isLeader(role));
    if (leading.length > 1) figures.overlap += step;
    if (leading.length === 0) figures.gap += step;
    for (const id of leading) {
      figures.holders.add(id);
      const token = sim.gossip(id).leadership.token(role) as number;
      if (!figures.tokens.includes(token)) figures.tokens.push(token);
    }
  }
  return figures;
}

/** One line for the docs' table. */
export function describeFigures(label: string, f: LeadershipFigures): string {
  return `${label}: overlap ${f.overlap} ms, gap ${f.gap} ms, holders ${[...f.holders].join(',')}, tokens ${f.tokens.join(',')}`;
}
