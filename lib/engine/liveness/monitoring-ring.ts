import { hash64 } from '../vocabulary/hash';
import type { NodeRecord } from '../state/node-record';

const { imul } = Math;

/**
 * Where a node sits on the ring: FNV of its id, then an avalanche mix, so
 * ids that differ in one character (node-1, node-2...) land far apart: a
 * partition or a rack then cuts the ring into short runs, and each is
 * judged within a few rounds.
 */
export function ringPosition(id: string): number {
  let position = positions.get(id);
  if (position === undefined) {
    if (positions.size >= MAX_CACHED_POSITIONS) positions.clear();
    position = mix(id);
    positions.set(id, position);
  }
  return position;
}

/** Positions already computed: the ring is rebuilt on every membership change, on every node. */
const positions = new Map<string, number>();
const MAX_CACHED_POSITIONS = 100_000;

function mix(id: string): number {
  const h = hash64(id);
  let x = (h.hi ^ imul(h.lo, 0x9e3779b1)) >>> 0;
  x = imul(x ^ (x >>> 16), 0x85ebca6b);
  x = imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A member as the ring sees it: left nodes are not members. */
export interface RingMember {
  id: string;
  /** False for a node we hold unreachable (or have not yet seen alive): it is watched, but judges no one. */
  reachable: boolean;
}

/** A record as a ring member: a live view (reachable while we hold it alive), one per record. */
class RecordMember implements RingMember {
  constructor(private readonly record: NodeRecord) {}

  get id(): string {
    return this.record.id;
  }

  get reachable(): boolean {
    return this.record.vitals.status === 'alive';
  }
}

/** Kept per record object: the ring is rebuilt on every membership change, on every node. */
const members = new WeakMap<NodeRecord, RecordMember>();

export function ringMemberOf(record: NodeRecord): RingMember {
  let member = members.get(record);
  if (!member) {
    member = new RecordMember(record);
    members.set(record, member);
  }
  return member;
}

/**
 * Who watches whom. Members sit on a ring in the order of a hash of their id
 * (the same order on every node that knows the same members). A node pings
 * the members that follow it until it has passed `k` reachable ones, and
 * every unreachable member in between, so that a node held unreachable is
 * still watched and can be seen alive again (as in Akka's heartbeat ring).
 * Read backwards, a member's observers are the nodes before it up to its
 * `k`-th reachable predecessor. Each node watches about `k` others and is
 * watched by about `k`, whatever the size of the cluster.
 */
export class MonitoringRing {
  /** Members in ring order: by position, then id. */
  private readonly order: Array<{ member: RingMember; position: number }>;

  constructor(
    members: Iterable<RingMember>,
    private readonly k: number,
  ) {
    this.order = [...members].map((member) => ({ member, position: ringPosition(member.id) }));
    this.order.sort((a, b) => before(a.position, a.member.id, b.position, b.member.id));
  }

  /**
   * Puts a new member in its place (or replaces the member with its id):
   * a node learned of changes the ring by one, and every node learns of
   * every joiner, so this is cheaper than building the ring again.
   */
  add(member: RingMember): void {
    const position = ringPosition(member.id);
    const at = this.lowerBound(position, member.id);
    const found = this.order[at];
    if (found && found.member.id === member.id) found.member = member;
    else this.order.splice(at, 0, { member, position });
  }

  /** The members `id` pings: forward to its k-th reachable successor, the unreachable ones between included. */
  subjectsOf(id: string): string[] {
    const at = this.indexOf(id);
    if (at === undefined) return [];
    return this.walkMembers(at, 1).map((m) => m.id);
  }

  /** The members that ping `id`: backward to its k-th reachable predecessor, unreachable ones included. */
  observersOf(id: string): RingMember[] {
    const at = this.indexOf(id);
    if (at === undefined) return [];
    return this.walkMembers(at, -1);
  }

  private indexOf(id: string): number | undefined {
    const at = this.lowerBound(ringPosition(id), id);
    return this.order[at]?.member.id === id ? at : undefined;
  }

  /** The first index whose member does not come before (position, id). */
  private lowerBound(position: number, id: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.order[mid];
      if (before(m.position, m.member.id, position, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private walkMembers(at: number, step: 1 | -1): RingMember[] {
    const n = this.order.length;
    const out: RingMember[] = [];
    let reachable = 0;
    for (let i = 1; i < n && reachable < this.k; i++) {
      const member = this.order[(((at + step * i) % n) + n) % n].member;
      out.push(member);
      if (member.reachable) reachable++;
    }
    return out;
  }
}

/** Ring order: negative when (pa, ia) comes before (pb, ib). */
function before(pa: number, ia: string, pb: number, ib: string): number {
  if (pa !== pb) return pa - pb;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}
