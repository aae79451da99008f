// The lease behind the quorum guard. Views change only when a failure
// detector decides, and the two sides of a partition do not decide at the
// same moment (the larger side has more observers and convicts sooner), so
// "the minority stands down when it notices" alone would overlap. Instead a
// guarded leader holds the role only while a quorum confirms it:
// - the leader writes a new beat every `beatEvery` (a counter in its claim);
// - every other candidate echoes the last beat it saw in its own claim;
// - the leader leads until `lease` after it wrote the newest beat that a
//   quorum (itself included) echoes: a leader cut off from the majority
//   stops within `lease` of its last confirmed beat, on its own clock;
// - a challenger ignores an unreachable leader's claim only once that
//   leader's beats (its own, or echoed by anyone) stopped changing `lease`
//   ago, on the challenger's clock.
// A confirmed beat was seen by a majority, and any majority shares a member
// with the challenger's side, so the challenger learns that beat no earlier
// than it was written, and waits out the lease from there. This needs clocks
// that run at the same rate (not synchronised ones) and the echo to reach
// the challenger within the lease; docs/leadership.md has what was measured.
import type { SeenClaim } from './leader-rule';

/** The leader's half: the beats it wrote, and when. */
export class Lease {
  private readonly writtenAt = new Map<number, number>();
  private last = 0;
  private lastAt = -Infinity;

  constructor(private readonly duration: number) {}

  /** The next beat, above `floor` (beats a former incarnation may have left in echoes). */
  next(now: number, floor = 0): number {
    this.last = Math.max(this.last, floor) + 1;
    this.lastAt = now;
    this.writtenAt.set(this.last, now);
    for (const [beat, at] of this.writtenAt) {
      // Too old to carry a lease past now.
      if (at + this.duration < now) this.writtenAt.delete(beat);
    }
    return this.last;
  }

  /** A new beat is due. */
  due(now: number, every: number): boolean {
    return now - this.lastAt >= every;
  }

  /**
   * Until when this node may lead: `duration` after it wrote the newest beat
   * that at least `needed` other candidates echo. Infinity when it needs no
   * one; -Infinity when too few echo a beat this node remembers.
   */
  until(echoes: number[], needed: number): number {
    if (needed <= 0) return Infinity;
    const known = echoes.filter((b) => this.writtenAt.has(b)).sort((a, b) => b - a);
    if (known.length < needed) return -Infinity;
    return (this.writtenAt.get(known[needed - 1]) as number) + this.duration;
  }
}

/** The challenger's half: when each holder's beats last moved, as seen here. */
export class BeatWatch {
  private readonly seen = new Map<string, { beat: number; at: number }>();

  /** Notes the newest beat of every holder named in `claims` (its own, or echoed). */
  observe(claims: SeenClaim[], now: number): void {
    const named = new Set<string>();
    const note = (id: string, beat: number) => {
      named.add(id);
      const prev = this.seen.get(id);
      if (!prev || beat > prev.beat) this.seen.set(id, { beat, at: now });
    };
    for (const { id, claim } of claims) {
      if (claim.leading) note(id, claim.beat);
      else if (claim.echoes !== undefined) note(claim.echoes, claim.beat);
    }
    for (const id of this.seen.keys()) if (!named.has(id)) this.seen.delete(id);
  }

  /** When `id`'s beats last moved (now, for a holder never seen before). */
  movedAt(id: string, now: number): number {
    return this.seen.get(id)?.at ?? now;
  }

  /** The highest beat echoed for `id`: a restarted node continues above it. */
  highest(id: string): number {
    return this.seen.get(id)?.beat ?? 0;
  }
}
