import { ClusterState } from './cluster-state';
import { BIN_HEADER_MAX, DigestEntry, HEARTBEAT_BYTES, Message, MessageType } from './codec';
import { sameHash } from './hash';
import { Liveness } from './liveness';
import { Merger } from './merge';
import type { NodeRecord } from './node-record';
import { Outcome } from './outcome';
import { StreamSync } from './stream-sync';
import type { Tuning } from './tuning';

export interface CoreConfig {
  clusterId: string;
  random: () => number;
  tuning: Tuning;
  maxPacketSize: number;
  maxStreamSize: number;
  maxNodes: number;
  maxEntriesPerNode: number;
  phiThreshold: number;
  nodeExpiry: number;
  tombstoneGracePeriod: number;
  /** Bytes sealing adds to every message (0 without secret keys). */
  sealOverhead: number;
}

/**
 * The protocol without I/O: given a decoded message, its sender and the
 * time, it updates the cluster state and returns what to send and which
 * events happened (an Outcome). No sockets, timers or metrics: the facade
 * (gossip.ts) feeds it and carries out what it returns. See docs/protocol.md.
 */
export class ProtocolCore {
  readonly state: ClusterState;
  readonly liveness: Liveness;
  readonly merge: Merger;
  readonly streams: StreamSync;
  /** Peers given an immediate follow-up exchange this round. */
  private readonly followedUp = new Set<string>();
  private lastGc: number;

  constructor(
    readonly self: NodeRecord,
    private readonly config: CoreConfig,
    now: number,
    /** Reads the time for hot digests; the facade passes its clock. */
    clock: () => number,
  ) {
    this.state = new ClusterState(self, clock);
    this.state.hotWindow = config.tuning.hotWindow;
    this.liveness = new Liveness(this.state, config.tuning, config);
    this.merge = new Merger(this.state, this.liveness, config, config.tuning.wantLifetime);
    this.streams = new StreamSync(this.state, this.merge, this.liveness, {
      clusterId: config.clusterId,
      random: config.random,
      budget: config.maxStreamSize - config.sealOverhead - config.tuning.streamSlack,
      maxSyncs: config.tuning.maxSyncs,
    });
    this.lastGc = now;
  }

  // ------------------------------------------------------------------ rounds

  /**
   * One gossip round, `late` ms after it was due: beat our heart, update
   * liveness, collect garbage now and then, and open an exchange with one
   * random live peer and one random unreachable one (so two healthy nodes
   * that suspect each other recover).
   */
  round(now: number, late: number): Outcome {
    const out = new Outcome();
    // A round that runs late means this process was not running (a busy
    // event loop, a GC pause, a suspended VM): peers' news waited in our
    // socket too, so silence we did not observe is nobody's fault.
    if (late > 0) this.liveness.forgive(late);
    this.self.heartbeat++;
    this.followedUp.clear();
    this.liveness.detect(now, out);
    this.liveness.expire(now, out);
    if (now - this.lastGc >= this.config.tuning.gcEvery) {
      this.lastGc = now;
      const before = now - this.config.tombstoneGracePeriod;
      for (const record of this.state.records.values()) record.collectTombstones(before);
      this.liveness.sweep(now);
      this.state.sweep(now);
    }
    const live: NodeRecord[] = [];
    const unreachable: NodeRecord[] = [];
    for (const r of this.state.records.values()) {
      if (r === this.self || r.left) continue;
      (r.vitals.status === 'unreachable' ? unreachable : live).push(r);
    }
    const random = this.config.random;
    if (live.length > 0) this.syn(live[Math.floor(random() * live.length)], false, out);
    if (unreachable.length > 0)
      this.syn(unreachable[Math.floor(random() * unreachable.length)], false, out);
    return out;
  }

  /**
   * Something new arrived (a write, a node, a leave): push it to a couple of
   * peers now instead of waiting for the next round, as rumor mongering
   * does on top of anti-entropy.
   */
  news(): Outcome {
    const out = new Outcome();
    const peers = shuffle(this.livePeers(), this.config.random);
    for (let i = 0; i < peers.length && i < this.config.tuning.newsFanout; i++)
      this.syn(peers[i], false, out);
    return out;
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeRecord[] {
    const out: NodeRecord[] = [];
    for (const r of this.state.records.values())
      if (r !== this.self && !r.left && r.vitals.status !== 'unreachable') out.push(r);
    return out;
  }

  // ------------------------------------------------------------- datagrams

  /** Handles a datagram: Syn, SynAck or Ack. */
  receive(message: Message, from: string, now: number): Outcome {
    const out = new Outcome();
    if (message.type === MessageType.StreamError) {
      out.reject('type', from, `stream message type ${message.type} in a datagram`);
      return out;
    }
    if (!this.admit(message, from, out)) return out;
    switch (message.type) {
      case MessageType.Syn: {
        out.digestEntriesIn += message.digest.length;
        this.merge.heartbeats(message, now, out);
        this.merge.digest(message.digest, now, out);
        const summary = this.state.summary();
        const t = this.config.tuning;
        // A peer with our membership reads our vector; one without needs heartbeats by key.
        const { heartbeats, vector, budget } = this.state.vectorUsable(message.vector)
          ? this.livenessNews(t.fewHeartbeats, true)
          : this.livenessNews(t.manyHeartbeats, false);
        const delta = this.state.buildDelta(
          message.digest,
          message.partial,
          Math.floor(budget / 2),
          this.config.random,
        );
        // Same summary: nothing is owed either way, so no digest is needed.
        const digest = sameHash(message.summary, summary)
          ? undefined
          : this.state.buildDigest(budget - delta.size, this.config.random, {
              first: message.digest.map((e) => e.id),
              // A Syn naming its news gets our side of that news; a bare one,
              // whose difference we cannot place, gets a whole (or random) digest.
              hotOnly: message.partial && message.digest.length > 0,
            });
        out.packet(
          from,
          {
            type: MessageType.SynAck,
            clusterId: this.config.clusterId,
            from: this.self.id,
            partial: digest?.partial ?? true,
            digest: digest?.entries ?? [],
            delta: delta.nodes,
            truncated: delta.truncated,
            summary,
            heartbeats,
            vector,
          },
          digest?.entries.length ?? 0,
          delta.entryCount,
        );
        break;
      }
      case MessageType.SynAck: {
        out.digestEntriesIn += message.digest.length;
        this.merge.heartbeats(message, now, out);
        this.merge.delta(message.delta, now, out);
        this.merge.digest(message.digest, now, out);
        if (message.truncated) this.startSync(from, out);
        this.followUp(message.from, message.delta.length, message.digest, out);
        const delta = this.state.buildDelta(
          message.digest,
          message.partial,
          this.packetBudget(),
          this.config.random,
        );
        if (delta.nodes.length > 0 || delta.truncated) {
          out.packet(
            from,
            {
              type: MessageType.Ack,
              clusterId: this.config.clusterId,
              from: this.self.id,
              delta: delta.nodes,
              truncated: delta.truncated,
            },
            0,
            delta.entryCount,
          );
        }
        break;
      }
      case MessageType.Ack:
        this.merge.delta(message.delta, now, out);
        if (message.truncated) this.startSync(from, out);
        break;
      default:
        out.reject('type', from, `stream message type ${message.type} in a datagram`);
    }
    return out;
  }

  /** Our cluster, and not in our name. */
  private admit(message: Exclude<Message, { type: 15 }>, from: string, out: Outcome): boolean {
    if (message.clusterId !== this.config.clusterId) {
      out.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
      return false;
    }
    if (message.from === this.self.id && message.type !== MessageType.StreamAck) {
      out.reject('self', from, 'a message claiming to come from this node');
      return false;
    }
    return true;
  }

  /**
   * Opens an exchange with `peer`. A round's Syn carries our summary,
   * liveness news and the digest entries of nodes that changed lately (none
   * in a quiet cluster, where summaries agree and nothing more is sent).
   * When they differ the peer answers with its digest; we push what it
   * lacks and, if we lack something, follow up with a Syn that carries our
   * digest (`full`).
   */
  syn(peer: NodeRecord, full: boolean, out: Outcome): void {
    const summary = this.state.summary();
    // We cannot know the peer's membership: a vector for when it is ours, a few keyed heartbeats for when not.
    const { heartbeats, vector, budget } = this.livenessNews(
      this.config.tuning.fewHeartbeats,
      true,
    );
    const digest = this.state.buildDigest(budget, this.config.random, { hotOnly: !full });
    out.packet(
      peer.addr,
      {
        type: MessageType.Syn,
        clusterId: this.config.clusterId,
        from: this.self.id,
        partial: digest.partial,
        digest: digest.entries,
        summary,
        heartbeats,
        vector,
      },
      digest.entries.length,
      0,
    );
  }

  /**
   * A reply to a digest-less Syn carries the peer's digest but no delta (it
   * could not know what we lack). When that digest shows we lack something,
   * open a full exchange at once rather than wait for a later round; once
   * per peer per round, so partial digests cannot make it loop.
   */
  private followUp(peerId: string, deltaNodes: number, digest: DigestEntry[], out: Outcome): void {
    if (deltaNodes > 0 || digest.length === 0 || this.followedUp.has(peerId)) return;
    const peer = this.state.records.get(peerId);
    if (!peer || peer === this.self) return;
    if (!this.merge.lacks(digest)) return;
    this.followedUp.add(peerId);
    this.syn(peer, true, out);
  }

  /** A background push-pull with `addr`, when a slot is free: its Sync is built now. */
  startSync(addr: string, out: Outcome): void {
    if (!this.streams.begin(addr)) return;
    const message = this.streams.request();
    out.sends.push({ kind: 'sync', to: addr, message, digestEntries: 0, deltaEntries: 0 });
  }

  /** Bytes left for digest and delta in one datagram. */
  private packetBudget(): number {
    const fixed =
      2 +
      5 +
      Buffer.byteLength(this.config.clusterId) +
      Buffer.byteLength(this.self.id) +
      this.config.tuning.fixedFieldsSlack;
    return this.config.maxPacketSize - this.config.sealOverhead - fixed;
  }

  /**
   * Liveness news for one packet: up to `keyed` heartbeats named by key
   * (usable by any peer) and, with `withVector`, the heartbeat vector
   * (usable by a peer whose summary equals ours), together within a third
   * of the packet; `budget` is what is left for digest and delta.
   */
  private livenessNews(
    keyed: number,
    withVector: boolean,
  ): { heartbeats: Uint8Array; vector: Uint8Array; budget: number } {
    const total = this.packetBudget();
    const share = Math.floor(total / 3);
    const heartbeats = this.state.buildHeartbeats(
      Math.min(share, BIN_HEADER_MAX + HEARTBEAT_BYTES * keyed),
    );
    const vectorRoom = Math.min(this.config.tuning.maxVectorBytes, share - heartbeats.length);
    const vector = withVector ? this.state.buildVector(vectorRoom) : new Uint8Array(0);
    return {
      heartbeats,
      vector,
      budget: total - heartbeats.length - vector.length - 2 * BIN_HEADER_MAX,
    };
  }
}

/** Fisher-Yates on a copy. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
