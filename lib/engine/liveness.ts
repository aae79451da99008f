import type { ClusterState } from './cluster-state';
import { FailureDetector } from './failure-detector';
import type { NodeRecord } from './node-record';
import type { Outcome } from './outcome';
import type { Tuning } from './tuning';

/** How this node sees a remote node. `left` is final for an incarnation. */
export type NodeStatus = 'alive' | 'unreachable' | 'left';

/**
 * A remote node's liveness as this node sees it. Only `Liveness` writes it;
 * everyone else reads.
 */
export class Vitals {
  status: NodeStatus = 'alive';
  /** Local time after which the record is dropped (set while left or unreachable). */
  expiresAt: number | undefined;
  /** Fed by heartbeat rises (none for ourselves). */
  detector: FailureDetector | undefined;
}

/** What we remember of an expired node, so stale gossip cannot bring it back. */
interface Ghost {
  generation: number;
  heartbeat: number;
  left: boolean;
  until: number;
}

export interface LivenessLimits {
  phiThreshold: number;
  nodeExpiry: number;
}

/**
 * The membership state machine: every transition of a node's status
 * (alive, unreachable, left, expired and remembered as a ghost) happens
 * here, and each returns the event it causes into the given Outcome.
 *
 *   join ──> alive <──> unreachable      (phi over / under the threshold)
 *              │            │
 *              └──> left <──┘             (its own announcement)
 *   unreachable or left ──(nodeExpiry)──> expired: dropped, kept as a ghost
 *
 * A heartbeat rise is proof of life; only a newer incarnation, or a higher
 * heartbeat of one that never left, brings a ghost back.
 */
export class Liveness {
  private readonly ghosts = new Map<string, Ghost>();

  constructor(
    private readonly state: ClusterState,
    private readonly tuning: Tuning,
    private readonly limits: LivenessLimits,
  ) {}

  /** A node we did not hold appeared (or a new incarnation replaced one): alive from now. */
  joined(record: NodeRecord, now: number, out: Outcome): void {
    const d = this.tuning.detector;
    record.vitals.detector = new FailureDetector(
      now,
      d.initialInterval,
      d.minStdDev,
      d.acceptablePause,
      d.maxInterval,
      d.bootstrapPause,
    );
    this.ghosts.delete(record.id);
    out.event({ type: 'join', nodeId: record.id });
  }

  /** The old incarnation of a node was replaced by a newer one: report it gone first. */
  replacedIncarnation(old: NodeRecord, out: Outcome): void {
    old.vitals.detector = undefined;
    out.event({ type: 'expired', nodeId: old.id });
  }

  /** The same incarnation was reset (after tombstone collection): its liveness carries over. */
  reset(old: NodeRecord, next: NodeRecord): void {
    next.vitals = old.vitals;
    this.ghosts.delete(next.id);
  }

  /** A heartbeat value heard from any peer: a rise is proof of life. */
  heartbeat(record: NodeRecord, heartbeat: number, now: number, out: Outcome): void {
    if (record === this.state.self || heartbeat <= record.heartbeat) return;
    record.heartbeat = heartbeat;
    this.alive(record, now, out);
  }

  /** The record's heartbeat already rose (a delta carried it): proof of life. */
  alive(record: NodeRecord, now: number, out: Outcome): void {
    const vitals = record.vitals;
    const detector = vitals.detector;
    if (!detector) return;
    detector.heartbeat(now);
    if (vitals.status === 'unreachable' && detector.phi(now) <= this.limits.phiThreshold) {
      vitals.status = 'alive';
      vitals.expiresAt = undefined;
      out.event({ type: 'reachable', nodeId: record.id });
    }
  }

  /** The node announced its leave (in a digest, a delta or a Leave stream). */
  left(record: NodeRecord, now: number, out: Outcome): void {
    if (record.vitals.status === 'left') return;
    record.left = true;
    record.vitals.status = 'left';
    record.vitals.expiresAt = now + this.limits.nodeExpiry;
    out.event({ type: 'leave', nodeId: record.id });
  }

  /** Our own process was paused for `late` ms: silence we did not observe is nobody's fault. */
  forgive(late: number): void {
    for (const record of this.state.records.values()) record.vitals.detector?.forgive(late);
  }

  /** Every live node whose phi passed the threshold becomes unreachable. */
  detect(now: number, out: Outcome): void {
    for (const record of this.state.records.values()) {
      const vitals = record.vitals;
      if (record === this.state.self || vitals.status !== 'alive') continue;
      const detector = vitals.detector;
      if (!detector || detector.phi(now) <= this.limits.phiThreshold) continue;
      vitals.status = 'unreachable';
      vitals.expiresAt = now + this.limits.nodeExpiry;
      out.event({ type: 'unreachable', nodeId: record.id });
    }
  }

  /** Left and unreachable nodes past their expiry are dropped and remembered as ghosts. */
  expire(now: number, out: Outcome): void {
    for (const record of [...this.state.records.values()]) {
      const expiresAt = record.vitals.expiresAt;
      if (record === this.state.self || expiresAt === undefined || expiresAt > now) continue;
      this.state.remove(record);
      this.ghosts.set(record.id, {
        generation: record.generation,
        heartbeat: record.heartbeat,
        left: record.left,
        until: now + this.tuning.ghostMemory,
      });
      out.event({ type: 'expired', nodeId: record.id });
    }
  }

  /**
   * Gossip about an expired node is stale unless it names a newer
   * generation, or a higher heartbeat of the same one (never once it had left).
   */
  isGhost(id: string, generation: number, heartbeat: number): boolean {
    const ghost = this.ghosts.get(id);
    if (!ghost) return false;
    if (generation !== ghost.generation) return generation < ghost.generation;
    return ghost.left || heartbeat <= ghost.heartbeat;
  }

  /** Forgets ghosts past their time. */
  sweep(now: number): void {
    for (const [id, ghost] of this.ghosts) if (ghost.until <= now) this.ghosts.delete(id);
  }
}
