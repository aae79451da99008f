import type { ClusterState } from '../state/cluster-state';
import {
  DigestEntry,
  Message,
  MessageType,
  Outgoing,
  Sync,
  SyncReply,
  isProbe,
} from '../codec/messages';
import { ID_CONFLICT_CODE, type IdentityGuard, idConflictText } from './identity';
import type { Liveness } from '../liveness/liveness';
import type { Merger } from './merge';
import type { NodeRecord } from '../state/node-record';
import { Outcome } from '../state/outcome';

/** A stream request answered: the reply, or a refusal that closes the stream unanswered. */
export interface StreamAnswer {
  outcome: Outcome;
  reply?: Outgoing;
  digestEntries: number;
  deltaEntries: number;
  /** Set when the stream is closed without a reply. */
  refusal?: string;
}

export interface StreamSyncConfig {
  clusterId: string;
  random: () => number;
  /** Bytes a stream message may hold for its delta. */
  budget: number;
  /** Background syncs at once. */
  maxSyncs: number;
}

/** A joiner's Push of its own record, and what it tells the peer of us. */
export interface Introduction {
  push: Outgoing;
  sent: DigestEntry;
  deltaEntries: number;
}

/**
 * Full push-pull over a stream, for what does not fit a datagram (a join,
 * a truncated delta, a long partition): the requester sends its whole
 * digest (Sync), gets back everything it lacks plus the peer's digest
 * (SyncReply), then pushes what the peer lacks (Push). Builds and applies
 * the messages; the facade carries them. Also bounds the background syncs,
 * and answers the other stream requests (Push, Leave).
 */
export class StreamSync {
  private readonly syncing = new Set<string>();

  constructor(
    private readonly state: ClusterState,
    private readonly merge: Merger,
    private readonly liveness: Liveness,
    private readonly identity: IdentityGuard,
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

  /**
   * A joiner's Push of its own record, sent alongside its Sync so the peer
   * learns our entries without waiting for the reply, and what it tells
   * the peer of us (for `absorb`, once the peer acknowledged it). Undefined
   * when we have no entries: the Sync's digest entry is then our whole
   * record. (A Push, not a new field of Sync, so that nodes of earlier
   * versions accept it.)
   */
  introduction(): Introduction | undefined {
    const self = this.state.self;
    if (self.maxVersion === 0) return undefined;
    const { id, addr, generation, heartbeat, maxVersion, left } = self;
    // A partial digest naming only us, at generation 0 ("send it whole"): our whole record.
    const wanted = { id, addr, generation: 0, heartbeat: 0, maxVersion: 0, left: false };
    const delta = this.state.buildDelta([wanted], true, this.config.budget, () => 0); // one record: no rotation
    if (delta.truncated) return undefined; // too large for one message: the sync's push sends it in parts
    return {
      push: {
        type: MessageType.Push,
        clusterId: this.config.clusterId,
        from: id,
        delta: delta.nodes,
      },
      sent: { id, addr, generation, heartbeat, maxVersion, left },
      deltaEntries: delta.entryCount,
    };
  }

  /** Answers a Sync: learn from its digest, send what it lacks and our digest. */
  private answerSync(
    message: Sync,
    now: number,
    out: Outcome,
  ): { reply: Outgoing; digestEntries: number; deltaEntries: number } {
    out.digestEntriesIn += message.digest.length;
    const claimed = claimIn(message)?.addr;
    this.merge.digest(message.digest, now, out, this.sender(message.from, claimed));
    this.liveness.flush(now, out);
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

  /**
   * Applies a SyncReply; returns the Push of what the peer lacks, if
   * anything. `introduced`: what an acknowledged introduction told the peer
   * of us, which its reply may predate.
   */
  absorb(
    reply: SyncReply,
    now: number,
    out: Outcome,
    introduced?: DigestEntry,
  ): { push: Outgoing; deltaEntries: number } | undefined {
    out.digestEntriesIn += reply.digest.length;
    // The node we connected to speaks first hand of itself.
    const sender = this.sender(reply.from);
    this.merge.delta(reply.delta, now, out, sender);
    this.merge.digest(reply.digest, now, out, sender);
    this.liveness.flush(now, out);
    const peerDigest = introduced
      ? [...reply.digest.filter((e) => e.id !== introduced.id), introduced]
      : reply.digest;
    const delta = this.state.buildDelta(peerDigest, false, this.config.budget, this.config.random);
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

  /**
   * A node on the other end of a stream: first hand about itself, and alive
   * when we hold it at the address it claims (`claimedAddr`, when its
   * message names one): another process with its id proves nothing of it.
   */
  private sender(id: string, claimedAddr?: string): string {
    const record = this.state.records.get(id);
    if (record && (claimedAddr === undefined || claimedAddr === record.addr))
      this.liveness.proofOfLife(record);
    return id;
  }

  /**
   * The node to ping before answering `message`: a Sync or Push from a
   * process claiming the id of a node we hold alive at another address
   * (see IdentityGuard). If it answers, pass it to `answer` as `liveHolder`.
   */
  holderToAsk(message: Message): NodeRecord | undefined {
    const claim = claimIn(message);
    return claim && this.identity.holderToAsk(claim.id, claim.addr, claim.generation);
  }

  /**
   * Handles a stream request (Sync, Push or Leave) and builds its reply.
   * `liveHolder`: a live node holds the id the sender claims; the stream is
   * refused, naming the id and the holder's address.
   */
  answer(message: Message, from: string, now: number, liveHolder?: NodeRecord): StreamAnswer {
    const out = new Outcome();
    const answer: StreamAnswer = { outcome: out, digestEntries: 0, deltaEntries: 0 };
    if (
      (message.type === MessageType.Push || message.type === MessageType.Leave) &&
      message.from === this.state.self.id
    ) {
      // Only we speak for ourselves: a leave in our name would make the cluster drop us.
      out.reject('self', from, 'a stream claiming to come from this node');
      answer.refusal = 'message in our name';
      return answer;
    }
    if (isProbe(message)) {
      out.reject('type', from, `datagram message type ${message.type} on a stream`);
      answer.refusal = 'unexpected message type';
      return answer;
    }
    if (message.type !== MessageType.StreamError && message.clusterId !== this.config.clusterId) {
      out.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
      // Sent plain, so a peer with other settings can still read why.
      answer.reply = {
        type: MessageType.StreamError,
        code: 'cluster',
        message: `node ${this.state.self.id} is in cluster ${JSON.stringify(this.config.clusterId)}, not ${JSON.stringify(message.clusterId)}`,
      };
      return answer;
    }
    const claim = claimIn(message);
    const self = this.state.self;
    if (claim && this.identity.isCopyOfUs(claim.id, claim.addr, claim.generation)) {
      // Another process with our id: we are its live holder.
      this.identity.note(claim.addr, now);
      answer.reply = this.idConflict(self);
      return answer;
    }
    if (liveHolder) {
      answer.reply = this.idConflict(liveHolder);
      return answer;
    }
    switch (message.type) {
      case MessageType.Sync: {
        const { reply, digestEntries, deltaEntries } = this.answerSync(message, now, out);
        answer.reply = reply;
        answer.digestEntries = digestEntries;
        answer.deltaEntries = deltaEntries;
        return answer;
      }
      case MessageType.Push:
        // A node that opened a stream to us is alive, and speaks first hand of itself.
        this.merge.delta(
          message.delta,
          now,
          out,
          this.sender(message.from, claimIn(message)?.addr),
        );
        this.liveness.flush(now, out);
        answer.reply = this.streamAck();
        return answer;
      case MessageType.Leave: {
        const record = this.state.records.get(message.from);
        if (record && record.generation === message.generation) {
          this.liveness.heartbeat(record, message.heartbeat);
          this.liveness.left(record, now, out);
        }
        answer.reply = this.streamAck();
        return answer;
      }
      default:
        out.reject('type', from, `message type ${message.type} on a stream`);
        answer.refusal = 'unexpected message type';
        return answer;
    }
  }

  /** Sent plain (like every refusal), so the joiner reads it whatever its keys. */
  private idConflict(holder: NodeRecord): Outgoing {
    return {
      type: MessageType.StreamError,
      code: ID_CONFLICT_CODE,
      message: idConflictText(holder.id, holder.addr),
    };
  }

  private streamAck(): Outgoing {
    return {
      type: MessageType.StreamAck,
      clusterId: this.config.clusterId,
      from: this.state.self.id,
    };
  }

  /** Marks this node left (once) and builds the Leave message that tells peers. */
  leave(): Outgoing {
    if (!this.state.self.left) {
      this.state.self.left = true;
      this.state.self.heartbeat++;
    }
    return {
      type: MessageType.Leave,
      clusterId: this.config.clusterId,
      from: this.state.self.id,
      generation: this.state.self.generation,
      heartbeat: this.state.self.heartbeat,
      maxVersion: this.state.self.maxVersion,
    };
  }
}

/** What a Sync or Push says of its sender itself: the id, address and generation it claims. */
function claimIn(message: Message): { id: string; addr: string; generation: number } | undefined {
  if (message.type === MessageType.Sync) return message.digest.find((e) => e.id === message.from);
  if (message.type === MessageType.Push) return message.delta.find((d) => d.id === message.from);
  return undefined;
}
