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
// - Without the quorum guard, detection decides: a partitioned leader leads
//   until it notices, and the other side elects its own leader meanwhile.
//   With it, a leader holds the role only under a lease a majority renews
//   (leader-lease.ts), so the minority stands down before the majority
//   moves on. The staleness check makes a node that stopped running (a
//   pause) lead nothing until it has synced with a peer again. Nothing can
//   stop a process that is paused in the middle of its work: that is what
//   the fencing token is for.
import type { Clock } from '../vocabulary/clock';
import { type LeaderClaim, formatClaim, leaderKey } from './leader-claim';
import { BeatWatch, Lease } from './leader-lease';
import {
  type LeaderView,
  type LeadershipOptions,
  type SeenClaim,
  type Standing,
  candidatesOf,
  claimsOf,
  highestTerm,
  leaderOf,
  quorumOf,
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
  /**
   * Pulls the cluster's state now (a full sync with one live peer), after a
   * gap in this node's running: claims written meanwhile may not reach it by
   * gossip soon enough. Resolves true once done, or when there is no peer.
   */
  resync(): Promise<boolean>;
}

/** When a node must distrust its own view, and the lease of the quorum guard. */
export interface LeadershipTiming {
  /**
   * Rounds run farther apart than this mean the process stopped (a pause,
   * a long stall): the node leads nothing from then until it resynced.
   */
  staleAfter: number;
  /**
   * After such a gap, how long the node listens to peers before it may lead
   * again; a full sync with one of them must also have completed.
   */
  resyncFor: number;
  /** With the quorum guard: how long a confirmed beat lets the leader lead. */
  lease: number;
  /** With the quorum guard: how often the leader writes a beat. */
  beatEvery: number;
  /**
   * How long the claim of a node never yet seen alive holds a handover back
   * when its beats do not move: long enough for a joiner to see the live
   * leader alive, short enough that a joiner that learned of a dead
   * leader's claim does not wait for the record to expire.
   */
  pendingGrace: number;
  /**
   * With the quorum guard: how long a member that came back from
   * unreachable is not counted toward the quorum. Its entries here may
   * predate its return (it may have led meanwhile, on the other side of a
   * partition) until an exchange brings them: three rounds for one.
   */
  settle: number;
}

/**
 * Staleness: five rounds, far below the detection time (peers move on only
 * after that), far above a round's jitter and an ordinary event-loop stall;
 * five exchanges are enough to hear a newer claim. Lease: ten rounds, about
 * the detection time on a clean network, with a beat every three rounds, so
 * a beat and its echoes (a push each way) have three tries to come back.
 */
export function leadershipTiming(interval: number): LeadershipTiming {
  return {
    staleAfter: 5 * interval,
    resyncFor: 5 * interval,
    lease: 10 * interval,
    beatEvery: 3 * interval,
    pendingGrace: 30 * interval,
    settle: 3 * interval,
  };
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
  /** It took the role and has not given it up (the lease may still forbid acting on it). */
  holds: boolean;
  /** The term this node holds, or last held (0: never). */
  term: number;
  /** The claim last written, to write only changes. */
  written: string | undefined;
  lease: Lease;
  watch: BeatWatch;
  reported: LeadershipChange;
}

export class Leadership {
  private readonly roles = new Map<string, RoleState>();
  private readonly listeners = new Set<(change: LeadershipChange) => void>();
  private lastTick: number;
  private resyncUntil = -Infinity;
  /** Since the last gap, a full sync with a peer completed (true until a gap). */
  private resynced = true;
  private resyncing = false;
  private refreshing = false;
  /** How each member stood at the last refresh, and when those that came back from unreachable did. */
  private readonly standings = new Map<string, Standing | undefined>();
  private readonly returnedAt = new Map<string, number>();
  /** This node's view, with members that came back too lately left out of the quorum. */
  private readonly view: LeaderView;

  /** @internal Built by the engine: read it as `gossip.leadership`. */
  constructor(
    private readonly host: LeadershipHost,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly timing: LeadershipTiming,
  ) {
    this.lastTick = clock.now();
    this.view = {
      nodes: () => host.nodes(),
      standing: (id) => host.standing(id),
      value: (id, key) => host.value(id, key),
      settled: (id) => {
        const at = this.returnedAt.get(id);
        return at === undefined || this.clock.now() - at >= this.timing.settle;
      },
    };
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
      const state: RoleState = {
        options: { ...options },
        holds: false,
        term: highestTerm(this.host, role),
        written: undefined,
        lease: new Lease(this.timing.lease),
        watch: new BeatWatch(),
        reported: { role, leader: undefined, leading: false, token: undefined },
      };
      this.roles.set(role, state);
      this.claim(role, state, { leading: false, term: state.term, beat: 0 });
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
    return leaderOf(this.view, role, this.roles.get(role)?.options);
  }

  /**
   * True when this node holds `role` now, checked at the moment of the call:
   * false while its own view is stale (its rounds stopped for longer than
   * `staleAfter`, as in a pause, and it has not listened to peers since),
   * and with the quorum guard, once its lease ran out. Call it right before
   * the work the role guards.
   */
  isLeader(role: string): boolean {
    const state = this.roles.get(role);
    if (!state?.holds) return false;
    const now = this.clock.now();
    if (!this.trusted(now) || !this.host.ready()) return false;
    return state.options.expectedSize === undefined || now < this.leaseUntil(role, state);
  }

  /** The fencing token of the term this node holds for `role`, or undefined when it does not lead. */
  token(role: string): number | undefined {
    return this.isLeader(role) ? this.roles.get(role)?.term : undefined;
  }

  /** Where `role` stands on this node. */
  state(role: string): LeadershipChange {
    const token = this.token(role);
    return { role, leader: this.leader(role), leading: token !== undefined, token };
  }

  /** Calls `listener` whenever a role's leader, or this node's hold on it, changes. Returns an unsubscribe. */
  onChange(listener: (change: LeadershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Once a round, from the engine's round timer: notices gaps in its own running, renews beats. */
  tick(): void {
    const now = this.clock.now();
    if (now - this.lastTick > this.timing.staleAfter) {
      this.resyncUntil = now + this.timing.resyncFor;
      this.resynced = false;
    }
    this.lastTick = now;
    if (!this.resynced) this.pull();
    this.refresh();
  }

  /**
   * After a gap, a full sync with a peer before leading again: in a quiet
   * cluster, gossip alone may bring a claim written during the gap later
   * than `resyncFor`, and a term taken without it would repeat its token.
   * Tried again each round until one completes.
   */
  private pull(): void {
    if (this.resyncing || this.roles.size === 0) return;
    this.resyncing = true;
    this.host.resync().then(
      (done) => {
        this.resyncing = false;
        if (!done) return;
        this.resynced = true;
        this.refresh();
      },
      () => {
        this.resyncing = false;
      },
    );
  }

  /** After anything that may change the choice: membership, entries, leave, close. */
  refresh(): void {
    if (this.refreshing || this.roles.size === 0) return;
    this.refreshing = true;
    const changes: LeadershipChange[] = [];
    try {
      const now = this.clock.now();
      this.noteReturns(now);
      const trusted = this.trusted(now) && this.host.ready();
      for (const [role, state] of this.roles) {
        const leader = leaderOf(this.view, role, state.options);
        const claims = claimsOf(this.host, role, this.host.nodeId);
        state.watch.observe(claims, now);
        this.decide(role, state, trusted && leader === this.host.nodeId, claims, now);
        const leading = this.isLeader(role);
        const current = { role, leader, leading, token: leading ? state.term : undefined };
        if (!sameChange(current, state.reported)) {
          state.reported = current;
          changes.push(current);
        }
      }
    } finally {
      this.refreshing = false;
    }
    for (const change of changes) this.emit(change);
  }

  /** Notes the members that came back from unreachable since the last refresh (see `settle`). */
  private noteReturns(now: number): void {
    const seen = new Set<string>();
    for (const { id } of this.host.nodes()) {
      seen.add(id);
      const standing = this.host.standing(id);
      if (this.standings.get(id) === 'unreachable' && standing === 'live')
        this.returnedAt.set(id, now);
      this.standings.set(id, standing);
    }
    for (const id of this.standings.keys()) {
      if (seen.has(id)) continue;
      this.standings.delete(id);
      this.returnedAt.delete(id);
    }
    for (const [id, at] of this.returnedAt)
      if (now - at >= this.timing.settle) this.returnedAt.delete(id);
  }

  /** Takes, keeps or gives up one role, writing the claim so the others learn it. */
  private decide(
    role: string,
    state: RoleState,
    chosen: boolean,
    claims: SeenClaim[],
    now: number,
  ): void {
    const guarded = state.options.expectedSize !== undefined;
    const rivals = claims.filter((c) => c.claim.leading && this.blocks(c, state, now));
    if (state.holds) {
      // A rival with a higher term took the role while views disagreed: the older term yields.
      if (chosen && !rivals.some((r) => r.claim.term > state.term)) {
        const highest = highestTerm(this.host, role);
        if (highest > state.term) {
          // Another side led meanwhile (a partition without the guard): storage that
          // saw its token would refuse ours, so this node starts a newer term.
          state.term = highest + 1;
          const beat = state.lease.next(now);
          this.claim(role, state, { leading: true, term: state.term, beat });
        } else if (guarded && state.lease.due(now, this.timing.beatEvery)) {
          const beat = state.lease.next(now);
          this.claim(role, state, { leading: true, term: state.term, beat });
        }
        return;
      }
      state.holds = false;
      this.claim(role, state, { leading: false, term: state.term, beat: 0 });
    }
    if (chosen && rivals.length === 0) {
      state.term = Math.max(state.term, highestTerm(this.host, role)) + 1;
      state.holds = true;
      const beat = state.lease.next(now, state.watch.highest(this.host.nodeId));
      this.claim(role, state, { leading: true, term: state.term, beat });
      return;
    }
    if (guarded) this.echo(role, state, claims);
  }

  /**
   * Whether another member's leading claim still stands in the way: a live
   * member's does; a left one's never (it stopped before leaving); a pending
   * one's (never yet seen alive here, as right after a join: it may well be
   * leading) while its beats move or for `pendingGrace`; an unreachable
   * one's, with the quorum guard, until its lease surely ran out.
   */
  private blocks(seen: SeenClaim, state: RoleState, now: number): boolean {
    const quiet = now - state.watch.movedAt(seen.id, now);
    switch (seen.standing) {
      case 'live':
        return true;
      case 'left':
        return false;
      case 'pending':
        return quiet < Math.max(this.timing.pendingGrace, this.timing.lease);
      case 'unreachable':
        return state.options.expectedSize !== undefined && quiet < this.timing.lease;
    }
  }

  /** A standby candidate echoes the newest beat of the live leader with the highest term. */
  private echo(role: string, state: RoleState, claims: SeenClaim[]): void {
    let holder: SeenClaim | undefined;
    for (const c of claims) {
      if (!c.claim.leading || c.standing !== 'live') continue;
      if (!holder || c.claim.term > holder.claim.term) holder = c;
    }
    if (!holder) return;
    this.claim(role, state, {
      leading: false,
      term: state.term,
      beat: holder.claim.beat,
      echoes: holder.id,
    });
  }

  /** With the quorum guard: until when the echoes of a quorum of candidates let this node lead. */
  private leaseUntil(role: string, state: RoleState): number {
    const candidates = new Set(candidatesOf(this.host, role, state.options));
    const echoes: number[] = [];
    for (const c of claimsOf(this.host, role, this.host.nodeId)) {
      if (c.standing === 'live' && candidates.has(c.id) && c.claim.echoes === this.host.nodeId) {
        echoes.push(c.claim.beat);
      }
    }
    return state.lease.until(echoes, quorumOf(state.options.expectedSize as number) - 1);
  }

  private claim(role: string, state: RoleState, claim: LeaderClaim): void {
    const value = formatClaim(claim);
    if (value === state.written || !this.host.writable()) return;
    state.written = value;
    this.host.write(leaderKey(role), value);
  }

  /** The local process ran recently, and has listened long enough since its last gap, a full sync included. */
  private trusted(now: number): boolean {
    return (
      now - this.lastTick <= this.timing.staleAfter && now >= this.resyncUntil && this.resynced
    );
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
  const { filter } = options;
  if (
    filter !== undefined &&
    (typeof filter !== 'object' ||
      filter === null ||
      typeof filter.holding !== 'string' ||
      filter.holding.length === 0 ||
      (filter.value !== undefined && typeof filter.value !== 'string'))
  ) {
    throw new TypeError('filter must be { holding: non-empty string, value?: string }');
  }
  const size = options.expectedSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw new RangeError(`expectedSize must be an integer of at least 1 (got ${String(size)})`);
  }
}
