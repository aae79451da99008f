import type { ClusterState } from './cluster-state';
import type { DigestEntry, NodeDelta } from './codec';
import type { Liveness } from './liveness';
import { NodeRecord, applyNodeDelta } from './node-record';
import type { Outcome } from './outcome';

export interface MergeLimits {
  maxNodes: number;
  maxEntriesPerNode: number;
}

/**
 * Applies what peers send (heartbeats, digests, deltas) to the cluster
 * state, through the liveness state machine for anything that changes a
 * node's status. Shared by datagrams and streams; no I/O.
 */
export class Merger {
  constructor(
    private readonly state: ClusterState,
    private readonly liveness: Liveness,
    private readonly limits: MergeLimits,
    private readonly wantLifetime: number,
  ) {}

  /** Heartbeats by key, and the vector when the sender's membership is ours (same records, same order). */
  heartbeats(
    message: { heartbeats: Uint8Array; vector: Uint8Array },
    now: number,
    out: Outcome,
  ): void {
    const rise = (record: NodeRecord, heartbeat: number) =>
      this.liveness.heartbeat(record, heartbeat, now, out);
    this.state.readHeartbeats(message.heartbeats, rise);
    this.state.readVector(message.vector, rise);
  }

  digest(digest: DigestEntry[], now: number, out: Outcome): void {
    const self = this.state.self;
    for (const e of digest) {
      if (e.id === self.id || e.generation === 0) continue;
      const record = this.state.records.get(e.id);
      if (!record) {
        if (!e.left && !this.liveness.isGhost(e.id, e.generation, e.heartbeat)) {
          this.state.want(e.id, e.addr, now + this.wantLifetime, this.limits.maxNodes);
        }
        continue;
      }
      if (e.generation !== record.generation) continue; // a newer one arrives as a delta
      this.liveness.heartbeat(record, e.heartbeat, now, out);
      if (e.left) this.liveness.left(record, now, out);
    }
  }

  delta(deltas: NodeDelta[], now: number, out: Outcome): void {
    const self = this.state.self;
    for (const delta of deltas) {
      out.deltaEntriesIn += delta.entries.length;
      if (delta.id === self.id) {
        if (delta.generation > self.generation) {
          out.reject('self', delta.addr, `a newer generation of our id`);
          out.warn('id-clash', `another node uses our id ${self.id} with a newer generation`);
        }
        continue;
      }
      const current = this.state.records.get(delta.id);
      if (!current) {
        if (this.liveness.isGhost(delta.id, delta.generation, delta.heartbeat)) continue;
        if (this.state.size >= this.limits.maxNodes) {
          out.reject('limit', delta.addr, `maxNodes ${this.limits.maxNodes} reached`);
          continue;
        }
      }
      const result = applyNodeDelta(current, delta, now, this.limits.maxEntriesPerNode);
      if (result.ignored === 'limit')
        out.reject('limit', delta.addr, `maxEntriesPerNode for ${delta.id}`);
      const record = result.record;
      if (!record) continue;
      if (record !== current) {
        if (current && result.replacedGeneration) this.liveness.replacedIncarnation(current, out);
        this.state.put(record);
        this.state.unwant(record.id);
        if (result.created) this.liveness.joined(record, now, out);
        else if (current) this.liveness.reset(current, record);
      }
      for (const change of result.changes) {
        if (change.kind === 'upsert')
          out.event({
            type: 'upsert-key',
            nodeId: record.id,
            key: change.key,
            value: change.value,
          });
        else out.event({ type: 'delete-key', nodeId: record.id, key: change.key });
      }
      if (result.heartbeatIncreased && !result.created) this.liveness.alive(record, now, out);
      if (result.becameLeft) this.liveness.left(record, now, out);
    }
  }

  /** Whether a peer's digest shows something we lack (a node, an incarnation or versions). */
  lacks(digest: DigestEntry[]): boolean {
    const self = this.state.self;
    return digest.some((e) => {
      if (e.id === self.id || e.generation === 0) return false;
      const r = this.state.records.get(e.id);
      if (!r) return !e.left && !this.liveness.isGhost(e.id, e.generation, e.heartbeat);
      return (
        e.generation > r.generation ||
        (e.generation === r.generation && e.maxVersion > r.maxVersion)
      );
    });
  }
}
