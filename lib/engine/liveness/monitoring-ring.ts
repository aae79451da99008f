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
  private readonly order: RingMember[];
  private readonly position = new Map<string, number>();

  constructor(
    members: Iterable<RingMember>,
    private readonly k: number,
  ) {
    const keyed = [...members].map((m) => ({ m, h: ringPosition(m.id) }));
    keyed.sort((a, b) => a.h - b.h || (a.m.id < b.m.id ? -1 : 1));
    this.order = keyed.map((x) => x.m);
    this.order.forEach((m, i) => this.position.set(m.id, i));
  }

  /** The members `id` pings: forward to its k-th reachable successor, the unreachable ones between included. */
  subjectsOf(id: string): string[] {
    const at = this.position.get(id);
    if (at === undefined) return [];
    return this.walkMembers(at, 1).map((m) => m.id);
  }

  /** The members that ping `id`: backward to its k-th reachable predecessor, unreachable ones included. */
  observersOf(id: string): RingMember[] {
    const at = this.position.get(id);
    if (at === undefined) return [];
    return this.walkMembers(at, -1);
  }

  private walkMembers(at: number, step: 1 | -1): RingMember[] {
    const n = this.order.length;
    const out: RingMember[] = [];
    let reachable = 0;
    for (let i = 1; i < n && reachable < this.k; i++) {
      const member = this.order[(((at + step * i) % n) + n) % n];
      out.push(member);
      if (member.reachable) reachable++;
    }
    return out;
  }
}
