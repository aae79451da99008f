import { ClusterState } from '../state/cluster-state';
import { ARRAY_HEADER_MAX } from '../codec/encode';
import {
  DigestEntry,
  MESSAGE_PREFIX_BYTES,
  Message,
  MessageType,
  Probe,
  StreamError,
  Syn,
  SynAck,
  isProbe,
} from '../codec/messages';
import { Hash64, sameHash } from '../vocabulary/hash';
import { IdentityGuard } from './identity';
import { idTag } from '../liveness/prober';
import { Liveness } from '../liveness/liveness';
import { Merger } from './merge';
import type { NodeRecord } from '../state/node-record';
import { Outcome } from '../state/outcome';
import { StreamSync } from './stream-sync';
import { pickRandom } from '../vocabulary/shuffle';
import type { CoreConfig } from './core-config';

export type { CoreConfig } from './core-config';

/** Messages that name a cluster and a sender: all but probes and StreamError. */
type Gossiped = Exclude<Message, Probe | StreamError>;

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
  readonly identity: IdentityGuard;
  /** Peers given an immediate follow-up exchange this round. */
  private readonly followedUp = new Set<string>();
  private lastGc: number;
  private rounds = 0;
  /** How late the last probe tick ran. */
  private lastLateness = 0;
  /** When our summary last changed (a write here, or news from a peer), as seen at a round. */
  private lastNews = -Infinity;
  private lastSummary: Hash64 = { hi: 0, lo: 0 };
  /** When we last opened an exchange with a node whose ping showed our states differ. */
  private readonly lastMismatch = new Map<string, number>();
  /** When a sync for a difference datagrams could not place may start again, and the wait after it. */
  private unplacedSyncAt = -Infinity;
  private unplacedSyncWait = 0;

  constructor(
    readonly self: NodeRecord,
    private readonly config: CoreConfig,
    now: number,
    /** Reads the time for hot digests; the facade passes its clock. */
    clock: () => number,
  ) {
    this.state = new ClusterState(self, clock);
    this.state.hotDigestWindow = config.tuning.hotDigestWindow;
    this.liveness = new Liveness(this.state, config.tuning, config, config.random);
    this.identity = new IdentityGuard(this.state, config.nodeExpiry);
    const { wantLifetime } = config.tuning;
    this.merge = new Merger(this.state, this.liveness, config, wantLifetime, this.identity);
    this.streams = new StreamSync(this.state, this.merge, this.liveness, this.identity, {
      clusterId: config.clusterId,
      random: config.random,
      budget: config.maxStreamSize - config.sealOverhead - config.tuning.streamSlack,
      maxSyncs: config.tuning.maxSyncs,
    });
    this.lastGc = now;
  }

  // ------------------------------------------------------------------ rounds

  /**
   * One gossip round, `late` ms after it was due: beat our heart, ping the
   * nodes we watch (liveness), collect garbage now and then, and, while
   * there is fresh news (or every `antiEntropyEvery` rounds when quiet),
   * open an exchange with one random live peer and one random unreachable
   * one (so two healthy nodes that suspect each other recover).
   */
  round(now: number, late: number): Outcome {
    const out = new Outcome();
    this.skipRound(); // what every round does, run or passed over
    this.probeTick(now, late, false, out);
    this.liveness.expire(now, out);
    const t = this.config.tuning;
    if (now - this.lastGc >= t.gcEvery) {
      this.lastGc = now;
      const before = now - this.config.tombstoneGracePeriod;
      for (const record of this.state.records.values()) record.collectTombstones(before);
      this.liveness.sweep(now);
      this.state.sweep(now);
      for (const [addr, at] of this.lastMismatch)
        if (now - at >= this.config.tuning.hotWindow) this.lastMismatch.delete(addr);
    }
    const summary = this.state.summary();
    if (!sameHash(summary, this.lastSummary)) {
      this.lastSummary = summary;
      this.lastNews = now;
    }
    if (!this.exchanges(this.rounds, now)) return out;
    const live: NodeRecord[] = [];
    const unreachable: NodeRecord[] = [];
    for (const r of this.state.records.values()) {
      if (r === this.self || r.left) continue;
      (r.vitals.status === 'alive' ? live : unreachable).push(r);
    }
    const random = this.config.random;
    if (live.length > 0) this.syn(live[Math.floor(random() * live.length)], false, out);
    if (unreachable.length > 0)
      this.syn(unreachable[Math.floor(random() * unreachable.length)], false, out);
    return out;
  }

  /**
   * Whether the next round, due at `at`, has work of its own: a regular
   * probe tick (heartbeats, pings), an anti-entropy turn, fresh news or an
   * identity to defend (exchanges every round), a heartbeat that will be
   * late by then (unless it comes first), liveness work. The timers skip a
   * round without any, unless a link in a run of misses needs its tick
   * (probeWanted): a quiet node wakes once per probe period. A skipped round
   * is counted with `skipRound`.
   */
  roundWanted(at: number): boolean {
    const next = this.rounds + 1;
    if (this.regular(next) || this.exchanges(next, at)) return true;
    if (!sameHash(this.state.summary(), this.lastSummary)) return true; // news since the last round
    return this.liveness.prober.overdue(at) || this.liveness.hasWork(at);
  }

  /** Whether round number `round` is a regular probe round: heartbeats, and pings to every subject not on them. */
  private regular(round: number): boolean {
    return (round - 1) % this.config.tuning.probeEvery === 0;
  }

  /**
   * Whether round number `round`, at `at`, opens exchanges: while news is
   * fresh, while another process claims our id (every round carries our
   * refutation; peers take it once the copy is gone), and on anti-entropy
   * turns, which fall on regular rounds (both odd): no wake-up of their own.
   */
  private exchanges(round: number, at: number): boolean {
    const t = this.config.tuning;
    if (at - this.lastNews < t.hotWindow || this.identity.conflict(at)) return true;
    return (round - 1) % t.antiEntropyEvery === 0;
  }

  /** A round without work passed unrun (see roundWanted): it still beats our heart. `round` starts with it. */
  skipRound(): void {
    this.self.heartbeat++;
    this.rounds++;
    this.followedUp.clear();
  }

  /** The probe tick halfway between rounds (a round runs the other), `late` ms after it was due. */
  midRound(now: number, late: number): Outcome {
    return this.probeTick(now, late, true);
  }

  /**
   * Whether the tick between rounds has work: a link in a run of
   * misses, whose ping it judges and repeats (the timers skip it otherwise).
   */
  probeWanted(): boolean {
    return this.liveness.prober.inRun();
  }

  /**
   * Judges pings unless late now or a tick ago (answers may wait in our
   * socket); between rounds, only for a link in a run of misses. Every
   * `probeEvery`-th round pings every subject (a regular tick).
   */
  private probeTick(now: number, late: number, between: boolean, out = new Outcome()): Outcome {
    const t = this.config.tuning;
    const onTime = Math.max(late, this.lastLateness) <= t.maxLateness;
    this.lastLateness = late;
    const regular = !between && this.regular(this.rounds);
    if (!between || this.probeWanted()) this.liveness.tick(now, onTime, regular, out);
    return out;
  }

  /**
   * Something new arrived (a write, a node, a leave): push it to a couple of
   * peers now instead of waiting for the next round, as rumor mongering
   * does on top of anti-entropy.
   */
  news(): Outcome {
    const out = new Outcome();
    const { verdictFanout, newsFanout } = this.config.tuning;
    const fanout = this.liveness.takeVerdictNews() ? verdictFanout : newsFanout;
    for (const peer of pickRandom(this.livePeers(), fanout, this.config.random))
      this.syn(peer, false, out);
    return out;
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeRecord[] {
    const out: NodeRecord[] = [];
    for (const r of this.state.records.values())
      if (r !== this.self && r.vitals.status === 'alive') out.push(r);
    return out;
  }

  // ------------------------------------------------------------- datagrams

  /** Handles a datagram: Ping, PingAck, Beat, Syn, SynAck or Ack. */
  receive(message: Message, from: string, now: number, size = this.config.maxPacketSize): Outcome {
    const out = new Outcome();
    if (isProbe(message)) {
      this.probe(message, from, now, out);
      return out;
    }
    if (message.type === MessageType.StreamError) {
      out.reject('type', from, `stream message type ${message.type} in a datagram`);
      return out;
    }
    if (!this.admit(message, from, now, out)) return out;
    this.exchange(message, from, now, size, out);
    this.liveness.flush(now, out);
    const claimant = this.identity.claimantToTell(); // a copy of us we refuted: tell it, it yields
    if (claimant) this.synTo(claimant, false, out);
    return out;
  }

  /**
   * A Ping is answered at once (an ack no larger than the ping, whoever
   * sent it); a Beat (a subject's heartbeat to us, its observer) and a
   * PingAck are the liveness module's. A Ping or a Beat from a known
   * node's address, naming its id's tag, is proof of its life (from an
   * address we know no node at, an introduction), and, when its summary differs
   * from ours, a reason to open an exchange.
   */
  private probe(message: Probe, from: string, now: number, out: Outcome): void {
    if (message.type === MessageType.PingAck) {
      this.liveness.acked(from, message.seq, now, out);
      return;
    }
    if (message.target !== this.liveness.selfTag) {
      // Meant for a node that used to live at this address: its observers must not hear us answer.
      out.reject('target', from, `a ${probeName(message)} for another node id`);
      return;
    }
    if (message.type === MessageType.Ping)
      out.packet(from, { type: MessageType.PingAck, seq: message.seq }, 0, 0);
    const record = this.liveness.recordAt(from);
    if (!record || message.from !== idTag(record.id)) {
      // Not the node we hold at this address, or none yet (a joiner pings members that have not
      // heard of it): remembered, the probe is its sender's proof of life when gossip brings its
      // record. Another process on a known node's address does not speak for that node.
      this.liveness.introduced(from, message.from, now);
      if (record)
        out.reject(
          'target',
          from,
          `a ${probeName(message)} from another node id than ${record.id}'s`,
        );
      return;
    }
    if (message.type === MessageType.Beat) this.liveness.beat(record, now, out);
    else this.liveness.proofOfLife(record);
    const last = this.lastMismatch.get(from) ?? -Infinity;
    if (
      message.summary &&
      !sameHash(message.summary, this.state.summary()) &&
      now - last >= this.config.tuning.newsCoalesce
    ) {
      this.lastMismatch.set(from, now);
      this.syn(record, false, out);
    }
    this.liveness.flush(now, out);
  }

  /**
   * The sender's id when the message came from its own address: then it
   * is proof of its life, and what it says of itself is first hand. A node
   * we do not know yet (joining, or back after we expired it) also speaks
   * for itself; its address is checked when we learn its record.
   */
  private directSender(id: string, from: string): string | undefined {
    const record = this.state.records.get(id);
    if (!record) return this.liveness.recordAt(from) === undefined ? id : undefined;
    if (record.addr !== from) return undefined;
    this.liveness.proofOfLife(record);
    return id;
  }

  /** Syn, SynAck and Ack: the Scuttlebutt exchange. */
  private exchange(message: Gossiped, from: string, now: number, size: number, out: Outcome): void {
    switch (message.type) {
      case MessageType.Syn:
        this.answerSyn(message, from, now, size, out);
        break;
      case MessageType.SynAck:
        this.answerSynAck(message, from, now, out);
        break;
      case MessageType.Ack:
        this.merge.delta(message.delta, now, out, this.directSender(message.from, from));
        if (message.truncated) this.startSync(from, out);
        break;
      default:
        out.reject('type', from, `stream message type ${message.type} in a datagram`);
    }
  }

  /** A Syn (`size` bytes): learn from its digest, answer with what it lacks and our digest. */
  private answerSyn(message: Syn, from: string, now: number, size: number, out: Outcome): void {
    out.digestEntriesIn += message.digest.length;
    const sender = this.directSender(message.from, from);
    this.merge.digest(message.digest, now, out, sender);
    const summary = this.state.summary();
    // An address we do not know (its source may be spoofed) gets at most
    // twice what it sent, and is told to sync over TCP, which a spoofer cannot.
    const known = this.liveness.recordAt(from) !== undefined;
    const full = this.packetBudget();
    const budget = known ? full : this.unknownSenderBudget(full, size);
    const delta = this.state.buildDelta(
      message.digest,
      message.partial,
      Math.floor(budget * this.config.tuning.synAckDeltaShare),
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
        truncated: delta.truncated || (!known && digest !== undefined),
        summary,
      },
      digest?.entries.length ?? 0,
      delta.entryCount,
    );
  }

  /** Bytes for digest and delta in a reply to an unknown address that sent `size` bytes. */
  private unknownSenderBudget(full: number, size: number): number {
    const reply = this.config.tuning.maxAmplification * size;
    return Math.max(0, Math.min(full, reply - (this.config.maxPacketSize - full)));
  }

  /** A SynAck: take its delta and digest, then Ack with what the peer lacks. */
  private answerSynAck(message: SynAck, from: string, now: number, out: Outcome): void {
    out.digestEntriesIn += message.digest.length;
    const sender = this.directSender(message.from, from);
    const before = this.state.summary();
    this.merge.delta(message.delta, now, out, sender);
    this.merge.digest(message.digest, now, out, sender);
    if (message.truncated) this.startSync(from, out);
    this.followUp(message.from, message.delta.length, message.digest, out);
    const delta = this.state.buildDelta(
      message.digest,
      message.partial,
      this.packetBudget(),
      this.config.random,
    );
    if (delta.nodes.length === 0 && !delta.truncated) {
      this.syncUnplaced(message, before, from, now, out);
      return;
    }
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

  /** Our cluster, and not in our name (though a copy of us may learn from it that we refuted it). */
  private admit(message: Gossiped, from: string, now: number, out: Outcome): boolean {
    if (message.clusterId !== this.config.clusterId) {
      out.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
      return false;
    }
    if (message.from === this.self.id && message.type !== MessageType.StreamAck) {
      if ('digest' in message) this.identity.claimedIn(message.digest, now, out);
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
    this.synTo(peer.addr, full, out);
  }
  private synTo(addr: string, full: boolean, out: Outcome): void {
    const summary = this.state.summary();
    const digest = this.state.buildDigest(this.packetBudget(), this.config.random, {
      hotOnly: !full,
    });
    out.packet(
      addr,
      {
        type: MessageType.Syn,
        clusterId: this.config.clusterId,
        from: this.self.id,
        partial: digest.partial,
        digest: digest.entries,
        summary,
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

  /**
   * Our summaries still differ, yet the peer's partial digest taught us
   * nothing and showed it lacks nothing: the difference lies in nodes one
   * of us has never heard of, which datagrams find only by chance (a node
   * of 200 missing from a random 35; a join storm left such gaps for
   * seconds). A TCP sync settles it; see `unplacedSyncEvery` for the pace.
   */
  private syncUnplaced(
    message: SynAck,
    before: Hash64,
    from: string,
    now: number,
    out: Outcome,
  ): void {
    const t = this.config.tuning;
    const after = this.state.summary();
    if (sameHash(after, message.summary)) {
      this.unplacedSyncWait = 0; // we agree with a peer: the next difference is a new one
      return;
    }
    if (!message.partial || message.digest.length === 0 || !sameHash(before, after)) return;
    if (now < this.unplacedSyncAt) return;
    this.unplacedSyncWait = Math.min(
      t.unplacedSyncMax,
      Math.max(t.unplacedSyncEvery, 2 * this.unplacedSyncWait),
    );
    this.unplacedSyncAt = now + this.unplacedSyncWait;
    this.startSync(from, out);
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
      MESSAGE_PREFIX_BYTES +
      ARRAY_HEADER_MAX +
      Buffer.byteLength(this.config.clusterId) +
      Buffer.byteLength(this.self.id) +
      this.config.tuning.fixedFieldsSlack;
    return this.config.maxPacketSize - this.config.sealOverhead - fixed;
  }
}

function probeName(message: Probe): string {
  return message.type === MessageType.Beat ? 'heartbeat' : 'ping';
}
