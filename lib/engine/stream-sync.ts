import type { ClusterState } from './cluster-state';
import { MessageType, Outgoing, Push, Sync, SyncReply } from './codec';
import type { Merger } from './merge';
import type { Outcome } from './outcome';

export interface StreamSyncConfig {
  clusterId: string;
  random: () => number;
  /** Bytes a stream message may hold for its delta. */
  budget: number;
  /** Background syncs at once. */
  maxSyncs: number;
}

/**
 * Full push-pull over a stream, for what does not fit a datagram (a join,
 * a truncated delta, a long partition): the requester sends its whole
 * digest (Sync), gets back everything it lacks plus the peer's digest
 * (SyncReply), then pushes what the peer lacks (Push). Builds and applies
 * the messages; the facade carries them. Also bounds the background syncs.
 */
export class StreamSync {
  private readonly syncing = new Set<string>();

  constructor(
    private readonly state: ClusterState,
    private readonly merge: Merger,
    private readonly config: StreamSyncConfig,
  ) {}

  /** Claims a background sync slot for `addr`: one at a time per peer, `maxSyncs` in all. */
  begin(addr: string): boolean {
    if (this.syncing.has(addr) || this.syncing.size >= this.config.maxSyncs) return false;
    this.syncing.add(addr);
    return true;
  }

  end(addr: string): void {
    this.syncing.delete(addr);
  }

  /** The requester's opening: its whole digest. */
  request(): Outgoing {
    const digest = this.state.buildDigest(Infinity, this.config.random);
    return {
      type: MessageType.Sync,
      clusterId: this.config.clusterId,
      from: this.state.self.id,
      digest: digest.entries,
    };
  }

  /** Answers a Sync: learn from its digest, send what it lacks and our digest. */
  answer(
    message: Sync,
    now: number,
    out: Outcome,
  ): { reply: Outgoing; digestEntries: number; deltaEntries: number } {
    out.digestEntriesIn += message.digest.length;
    this.merge.digest(message.digest, now, out);
    const delta = this.state.buildDelta(
      message.digest,
      false,
      this.config.budget,
      this.config.random,
    );
    const digest = this.state.buildDigest(Infinity, this.config.random);
    return {
      reply: {
        type: MessageType.SyncReply,
        clusterId: this.config.clusterId,
        from: this.state.self.id,
        digest: digest.entries,
        delta: delta.nodes,
      },
      digestEntries: digest.entries.length,
      deltaEntries: delta.entryCount,
    };
  }

  /** Applies a SyncReply; returns the Push of what the peer lacks, if anything. */
  absorb(
    reply: SyncReply,
    now: number,
    out: Outcome,
  ): { push: Outgoing; deltaEntries: number } | undefined {
    out.digestEntriesIn += reply.digest.length;
    this.merge.delta(reply.delta, now, out);
    this.merge.digest(reply.digest, now, out);
    const delta = this.state.buildDelta(
      reply.digest,
      false,
      this.config.budget,
      this.config.random,
    );
    if (delta.nodes.length === 0) return undefined;
    return {
      push: {
        type: MessageType.Push,
        clusterId: this.config.clusterId,
        from: this.state.self.id,
        delta: delta.nodes,
      },
      deltaEntries: delta.entryCount,
    };
  }

  /** Applies a Push. */
  receivePush(message: Push, now: number, out: Outcome): void {
    this.merge.delta(message.delta, now, out);
  }
}
