// Who leads a role, as one node's view sees it. Pure reads, like the rest of
// discovery: every node applies the same rule to what it holds, so nodes
// whose views agree name the same leader.
//
// The rule is rendezvous ownership of the role's name among its candidates
// (live members holding `leader:<role>`, optionally narrowed by a filter).
// Why rendezvous: it needs no election messages (the view is the ballot),
// it is what `discovery.owner` already computes, so a role and a job key behave the
// same, and a member joining or leaving moves a role only when that member
// wins or held it. Its cost: when a former leader comes back it wins again,
// so leadership returns to it (one extra handover, fenced like any other).
import type { NodeMetadata } from '../vocabulary/types';
import type { MemberFilter } from './discovery';
import { type LeaderClaim, leaderKey, parseClaim } from './leader-claim';
import { rendezvousOwner } from './ownership';

/** How a node sees another, for leadership: `pending` was never yet seen alive. */
export type Standing = 'live' | 'pending' | 'unreachable' | 'left';

/**
 * What the rule reads. Narrower than discovery's ClusterView on purpose:
 * the rule runs every round, so it reads single entries, never copies of
 * whole node states.
 */
export interface LeaderView {
  nodes(): NodeMetadata[];
  /** How this node sees `id` (undefined: no record). */
  standing(id: string): Standing | undefined;
  /** The value of `key` on node `id`, undefined when absent or deleted. */
  value(id: string, key: string): string | undefined;
  /**
   * Whether a live member counts toward the quorum guard: not one that came
   * back from unreachable a moment ago, whose entries here may be stale.
   * Absent: every live member counts.
   */
  settled?(id: string): boolean;
}

/** How one role chooses its leader. */
export interface LeadershipOptions {
  /**
   * The quorum guard. The number of candidates the role should have (the
   * nodes that run it, e.g. the replica count). A node that sees fewer
   * than a majority of them live (`floor(expectedSize / 2) + 1`, itself
   * included) names no leader and leads nothing, so the minority side of
   * a partition stands down. Leave it out and every side of a partition
   * elects its own leader.
   */
  expectedSize?: number;
  /** Only members holding this entry (and value) may lead. */
  filter?: MemberFilter;
}

/** The smallest number of live candidates that lets a node name a leader. */
export function quorumOf(expectedSize: number): number {
  return Math.floor(expectedSize / 2) + 1;
}

/** The live members that may lead `role`, sorted: holders of `leader:<role>`, narrowed by the filter. */
export function candidatesOf(
  view: LeaderView,
  role: string,
  options: LeadershipOptions = {},
): string[] {
  const key = leaderKey(role);
  const { filter } = options;
  const out: string[] = [];
  for (const meta of view.nodes()) {
    if (meta.status !== 'alive' || view.value(meta.id, key) === undefined) continue;
    if (filter && !passes(view.value(meta.id, filter.holding), filter)) continue;
    out.push(meta.id);
  }
  return out.sort();
}

function passes(value: string | undefined, filter: MemberFilter): boolean {
  return value !== undefined && (filter.value === undefined || value === filter.value);
}

/**
 * The leader of `role` in this view: the rendezvous owner of the role among
 * its candidates, or undefined when there is none or (with `expectedSize`)
 * fewer than a quorum of them are live.
 */
export function leaderOf(
  view: LeaderView,
  role: string,
  options: LeadershipOptions = {},
): string | undefined {
  const candidates = candidatesOf(view, role, options);
  if (options.expectedSize !== undefined) {
    const counted = view.settled ? candidates.filter((id) => view.settled?.(id)) : candidates;
    if (counted.length < quorumOf(options.expectedSize)) return undefined;
  }
  return rendezvousOwner(role, candidates);
}

/**
 * The highest term any known record claims for `role`, live or not (left
 * and unreachable records are kept until they expire, and their terms
 * count): a new term is one more than this.
 */
export function highestTerm(view: LeaderView, role: string): number {
  const key = leaderKey(role);
  let highest = 0;
  for (const meta of view.nodes()) {
    const value = view.value(meta.id, key);
    if (value !== undefined) highest = Math.max(highest, parseClaim(value).term);
  }
  return highest;
}

/** One member's claim for a role, with how this node sees that member. */
export interface SeenClaim {
  id: string;
  standing: Standing;
  claim: LeaderClaim;
}

/** The claims for `role` of every known member but `selfId` (left and unreachable ones included). */
export function claimsOf(view: LeaderView, role: string, selfId: string): SeenClaim[] {
  const key = leaderKey(role);
  const out: SeenClaim[] = [];
  for (const meta of view.nodes()) {
    if (meta.id === selfId) continue;
    const standing = view.standing(meta.id);
    if (standing === undefined) continue;
    const value = view.value(meta.id, key);
    if (value !== undefined) out.push({ id: meta.id, standing, claim: parseClaim(value) });
  }
  return out;
}
