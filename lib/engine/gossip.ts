import { performance } from 'node:perf_hooks';
import { formatHostPort, parseHostPort } from './address';
import { ClusterState, HEARTBEAT_BYTES } from './cluster-state';
import { sameHash } from './hash';
import type { Timer } from './clock';
import {
  DecodeError,
  DecodeLimits,
  DigestEntry,
  Message,
  MessageType,
  NodeDelta,
  Outgoing,
  RejectReason,
  SyncReply,
  decodeMessage,
  encodeMessage,
} from './codec';
import { GossipConfigError, GossipJoinError } from './errors';
import { FailureDetector } from './failure-detector';
import { Keyring } from './keyring';
import { GossipMetrics, MetricsSource } from './metrics';
import { NodeRecord, applyNodeDelta } from './node-record';
import { GossipOptions, ResolvedOptions, resolveOptions, resolveSecretKeys } from './options';
import { resolveHost } from './resolver';
import { socketTransport } from './socket-transport';
import type { Transport, TransportHandler } from './transport';
import type { GossipLogger, NodeMetadata, NodeState, Watcher } from './types';
import { Wire } from './wire';

/** Fixed fields of a message (cluster id, sender id, flags), generously bounded. */
const FIXED_FIELDS_SLACK = 40;
/** Heartbeats by key in a packet that also carries a vector, and in one that cannot. */
const FEW_HEARTBEATS = 4;
const MANY_HEARTBEATS = 24;
/** Largest heartbeat vector: 2 bytes a node, so 250 nodes a packet; larger clusters take turns. */
const MAX_VECTOR_BYTES = 512;
/** MessagePack bin header of the heartbeat list. */
const HEARTBEATS_OVERHEAD = 3;
/** Peers pushed to at once when this node learns something new. */
const NEWS_FANOUT = 2;
/** Peers told of a leave at once. */
const LEAVE_FANOUT = 3;
/** Tombstones are collected at most this often. */
const GC_EVERY_MS = 1000;
/** Background syncs at once: a flood of truncated acks (their source may be spoofed) must not open unbounded connections. */
const MAX_SYNCS = 8;
/** Decode failures that mean the peer's settings differ from ours: answered with a plain error on streams. */
const MISMATCH_REASONS: ReadonlySet<RejectReason> = new Set([
  'version',
  'unsealed',
  'sealed',
  'auth',
]);
/** Longest piece of a peer's error text put into ours. */
const MAX_REMOTE_TEXT = 200;

/** `Gossip.status`: see there. */
export type GossipNodeStatus = 'joining' | 'joined' | 'left' | 'closed';

const silentLogger: GossipLogger = {
  debug: () => undefined,
  warn: (message) => console.warn(`[gossip] ${message}`),
  error: (message) => console.error(`[gossip] ${message}`),
};

/**
 * One cluster member: owns its entries, gossips digests and deltas over UDP,
 * syncs, joins and leaves over TCP, and tracks every other member's state
 * and liveness. Framework-free; see docs/protocol.md.
 */
export class Gossip {
  readonly metrics: GossipMetrics;
  private readonly state: ClusterState;
  private readonly self: NodeRecord;
  private readonly wire: Wire;
  private readonly keyring: Keyring;
  private readonly wireLimits: DecodeLimits;
  private readonly logger: GossipLogger;
  private readonly watcher: Watcher | undefined;
  private transport!: Transport;
  private roundTimer: Timer | undefined;
  private newsTimer: Timer | undefined;
  private lastNewsPush = -Infinity;
  private resolveTimer: Timer | undefined;
  /** When the pending round was due: lateness is forgiven to every failure detector. */
  private roundDue: number;
  private lastGc: number;
  private closed = false;
  private hasLeft = false;
  private readonly syncing = new Set<string>();
  /** Peers given an immediate follow-up exchange this round. */
  private readonly followedUp = new Set<string>();
  /** Names given to join, re-resolved to find new peers. */
  private readonly seeds = new Set<string>();
  private readonly lastLogged = new Map<string, number>();

  private constructor(
    private readonly opts: ResolvedOptions,
    generation: number,
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.watcher = opts.watcher;
    this.self = new NodeRecord(opts.nodeId, '', generation);
    this.state = new ClusterState(this.self, () => opts.clock.now());
    this.state.hotWindow = 10 * opts.interval;
    this.wireLimits = {
      maxKeySize: opts.maxKeySize,
      maxValueSize: opts.maxValueSize,
      maxArrayLength: Math.max(opts.maxNodes, opts.maxEntriesPerNode) + 16,
    };
    this.keyring = new Keyring(opts.secretKeys);
    this.wire = new Wire(this.keyring, this.wireLimits);
    this.metrics = new GossipMetrics(this.metricsSource(), opts.registry, opts.metricsPrefix);
    this.roundDue = opts.clock.now();
    this.lastGc = this.roundDue;
  }

  /** Validates options, binds UDP and TCP on one port, and starts gossip rounds. */
  static async create(options: GossipOptions): Promise<Gossip> {
    const opts = resolveOptions(options);
    // A restart must outrank the previous incarnation: start time in ms.
    const gossip = new Gossip(opts, Math.max(1, Math.floor(opts.clock.now())));
    const factory =
      opts.transport ??
      socketTransport({
        maxPacketSize: opts.maxPacketSize,
        maxStreamSize: opts.maxStreamSize,
        maxInboundStreams: opts.maxInboundStreams,
        streamTimeout: opts.streamTimeout,
      });
    try {
      gossip.transport = await factory(opts.bindAddr, gossip.handler());
    } catch (err) {
      gossip.metrics.detach();
      throw err;
    }
    const bound = parseHostPort(gossip.transport.localAddr);
    gossip.self.addr = formatHostPort(
      opts.advertiseHost,
      opts.advertisePort ?? bound?.port ?? opts.bindPort,
    );
    gossip.scheduleRound();
    gossip.state.onSummaryChange = () => gossip.announce();
    gossip.scheduleResolve();
    return gossip;
  }

  // ---------------------------------------------------------------- public API

  get nodeId(): string {
    return this.self.id;
  }

  // ---- issue-11 addition (status, livePeers); the lead reconciles it with issue-9's version.
  /** Set once a `join` resolved (`join([])` included: this node founds the cluster). */
  private joinSucceeded = false;

  /**
   * Where this node stands: `joining` until a `join` resolved or a live peer
   * reached us, then `joined`; `left` after `leave()`; `closed` after `close()`.
   */
  get status(): GossipNodeStatus {
    if (this.closed) return 'closed';
    if (this.hasLeft) return 'left';
    if (!this.joinSucceeded && this.liveRecords().length > 0) this.joinSucceeded = true;
    return this.joinSucceeded ? 'joined' : 'joining';
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeMetadata[] {
    return this.liveRecords().map((r) => this.metadata(r));
  }
  // ---- end of issue-11 addition

  /**
   * Joins the cluster through the given `host[:port]` addresses (port
   * defaults to ours). A name is resolved to all its addresses, each tried,
   * and resolved again every `resolveInterval` to find new peers. Resolves
   * with the ids of the nodes reached.
   */
  async join(addrs: string[]): Promise<string[]> {
    this.assertOpen('join');
    if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string')) {
      throw new TypeError('join(addrs): addrs must be an array of strings');
    }
    const targets: string[] = [];
    const errors: Error[] = [];
    for (const addr of addrs) {
      const parsed = parseHostPort(addr.trim(), this.ownPort());
      if (!parsed || parsed.host === '') {
        errors.push(new Error(`${addr}: not host[:port]`));
        continue;
      }
      this.seeds.add(formatHostPort(parsed.host, parsed.port));
      try {
        for (const ip of await resolveHost(this.opts.resolver, parsed.host)) {
          targets.push(formatHostPort(ip, parsed.port));
        }
      } catch (err) {
        errors.push(new Error(`${addr}: cannot resolve: ${(err as Error).message}`));
      }
    }
    const others = [...new Set(targets)].filter((t) => !this.isOwnAddr(t));
    const results = await Promise.allSettled(others.map((t) => this.syncWith(t)));
    const joined: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value !== this.self.id && !joined.includes(r.value)) joined.push(r.value);
      } else errors.push(new Error(`${others[i]}: ${(r.reason as Error).message}`));
    });
    if (joined.length === 0 && errors.length > 0) {
      throw new GossipJoinError(`join failed: ${errors.map((e) => e.message).join('; ')}`, errors);
    }
    this.joinSucceeded = true; // issue-11: read by `status`
    return joined;
  }

  /**
   * Marks this node left and tells up to 3 live peers over TCP, waiting for
   * an acknowledgement. Rejects when peers were known but none acknowledged.
   * Local state cannot change afterwards.
   */
  async leave(): Promise<void> {
    this.assertOpen('leave');
    if (!this.hasLeft) {
      this.hasLeft = true;
      this.self.left = true;
      this.self.heartbeat++;
    }
    const peers = shuffle(this.liveRecords(), this.opts.random);
    if (peers.length === 0) return;
    const message = this.wire.encode({
      type: MessageType.Leave,
      clusterId: this.opts.clusterId,
      from: this.self.id,
      generation: this.self.generation,
      heartbeat: this.self.heartbeat,
      maxVersion: this.self.maxVersion,
    });
    const failures: string[] = [];
    for (let i = 0; i < peers.length && i < LEAVE_FANOUT * 3; i += LEAVE_FANOUT) {
      const batch = peers.slice(i, i + LEAVE_FANOUT);
      const results = await Promise.allSettled(batch.map((p) => this.request(p.addr, message)));
      let acked = 0;
      results.forEach((r, j) => {
        if (r.status === 'fulfilled' && r.value.type === MessageType.StreamAck) acked++;
        else
          failures.push(
            `${batch[j].id}: ${r.status === 'rejected' ? (r.reason as Error).message : 'no ack'}`,
          );
      });
      if (acked > 0) return;
    }
    throw new Error(`leave: no peer acknowledged (${failures.join('; ')})`);
  }

  /** Stops rounds and closes the sockets. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.roundTimer?.cancel();
    this.newsTimer?.cancel();
    this.resolveTimer?.cancel();
    this.metrics.detach();
    await this.transport?.close();
  }

  /**
   * Replaces the AES-256-GCM keys of a running node, for rotation without
   * restarts: give every node `[old, new]`, then `[new, old]`, then `[new]`,
   * each step on all nodes before the next. The first key seals, all open.
   * A sealed node stays sealed and a plain one plain: switching would cut
   * the node off from its peers, so it takes a restart on purpose.
   */
  setSecretKeys(keys: Array<string | Uint8Array>): void {
    this.assertOpen('setSecretKeys');
    const decoded = resolveSecretKeys(keys);
    if (decoded.length > 0 !== this.keyring.enabled) {
      throw new GossipConfigError(
        'secretKeys',
        this.keyring.enabled
          ? 'cannot be emptied on a sealed node (restart it without keys)'
          : 'cannot be set on a plain node (restart it with keys)',
        keys,
      );
    }
    this.keyring.replace(decoded);
  }

  /** Sets `key` on this node; throws RangeError past a size limit. */
  upsertLocal(key: string, value: string): void {
    this.assertWritable('upsertLocal');
    this.checkKey(key);
    if (typeof value !== 'string') throw new TypeError('upsertLocal: value must be a string');
    const size = Buffer.byteLength(value);
    if (size > this.opts.maxValueSize) {
      throw new RangeError(
        `upsertLocal: value of ${key} is ${size} bytes, over maxValueSize ${this.opts.maxValueSize}`,
      );
    }
    const existing = this.self.get(key);
    if (existing && !existing.deleted && existing.value === value) return;
    if (!existing && this.self.size >= this.opts.maxEntriesPerNode) {
      throw new RangeError(
        `upsertLocal: ${this.self.size} entries already, maxEntriesPerNode is ${this.opts.maxEntriesPerNode}`,
      );
    }
    this.self.put({
      key,
      value,
      version: this.self.maxVersion + 1,
      deleted: false,
      internal: false,
      deletedAt: 0,
    });
  }

  /** Deletes `key` on this node (a tombstone that gossip spreads, collected later). */
  deleteLocal(key: string): void {
    this.assertWritable('deleteLocal');
    this.checkKey(key);
    const existing = this.self.get(key);
    if (!existing || existing.deleted) return;
    this.self.put({
      key,
      value: '',
      version: this.self.maxVersion + 1,
      deleted: true,
      internal: existing.internal,
      deletedAt: this.opts.clock.now(),
    });
  }

  localNode(): NodeState {
    return this.nodeState(this.self);
  }

  node(id: string): NodeState | undefined {
    const record = this.state.records.get(id);
    return record ? this.nodeState(record) : undefined;
  }

  /** Every known node, this one included; left and unreachable ones until they expire. */
  nodes(): NodeMetadata[] {
    return [...this.state.records.values()].map((r) => this.metadata(r));
  }

  // ------------------------------------------------------------------ rounds

  private scheduleRound(): void {
    if (this.closed) return;
    const delay = this.opts.interval * (0.9 + 0.2 * this.opts.random());
    this.roundDue = this.opts.clock.now() + delay;
    this.roundTimer = this.opts.clock.setTimer(delay, () => {
      try {
        this.round();
      } catch (err) {
        this.logger.error(`round failed: ${(err as Error).stack ?? err}`);
      }
      this.scheduleRound();
    });
  }

  private round(): void {
    const started = performance.now();
    const now = this.opts.clock.now();
    // A round that runs late means this process was not running (a busy
    // event loop, a GC pause, a suspended VM): peers' news waited in our
    // socket too, so silence we did not observe is nobody's fault.
    const late = now - this.roundDue;
    if (late > 0) for (const record of this.state.records.values()) record.detector?.forgive(late);
    this.self.heartbeat++;
    this.followedUp.clear();
    this.detectFailures(now);
    this.expireNodes(now);
    if (now - this.lastGc >= GC_EVERY_MS) {
      this.lastGc = now;
      this.collectTombstones(now);
      this.state.sweep(now);
    }

    const live: NodeRecord[] = [];
    const unreachable: NodeRecord[] = [];
    for (const r of this.state.records.values()) {
      if (r === this.self || r.left) continue;
      (r.unreachable ? unreachable : live).push(r);
    }
    if (live.length > 0) this.sendSyn(live[Math.floor(this.opts.random() * live.length)]);
    if (unreachable.length > 0)
      this.sendSyn(unreachable[Math.floor(this.opts.random() * unreachable.length)]);
    this.metrics.observeRound((performance.now() - started) / 1000);
  }

  /**
   * Something new arrived (a write, a node, a leave): push it to a couple of
   * peers now instead of waiting for the next round, as rumor mongering
   * does on top of anti-entropy. Each informed node does the same, so news
   * crosses the cluster in a few network hops; pushes are coalesced to at
   * most one per fifth of an interval.
   */
  private announce(): void {
    if (this.closed || this.newsTimer) return;
    const wait = Math.max(0, this.lastNewsPush + this.opts.interval / 2 - this.opts.clock.now());
    this.newsTimer = this.opts.clock.setTimer(wait, () => {
      this.newsTimer = undefined;
      if (this.closed) return;
      this.lastNewsPush = this.opts.clock.now();
      const peers = shuffle(this.liveRecords(), this.opts.random).slice(0, NEWS_FANOUT);
      for (const peer of peers) this.sendSyn(peer);
    });
  }

  private detectFailures(now: number): void {
    for (const record of this.state.records.values()) {
      if (record === this.self || record.left || record.unreachable) continue;
      const detector = record.detector;
      if (!detector || detector.phi(now) <= this.opts.phiThreshold) continue;
      record.unreachable = true;
      record.expiresAt = now + this.opts.nodeExpiry;
      this.emit('onUnreachable', record.id);
    }
  }

  private expireNodes(now: number): void {
    for (const record of [...this.state.records.values()]) {
      if (record === this.self || record.expiresAt === undefined || record.expiresAt > now)
        continue;
      // Remember it long enough that peers still holding it cannot bring it back.
      this.state.markExpired(record, now + 3 * this.opts.nodeExpiry + 10 * this.opts.interval);
      this.emit('onExpired', record.id);
    }
  }

  private collectTombstones(now: number): void {
    const before = now - this.opts.tombstoneGracePeriod;
    for (const record of this.state.records.values()) record.collectTombstones(before);
  }

  // ------------------------------------------------------------ UDP exchange

  /** Bytes left for digest and delta in one datagram. */
  private packetBudget(): number {
    const fixed =
      2 +
      5 +
      Buffer.byteLength(this.opts.clusterId) +
      Buffer.byteLength(this.self.id) +
      FIXED_FIELDS_SLACK;
    return this.opts.maxPacketSize - this.wire.overhead - fixed;
  }

  /**
   * Opens an exchange with `peer`. A round's Syn carries our summary,
   * liveness news and the digest entries of nodes that changed lately (none
   * in a quiet cluster, where summaries agree and nothing more is sent). When they differ the peer answers with its digest; we push what
   * it lacks and, if we lack something, follow up with a Syn that carries
   * our digest (`full`).
   */
  private sendSyn(peer: NodeRecord, full = false): void {
    const summary = this.state.summary();
    // We cannot know the peer's membership: a vector for when it is ours, a few keyed heartbeats for when not.
    const { heartbeats, vector, budget } = this.liveness(FEW_HEARTBEATS, true);
    const digest = this.state.buildDigest(budget, this.opts.random, { hotOnly: !full });
    this.sendPacket(peer.addr, {
      type: MessageType.Syn,
      clusterId: this.opts.clusterId,
      from: this.self.id,
      partial: digest.partial,
      digest: digest.entries,
      summary,
      heartbeats,
      vector,
    });
    this.metrics.digestEntriesOutbound.inc(digest.entries.length);
  }

  /**
   * Liveness news for one packet: up to `keyed` heartbeats named by key
   * (usable by any peer) and, with `withVector`, the heartbeat vector
   * (usable by a peer whose summary equals ours), together within a third
   * of the packet; `budget` is what is left for digest and delta.
   */
  private liveness(
    keyed: number,
    withVector: boolean,
  ): { heartbeats: Uint8Array; vector: Uint8Array; budget: number } {
    const total = this.packetBudget();
    const share = Math.floor(total / 3);
    const heartbeats = this.state.buildHeartbeats(
      Math.min(share, HEARTBEATS_OVERHEAD + HEARTBEAT_BYTES * keyed),
    );
    const vectorRoom = Math.min(MAX_VECTOR_BYTES, share - heartbeats.length);
    const vector = withVector ? this.state.buildVector(vectorRoom) : new Uint8Array(0);
    return {
      heartbeats,
      vector,
      budget: total - heartbeats.length - vector.length - 2 * HEARTBEATS_OVERHEAD,
    };
  }

  private sendPacket(to: string, message: Outgoing): void {
    const bytes = this.wire.encode(message);
    if (bytes.length > this.opts.maxPacketSize) {
      // The builders budget every byte; reaching this is a bug, never a reason to send.
      this.logger.error(
        `refusing to send a ${bytes.length}-byte packet (maxPacketSize ${this.opts.maxPacketSize})`,
      );
      return;
    }
    this.metrics.packetsOutbound.inc();
    this.metrics.packetBytesOutbound.inc(bytes.length);
    this.transport.sendPacket(to, bytes);
  }

  private handler(): TransportHandler {
    return {
      onPacket: (data, from) => {
        try {
          this.onPacket(data, from);
        } catch (err) {
          // A bug, not bad input (that is refused and counted): log it, at most every 10 s.
          if (this.shouldLog('packet-error')) {
            this.logger.error(`packet from ${from} failed: ${(err as Error).stack ?? err}`);
          }
        }
      },
      onRequest: (data, from) => this.onRequest(data, from),
      onTransportReject: (reason) => this.reject(reason as RejectReason, 'transport'),
    };
  }

  private onPacket(data: Uint8Array, from: string): void {
    if (this.closed) return;
    this.metrics.packetsInbound.inc();
    this.metrics.packetBytesInbound.inc(data.length);
    const message = this.decode(data, from);
    if (!message) return;
    const now = this.opts.clock.now();
    switch (message.type) {
      case MessageType.Syn: {
        this.metrics.digestEntriesInbound.inc(message.digest.length);
        this.applyLiveness(message, now);
        this.applyDigest(message.digest, now);
        const summary = this.state.summary();
        // A peer with our membership reads our vector; one without needs heartbeats by key.
        const { heartbeats, vector, budget } = this.state.vectorUsable(message.vector)
          ? this.liveness(FEW_HEARTBEATS, true)
          : this.liveness(MANY_HEARTBEATS, false);
        const delta = this.state.buildDelta(
          message.digest,
          message.partial,
          Math.floor(budget / 2),
          this.opts.random,
        );
        // Same summary: nothing is owed either way, so no digest is needed.
        const digest = sameHash(message.summary, summary)
          ? undefined
          : this.state.buildDigest(budget - delta.size, this.opts.random, {
              first: message.digest.map((e) => e.id),
              // A Syn naming its news gets our side of that news; a bare one,
              // whose difference we cannot place, gets a whole (or random) digest.
              hotOnly: message.partial && message.digest.length > 0,
            });
        this.sendPacket(from, {
          type: MessageType.SynAck,
          clusterId: this.opts.clusterId,
          from: this.self.id,
          partial: digest?.partial ?? true,
          digest: digest?.entries ?? [],
          delta: delta.nodes,
          truncated: delta.truncated,
          summary,
          heartbeats,
          vector,
        });
        this.metrics.digestEntriesOutbound.inc(digest?.entries.length ?? 0);
        this.metrics.deltaEntriesOutbound.inc(delta.entryCount);
        break;
      }
      case MessageType.SynAck: {
        this.metrics.digestEntriesInbound.inc(message.digest.length);
        this.applyLiveness(message, now);
        this.applyDelta(message.delta, now);
        this.applyDigest(message.digest, now);
        if (message.truncated) this.startSync(from);
        this.followUp(message.from, message.delta.length, message.digest);
        const delta = this.state.buildDelta(
          message.digest,
          message.partial,
          this.packetBudget(),
          this.opts.random,
        );
        if (delta.nodes.length > 0 || delta.truncated) {
          this.sendPacket(from, {
            type: MessageType.Ack,
            clusterId: this.opts.clusterId,
            from: this.self.id,
            delta: delta.nodes,
            truncated: delta.truncated,
          });
          this.metrics.deltaEntriesOutbound.inc(delta.entryCount);
        }
        break;
      }
      case MessageType.Ack:
        this.applyDelta(message.delta, now);
        if (message.truncated) this.startSync(from);
        break;
      default:
        this.reject('type', from, `stream message type ${message.type} in a datagram`);
    }
  }

  /** Decodes and checks the cluster and sender; counts and returns undefined when refused. */
  private decode(data: Uint8Array, from: string): Message | undefined {
    let message: Message;
    try {
      message = this.wire.decode(data);
    } catch (err) {
      if (err instanceof DecodeError) this.reject(err.reason, from, err.message);
      else this.reject('decode', from, (err as Error).message);
      return undefined;
    }
    if (message.type === MessageType.StreamError) return message;
    if (message.clusterId !== this.opts.clusterId) {
      this.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
      return undefined;
    }
    if (message.from === this.self.id && message.type !== MessageType.StreamAck) {
      this.reject('self', from, 'a message claiming to come from this node');
      return undefined;
    }
    return message;
  }

  private reject(reason: RejectReason, from: string, detail?: string): void {
    this.metrics.rejected(reason);
    if (this.shouldLog(reason))
      this.logger.debug(`rejected message from ${from} (${reason})${detail ? `: ${detail}` : ''}`);
  }

  /** One log line per key per 10 s: a flood must not become a log flood. */
  private shouldLog(key: string): boolean {
    const now = Date.now();
    const last = this.lastLogged.get(key) ?? 0;
    if (now - last < 10_000) return false;
    this.lastLogged.set(key, now);
    return true;
  }

  // ---------------------------------------------------------------- merging

  /**
   * A reply to a digest-less Syn carries the peer's digest but no delta (it
   * could not know what we lack). When that digest shows we lack something,
   * open a full exchange at once rather than wait for a later round; once
   * per peer per round, so partial digests cannot make it loop.
   */
  private followUp(peerId: string, deltaNodes: number, digest: DigestEntry[]): void {
    if (deltaNodes > 0 || digest.length === 0 || this.followedUp.has(peerId)) return;
    const peer = this.state.records.get(peerId);
    if (!peer || peer === this.self) return;
    const lacking = digest.some((e) => {
      if (e.id === this.self.id || e.generation === 0) return false;
      const r = this.state.records.get(e.id);
      if (!r) return !e.left && !this.state.isGhost(e.id, e.generation, e.heartbeat);
      return (
        e.generation > r.generation ||
        (e.generation === r.generation && e.maxVersion > r.maxVersion)
      );
    });
    if (!lacking) return;
    this.followedUp.add(peerId);
    this.sendSyn(peer, true);
  }

  /** Heartbeats by key, and the vector when the sender's membership is ours (same records, same order). */
  private applyLiveness(
    message: { heartbeats: Uint8Array; vector: Uint8Array },
    now: number,
  ): void {
    const rise = (record: NodeRecord, heartbeat: number) => {
      if (record === this.self || heartbeat <= record.heartbeat) return;
      record.heartbeat = heartbeat;
      this.onHeartbeat(record, now);
    };
    this.state.readHeartbeats(message.heartbeats, rise);
    this.state.readVector(message.vector, rise);
  }

  private applyDigest(digest: DigestEntry[], now: number): void {
    for (const e of digest) {
      if (e.id === this.self.id || e.generation === 0) continue;
      const record = this.state.records.get(e.id);
      if (!record) {
        if (!e.left && !this.state.isGhost(e.id, e.generation, e.heartbeat)) {
          this.state.want(e.id, e.addr, now + 10 * this.opts.interval, this.opts.maxNodes);
        }
        continue;
      }
      if (e.generation !== record.generation) continue; // a newer one arrives as a delta
      if (e.heartbeat > record.heartbeat) {
        record.heartbeat = e.heartbeat;
        this.onHeartbeat(record, now);
      }
      if (e.left && !record.left) {
        record.left = true;
        this.onLeft(record, now);
      }
    }
  }

  private applyDelta(deltas: NodeDelta[], now: number): void {
    for (const delta of deltas) {
      this.metrics.deltaEntriesInbound.inc(delta.entries.length);
      if (delta.id === this.self.id) {
        if (delta.generation > this.self.generation) {
          this.reject('self', delta.addr, `a newer generation of our id`);
          if (this.shouldLog('id-clash'))
            this.logger.warn(`another node uses our id ${this.self.id} with a newer generation`);
        }
        continue;
      }
      const current = this.state.records.get(delta.id);
      if (!current) {
        if (this.state.isGhost(delta.id, delta.generation, delta.heartbeat)) continue;
        if (this.state.size >= this.opts.maxNodes) {
          this.reject('limit', delta.addr, `maxNodes ${this.opts.maxNodes} reached`);
          continue;
        }
      }
      const result = applyNodeDelta(current, delta, now, this.opts.maxEntriesPerNode);
      if (result.ignored === 'limit')
        this.reject('limit', delta.addr, `maxEntriesPerNode for ${delta.id}`);
      const record = result.record;
      if (!record) continue;
      if (record !== current) {
        if (current && result.replacedGeneration) {
          current.detector = undefined;
          this.emit('onExpired', current.id);
        }
        this.state.put(record);
        this.state.forgetExpired(record.id);
        this.state.unwant(record.id);
        if (result.created) {
          record.detector = this.newDetector(now);
          this.emit('onJoin', record.id);
        } else {
          record.detector = current?.detector; // same incarnation, reset: liveness carries over
        }
      }
      for (const change of result.changes) {
        if (change.kind === 'upsert') this.emit('onUpsertKey', record.id, change.key, change.value);
        else this.emit('onDeleteKey', record.id, change.key);
      }
      if (result.heartbeatIncreased && !result.created) this.onHeartbeat(record, now);
      if (result.becameLeft) this.onLeft(record, now);
    }
  }

  private newDetector(now: number): FailureDetector {
    const interval = this.opts.interval;
    // Heartbeat news about a node arrives every round or two, less regularly
    // in a large cluster (compact lists cover it in turn): start from two
    // intervals, never assume less spread than one interval, and always
    // allow one interval of lateness, so a busy event loop is not a death;
    // ten more intervals until the first few heartbeats of a new node arrived.
    return new FailureDetector(
      now,
      2 * interval,
      interval,
      interval,
      Math.max(10 * interval, 2000),
      10 * interval,
    );
  }

  private onHeartbeat(record: NodeRecord, now: number): void {
    const detector = record.detector;
    if (!detector) return;
    detector.heartbeat(now);
    if (record.unreachable && !record.left && detector.phi(now) <= this.opts.phiThreshold) {
      record.unreachable = false;
      record.expiresAt = undefined;
      this.emit('onReachable', record.id);
    }
  }

  private onLeft(record: NodeRecord, now: number): void {
    record.unreachable = false;
    record.expiresAt = now + this.opts.nodeExpiry;
    this.emit('onLeave', record.id);
  }

  // ------------------------------------------------------------ TCP streams

  private async request(to: string, bytes: Uint8Array): Promise<Message> {
    this.metrics.connectionsOutbound.inc();
    this.metrics.streamBytesOutbound.inc(bytes.length);
    const reply = await this.transport.request(to, bytes, this.opts.streamTimeout);
    this.metrics.streamBytesInbound.inc(reply.length);
    const message = this.decodeReply(reply, to);
    if (message.type === MessageType.StreamError) {
      throw new Error(`${to} refused: ${message.message.slice(0, MAX_REMOTE_TEXT)}`);
    }
    if (message.clusterId !== this.opts.clusterId) {
      throw new Error(
        `${to} is in cluster ${JSON.stringify(message.clusterId)}, not ${JSON.stringify(this.opts.clusterId)}`,
      );
    }
    return message;
  }

  /**
   * A stream reply. Refusals are sent plain, so a node whose keys differ
   * from ours can still tell us why; anything else that fails is counted.
   */
  private decodeReply(reply: Uint8Array, from: string): Message {
    try {
      return this.wire.decode(reply);
    } catch (err) {
      if (reply[0] === MessageType.StreamError) {
        try {
          return decodeMessage(reply, this.wireLimits);
        } catch {
          // not a readable refusal either: count the first failure
        }
      }
      const reason = err instanceof DecodeError ? err.reason : 'decode';
      this.reject(reason, from, (err as Error).message);
      throw new Error(`${from} sent a reply we refuse (${reason}): ${(err as Error).message}`);
    }
  }

  /** Background push-pull after a truncated delta; one at a time per peer, MAX_SYNCS in all. */
  private startSync(addr: string): void {
    if (this.syncing.has(addr) || this.syncing.size >= MAX_SYNCS || this.closed) return;
    this.syncing.add(addr);
    this.syncWith(addr)
      .catch((err: Error) => this.logger.debug(`sync with ${addr} failed: ${err.message}`))
      .finally(() => this.syncing.delete(addr));
  }

  /**
   * Full push-pull over TCP: send our whole digest, receive everything we
   * lack plus the peer's digest, then push what the peer lacks. Resolves
   * with the peer's id.
   */
  private async syncWith(addr: string): Promise<string> {
    const digest = this.state.buildDigest(Infinity, this.opts.random);
    const reply = await this.request(
      addr,
      this.wire.encode({
        type: MessageType.Sync,
        clusterId: this.opts.clusterId,
        from: this.self.id,
        digest: digest.entries,
      }),
    );
    if (reply.type !== MessageType.SyncReply)
      throw new Error(`${addr} answered a sync with message type ${reply.type}`);
    if (reply.from === this.self.id) return reply.from;
    this.absorb(reply);
    const delta = this.state.buildDelta(reply.digest, false, this.streamBudget(), this.opts.random);
    if (delta.nodes.length > 0) {
      this.metrics.deltaEntriesOutbound.inc(delta.entryCount);
      const ack = await this.request(
        addr,
        this.wire.encode({
          type: MessageType.Push,
          clusterId: this.opts.clusterId,
          from: this.self.id,
          delta: delta.nodes,
        }),
      );
      if (ack.type !== MessageType.StreamAck)
        throw new Error(`${addr} answered a push with message type ${ack.type}`);
    }
    return reply.from;
  }

  private absorb(reply: SyncReply): void {
    const now = this.opts.clock.now();
    this.metrics.digestEntriesInbound.inc(reply.digest.length);
    this.applyDelta(reply.delta, now);
    this.applyDigest(reply.digest, now);
  }

  private streamBudget(): number {
    return this.opts.maxStreamSize - this.wire.overhead - 1024;
  }

  private async onRequest(data: Uint8Array, from: string): Promise<Uint8Array> {
    this.metrics.connectionsInbound.inc();
    this.metrics.streamBytesInbound.inc(data.length);
    const reply = this.answer(data, from);
    this.metrics.streamBytesOutbound.inc(reply.length);
    return reply;
  }

  private answer(data: Uint8Array, from: string): Uint8Array {
    if (this.closed) throw new Error('closed');
    let message: Message;
    try {
      message = this.wire.decode(data);
    } catch (err) {
      const reason = err instanceof DecodeError ? err.reason : 'decode';
      this.reject(reason, from, (err as Error).message);
      if (!MISMATCH_REASONS.has(reason)) throw err;
      // Plain, so the joiner learns its keys or version differ from ours.
      return encodeMessage({
        type: MessageType.StreamError,
        code: reason,
        message: `node ${this.self.id} refused the message (${reason}): ${(err as Error).message}`,
      });
    }
    if (
      (message.type === MessageType.Push || message.type === MessageType.Leave) &&
      message.from === this.self.id
    ) {
      // Only we speak for ourselves: a leave in our name would make the cluster drop us.
      this.reject('self', from, 'a stream claiming to come from this node');
      throw new Error('message in our name');
    }
    if (message.type !== MessageType.StreamError && message.clusterId !== this.opts.clusterId) {
      this.reject('cluster', from, `cluster ${JSON.stringify(message.clusterId)}`);
      // Plain, so a peer with other settings can still read why.
      return encodeMessage({
        type: MessageType.StreamError,
        code: 'cluster',
        message: `node ${this.self.id} is in cluster ${JSON.stringify(this.opts.clusterId)}, not ${JSON.stringify(message.clusterId)}`,
      });
    }
    const now = this.opts.clock.now();
    const ack = () =>
      this.wire.encode({
        type: MessageType.StreamAck,
        clusterId: this.opts.clusterId,
        from: this.self.id,
      });
    switch (message.type) {
      case MessageType.Sync: {
        this.metrics.digestEntriesInbound.inc(message.digest.length);
        this.applyDigest(message.digest, now);
        const delta = this.state.buildDelta(
          message.digest,
          false,
          this.streamBudget(),
          this.opts.random,
        );
        const digest = this.state.buildDigest(Infinity, this.opts.random);
        this.metrics.deltaEntriesOutbound.inc(delta.entryCount);
        this.metrics.digestEntriesOutbound.inc(digest.entries.length);
        return this.wire.encode({
          type: MessageType.SyncReply,
          clusterId: this.opts.clusterId,
          from: this.self.id,
          digest: digest.entries,
          delta: delta.nodes,
        });
      }
      case MessageType.Push:
        this.applyDelta(message.delta, now);
        return ack();
      case MessageType.Leave: {
        const record = this.state.records.get(message.from);
        if (record && record.generation === message.generation) {
          if (message.heartbeat > record.heartbeat) {
            record.heartbeat = message.heartbeat;
            this.onHeartbeat(record, now);
          }
          if (!record.left) {
            record.left = true;
            this.onLeft(record, now);
          }
        }
        return ack();
      }
      default:
        this.reject('type', from, `message type ${message.type} on a stream`);
        throw new Error('unexpected message type');
    }
  }

  // ---------------------------------------------------------------- helpers

  private scheduleResolve(): void {
    if (this.closed) return;
    this.resolveTimer = this.opts.clock.setTimer(this.opts.resolveInterval, () => {
      this.resolveSeeds().finally(() => this.scheduleResolve());
    });
  }

  /** Looks the join names up again and syncs with any address no known node has. */
  private async resolveSeeds(): Promise<void> {
    const known = new Set(
      [...this.state.records.values()].filter((r) => !r.left).map((r) => r.addr),
    );
    for (const seed of this.seeds) {
      const parsed = parseHostPort(seed);
      if (!parsed) continue;
      let ips: string[];
      try {
        ips = await resolveHost(this.opts.resolver, parsed.host);
      } catch (err) {
        this.logger.debug(`re-resolving ${seed} failed: ${(err as Error).message}`);
        continue;
      }
      for (const ip of ips) {
        const addr = formatHostPort(ip, parsed.port);
        if (!known.has(addr) && !this.isOwnAddr(addr)) this.startSync(addr);
      }
    }
  }

  private ownPort(): number {
    return parseHostPort(this.transport?.localAddr ?? '')?.port ?? this.opts.bindPort;
  }

  private isOwnAddr(addr: string): boolean {
    return addr === this.self.addr || addr === this.transport.localAddr;
  }

  private liveRecords(): NodeRecord[] {
    return [...this.state.records.values()].filter(
      (r) => r !== this.self && !r.left && !r.unreachable,
    );
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new Error(`${operation}: gossip is closed`);
  }

  private assertWritable(operation: string): void {
    this.assertOpen(operation);
    if (this.hasLeft)
      throw new Error(
        `${operation}: this node has left the cluster; local state can no longer change`,
      );
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0)
      throw new TypeError('key must be a non-empty string');
    const size = Buffer.byteLength(key);
    if (size > this.opts.maxKeySize) {
      throw new RangeError(`key is ${size} bytes, over maxKeySize ${this.opts.maxKeySize}`);
    }
  }

  private emit<K extends keyof Watcher>(
    event: K,
    ...args: Parameters<NonNullable<Watcher[K]>>
  ): void {
    const handler = this.watcher?.[event] as ((...a: unknown[]) => void) | undefined;
    if (!handler) return;
    try {
      handler.apply(this.watcher, args);
    } catch (err) {
      this.logger.error(`watcher ${event} threw: ${(err as Error).stack ?? err}`);
    }
  }

  private metadata(record: NodeRecord): NodeMetadata {
    const meta: NodeMetadata = {
      id: record.id,
      addr: record.addr,
      version: record.maxVersion,
      left: record.left,
      unreachable: record.unreachable,
    };
    if (record.expiresAt !== undefined) meta.expiry = new Date(record.expiresAt);
    return meta;
  }

  private nodeState(record: NodeRecord): NodeState {
    return { ...this.metadata(record), entries: record.snapshot() };
  }

  private metricsSource(): MetricsSource {
    return {
      localId: this.opts.nodeId,
      entryCounts: () =>
        [...this.state.records.values()].map((r) => ({ nodeId: r.id, ...r.countByKind() })),
      nodeCounts: () => {
        const counts = { live: 0, unreachable: 0, left: 0 };
        for (const r of this.state.records.values()) {
          if (r.left) counts.left++;
          else if (r.unreachable) counts.unreachable++;
          else counts.live++;
        }
        return counts;
      },
      phiValues: () => {
        const now = this.opts.clock.now();
        const out: { nodeId: string; phi: number }[] = [];
        for (const r of this.state.records.values()) {
          if (r.detector) out.push({ nodeId: r.id, phi: r.detector.phi(now) });
        }
        return out;
      },
    };
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
