// One node's part in leadership: for each role it campaigns for, it takes
// the role when the rule (leader-rule.ts) names it and no other member
// still claims it, and gives it up when the rule names someone else. No
// messages of its own: claims are entries, gossiped like any other.
//
// The guarantee, and its limits (docs/leadership.md has the measurements):
// - Agreeing views name one leader. A new leader also waits until the
//   previous one says it stopped, or is seen gone (left, unreachable), so a
//   handover between live nodes leaves a gap of about a round, not an overlap.
// - Each term is one more than the highest term this node has seen, so a
//   term taken after seeing the previous one is larger: the fencing token.
//   Two nodes that never saw each other's claim (both sides of a partition
//   without the quorum guard, or a leader cut off before its claim spread)
//   can take the same number. Storage should refuse tokens lower than the
//   highest it accepted.
// - Detection is not instant: a partitioned or paused leader keeps leading
//   until it notices, while the others may already have moved on. The
//   quorum guard makes the minority stand down; the staleness check makes a
//   node that stopped running (a pause) lead nothing until it has listened
//   again; neither can beat the clock of a process that is stopped right now.
import type { Clock } from '../vocabulary/clock';
import { formatClaim, leaderKey } from './leader-claim';
import {
  type LeaderView,
  type LeadershipOptions,
  highestTerm,
  leaderOf,
  rivalClaims,
} from './leader-rule';

/** What leadership needs from the engine: the view, and a way to write its own entries. */
export interface LeadershipHost extends LeaderView {
  readonly nodeId: string;
  /** Joined and neither left nor closed: a node leads nothing before its view holds the cluster. */
  ready(): boolean;
  /** Not left and not closed: its own entries can still change. */
  writable(): boolean;
  /** Writes one of this node's own entries (no leadership re-check). */
  write(key: string, value: string): void;
  /** Deletes one of this node's own entries. */
  remove(key: string): void;
  /** A change listener threw. */
  warn(message: string): void;
}

/** When a node must distrust its own view. */
export interface LeadershipTiming {
  /**
   * Rounds run farther apart than this mean the process stopped (a pause,
   * a long stall): the node leads nothing from then until it resynced.
   */
  staleAfter: number;
  /** After such a gap, how long the node listens to peers before it may lead again. */
  resyncFor: number;
}

/**
 * Five rounds for both: far below the detection time (peers move on only
 * after that), far above a round's jitter and an ordinary event-loop stall,
 * and five exchanges are enough to hear a newer claim from any peer.
 */
export function leadershipTiming(interval: number): LeadershipTiming {
  return { staleAfter: 5 * interval, resyncFor: 5 * interval };
}

/** Where a role stands on this node; what change listeners receive. */
export interface LeadershipChange {
  role: string;
  /** Who leads in this node's view (undefined: no candidate, or no quorum). */
  leader: string | undefined;
  /** This node holds the role now. */
  leading: boolean;
  /** The fencing token of this node's term while it leads, else undefined. */
  token: number | undefined;
}

interface RoleState {
  options: LeadershipOptions;
  leading: boolean;
  /** The term this node holds, or last held (0: never). */
  term: number;
  reported: LeadershipChange;
}

export class Leadership {
  private readonly roles = new Map<string, RoleState>();
  private readonly listeners = new Set<(change: LeadershipChange) => void>();
  private lastTick: number;
  private resyncUntil = -Infinity;
  private refreshing = false;

  constructor(
    private readonly host: LeadershipHost,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly timing: LeadershipTiming,
  ) {
    this.lastTick = clock.now();
  }

  /**
   * Makes this node a candidate for `role` (again: new options replace the
   * old). It writes `leader:<role>`, which is how the others learn it.
   */
  campaign(role: string, options: LeadershipOptions = {}): void {
    checkRole(role);
    checkOptions(options);
    const existing = this.roles.get(role);
    if (existing) {
      existing.options = { ...options };
    } else {
      const term = highestTerm(this.host, role);
      const reported: LeadershipChange = {
        role,
        leader: undefined,
        leading: false,
        token: undefined,
      };
      this.roles.set(role, { options: { ...options }, leading: false, term, reported });
      if (this.host.writable())
        this.host.write(leaderKey(role), formatClaim({ leading: false, term }));
    }
    this.refresh();
  }

  /** Stops being a candidate for `role` (and stops leading it): its entry is deleted. */
  resign(role: string): void {
    const state = this.roles.get(role);
    if (!state) return;
    this.roles.delete(role);
    if (this.host.writable()) this.host.remove(leaderKey(role));
    if (state.reported.leading) this.emit({ ...state.reported, leading: false, token: undefined });
  }

  /** The roles this node campaigns for. */
  campaigns(): string[] {
    return [...this.roles.keys()].sort();
  }

  /**
   * Who leads `role` in this node's view: the rule's choice among the live
   * candidates (with this node's quorum guard if it campaigns for the role).
   * The choice may still be waiting for the previous leader to stand down.
   */
  leader(role: string): string | undefined {
    checkRole(role);
    return leaderOf(this.host, role, this.roles.get(role)?.options);
  }

  /**
   * True when this node holds `role` now, checked at the moment of the call:
   * false while its own view is stale (its rounds stopped for longer than
   * `staleAfter`, as in a pause, and it has not listened to peers since).
   * Call it right before the work the role guards.
   */
  isLeader(role: string): boolean {
    const state = this.roles.get(role);
    return !!state?.leading && this.trusted(this.clock.now());
  }

  /** The fencing token of the term this node holds for `role`, or undefined when it does not lead. */
  token(role: string): number | undefined {
    return this.isLeader(role) ? this.roles.get(role)?.term : undefined;
  }

  /** Where `role` stands on this node. */
  state(role: string): LeadershipChange {
    const leading = this.isLeader(role);
    return {
      role,
      leader: this.leader(role),
      leading,
      token: leading ? this.token(role) : undefined,
    };
  }

  /** Calls `listener` whenever a role's leader, or this node's hold on it, changes. Returns an unsubscribe. */
  onChange(listener: (change: LeadershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Once a round, from the engine's round timer: notices gaps in its own running. */
  tick(): void {
    const now = this.clock.now();
    if (now - this.lastTick > this.timing.staleAfter) {
      this.resyncUntil = now + this.timing.resyncFor;
    }
    this.lastTick = now;
    this.refresh();
  }

  /** After anything that may change the choice: membership, entries, leave, close. */
  refresh(): void {
    if (this.refreshing || this.roles.size === 0) return;
    this.refreshing = true;
    const changes: LeadershipChange[] = [];
    try {
      const trusted = this.trusted(this.clock.now()) && this.host.ready();
      for (const [role, state] of this.roles) {
        const leader = leaderOf(this.host, role, state.options);
        this.decide(role, state, trusted && leader === this.host.nodeId);
        const now: LeadershipChange = {
          role,
          leader,
          leading: state.leading,
          token: state.leading ? state.term : undefined,
        };
        if (!sameChange(now, state.reported)) {
          state.reported = now;
          changes.push(now);
        }
      }
    } finally {
      this.refreshing = false;
    }
    for (const change of changes) this.emit(change);
  }

  /** Takes or gives up one role, writing the claim so the others learn it. */
  private decide(role: string, state: RoleState, chosen: boolean): void {
    const rivals = rivalClaims(this.host, role, this.host.nodeId);
    if (state.leading) {
      // A rival with a higher term took the role while views disagreed: the older term yields.
      const outranked = rivals.some((r) => r.term > state.term);
      if (chosen && !outranked) return;
      state.leading = false;
      if (this.host.writable())
        this.host.write(leaderKey(role), formatClaim({ leading: false, term: state.term }));
      return;
    }
    if (!chosen || rivals.length > 0) return;
    state.term = Math.max(state.term, highestTerm(this.host, role)) + 1;
    state.leading = true;
    this.host.write(leaderKey(role), formatClaim({ leading: true, term: state.term }));
  }

  /** The local process ran recently, and has listened long enough since its last gap. */
  private trusted(now: number): boolean {
    return now - this.lastTick <= this.timing.staleAfter && now >= this.resyncUntil;
  }

  private emit(change: LeadershipChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.host.warn(`leadership listener threw: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }
}

function sameChange(a: LeadershipChange, b: LeadershipChange): boolean {
  return a.leader === b.leader && a.leading === b.leading && a.token === b.token;
}

function checkRole(role: unknown): asserts role is string {
  if (typeof role !== 'string' || role.length === 0) {
    throw new TypeError(`role must be a non-empty string (got ${JSON.stringify(role)})`);
  }
}

function checkOptions(options: LeadershipOptions): void {
  const size = options.expectedSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw new RangeError(`expectedSize must be an integer of at least 1 (got ${String(size)})`);
  }
}
