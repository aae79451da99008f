import type { ClusterState } from '../state/cluster-state';
import type { DigestEntry, NodeDelta } from '../codec';
import type { IdentityGuard } from './identity';
import type { Liveness } from '../liveness/liveness';
import { applyNodeDelta } from '../state/node-record';
import type { Outcome } from '../state/outcome';

export interface MergeLimits {
  maxNodes: number;
  maxEntriesPerNode: number;
}

/**
 * Applies what peers send (digests and deltas) to the cluster
 * state, through the liveness state machine for anything that changes a
 * node's status. Shared by datagrams and streams; no I/O.
 */
export class Merger {
  constructor(
    private readonly state: ClusterState,
    private readonly liveness: Liveness,
    private readonly limits: MergeLimits,
    private readonly wantLifetime: number,
    private readonly identity: IdentityGuard,
  ) {}

  /** `sender`: the node this digest came from, first hand (its own entry is about itself). */
  digest(digest: DigestEntry[], now: number, out: Outcome, sender?: string): void {
    const self = this.state.self;
    for (const e of digest) {
      if (e.generation === 0) continue;
      if (e.id === self.id) {
        this.identity.claimed(e.generation, e.addr, now, out);
        continue;
      }
      const record = this.state.records.get(e.id);
      if (!record) {
        if (e.left || this.liveness.isGhost(e.id, e.generation, e.heartbeat, e.id === sender))
          continue;
        // A node with no entries is whole in its digest entry: take it as the empty delta it
        // stands for, instead of asking for it in a later exchange.
        if (e.maxVersion === 0) this.delta([emptyDelta(e)], now, out, sender);
        else this.state.want(e.id, e.addr, now + this.wantLifetime, this.limits.maxNodes);
        continue;
      }
      if (e.generation !== record.generation) continue; // a newer one arrives as a delta
      this.liveness.heartbeat(record, e.heartbeat);
      if (e.left) this.liveness.left(record, now, out);
    }
  }

  /** `sender`: the node these deltas came from, first hand (a delta of itself proves it alive). */
  delta(deltas: NodeDelta[], now: number, out: Outcome, sender?: string): void {
    const self = this.state.self;
    for (const delta of deltas) {
      out.deltaEntriesIn += delta.entries.length;
      if (delta.id === self.id) {
        if (delta.generation > self.generation) {
          out.reject('self', delta.addr, `a newer generation of our id`);
          this.identity.claimed(delta.generation, delta.addr, now, out);
        }
        continue;
      }
      const firstHand = delta.id === sender;
      const current = this.state.records.get(delta.id);
      // One identity per id: a node we hold alive is not replaced from another address on
      // hearsay; only its claimant, over a stream the facade let through, speaks for itself.
      if (
        current &&
        !firstHand &&
        delta.generation > current.generation &&
        delta.addr !== current.addr &&
        current.vitals.status === 'alive'
      )
        continue;
      if (!current) {
        if (this.liveness.isGhost(delta.id, delta.generation, delta.heartbeat, firstHand)) continue;
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
        if (result.created) this.liveness.appeared(record, now, firstHand, out);
        else if (current) this.liveness.reset(current, record);
      } else if (firstHand) {
        this.liveness.proofOfLife(record);
      }
      for (const key of result.internalChanges) this.liveness.internalChanged(key);
      // A node is reported by its entries only once it joined (the join replays them).
      if (!record.vitals.announced) {
        if (result.becameLeft) this.liveness.left(record, now, out);
        continue;
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

/** The delta a digest entry of a node with no entries stands for: its whole record, from scratch. */
function emptyDelta(e: DigestEntry): NodeDelta {
  return {
    id: e.id,
    addr: e.addr,
    generation: e.generation,
    heartbeat: e.heartbeat,
    left: false,
    reset: false,
    fromVersion: 0,
    gcVersion: 0,
    maxVersion: 0,
    entries: [],
  };
}
