import type { RingMember } from './monitoring-ring';

/**
 * What a node's observers say of it, on the evidence each gossips: an
 * observer that suspects it publishes an accusation (see liveness docs).
 * `unknown`: no reachable observer is left to judge (keep what we had).
 */
export type Verdict = 'reachable' | 'unreachable' | 'unknown';

/**
 * Votes needed among `voters` reachable observers: all of them up to two,
 * then a majority. One observer with a bad link (it cannot hear answers)
 * accuses everyone it watches; a majority keeps that from being the
 * cluster's view, while a dead node, which every observer accuses, is
 * judged as soon as most of them have seen it.
 */
export function quorum(voters: number): number {
  return voters <= 2 ? voters : Math.floor(voters / 2) + 1;
}

/**
 * The cluster's judgement of one node, as every node computes it from the
 * same gossiped accusations: only observers we hold reachable vote (an
 * unreachable observer's old words no longer count), and the node is
 * unreachable when a quorum of them accuse it. Also returns which voters
 * accuse (they convict the node when it is `unreachable`).
 */
export function tally(
  observers: RingMember[],
  accuses: (observerId: string) => boolean,
): { verdict: Verdict; accusers: string[] } {
  let voters = 0;
  const accusers: string[] = [];
  for (const o of observers) {
    if (!o.reachable) continue;
    voters++;
    if (accuses(o.id)) accusers.push(o.id);
  }
  if (voters === 0) return { verdict: 'unknown', accusers };
  return { verdict: accusers.length >= quorum(voters) ? 'unreachable' : 'reachable', accusers };
}
