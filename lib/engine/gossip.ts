import { performance } from 'node:perf_hooks';
import { formatHostPort, parseHostPort } from './vocabulary/address';
import type { Timer } from './vocabulary/clock';
import { EntryTtls, ttlOf, type UpsertOptions } from './state/entry-ttl';
import { GossipJoinError, assertOpen, assertWritable, bindError } from './vocabulary/errors';
import { Keyring } from './codec/keyring';
import { deleteOwn, upsertOwn } from './state/local-writes';
import { consoleLogger } from './io/console-logger';
import { EventListeners } from './io/event-listeners';
import { inboundHandler } from './io/inbound';
import { Discovery } from './discovery/discovery';
import { Messenger } from './io/messenger';
import { GossipMetrics } from './io/metrics';
import { NodeRecord } from './state/node-record';
import { Outcome } from './state/outcome';
import {
  GossipOptions,
  ResolvedOptions,
  resolveOptions,
  resolveSecretKeys,
} from './config/options';
import { ProtocolCore, type CoreConfig } from './core/protocol';
import { shuffle } from './vocabulary/shuffle';
import type { GossipIdConflict } from './core/identity';
import { RoundTimers } from './io/round-timers';
import { Seeds } from './io/seeds';
import { StreamClient } from './io/stream-client';
import { socketTransport } from './io/socket-transport';
import type { TransportHandler } from './vocabulary/transport';
import { Tuning, deriveTuning } from './vocabulary/tuning';
import { type GossipEvent, type GossipListener, watcherListener } from './vocabulary/events';
import type { GossipPhase, NodeMetadata, NodeState } from './vocabulary/types';
import { metadata, metricsSource, nodeState } from './views';
import { Wire } from './codec/wire';
import { decodeLimits } from './codec/limits';
import type { Leadership } from './discovery/leadership';
import { createLeadership } from './leadership-host';
import type { ClusterMessages } from './messages/cluster-messages';
import { clusterMessages } from './messages-host';

/**
 * One cluster member, the public face of the engine: the API, the wiring
 * and the timers. The protocol itself is in ProtocolCore (protocol.ts), the
 * bytes and sockets in Messenger (messenger.ts); see docs/protocol.md.
 */
export class Gossip {
  readonly metrics: GossipMetrics;
  /** Discovery reads (members, holders, owners), indexed as the state changes. */
  readonly discovery: Discovery;
  /** One leader per role, with fencing tokens and a quorum guard: see discovery/leadership.ts. */
  readonly leadership: Leadership;
  /** Broadcasts, messages to one member and queries: see messages/cluster-messages.ts. */
  readonly messages: ClusterMessages;
  private readonly core: ProtocolCore;
  private readonly self: NodeRecord;
  private readonly keyring: Keyring;
  private readonly io: Messenger;
  private readonly listeners: EventListeners;
  private readonly seeds: Seeds;
  private readonly streams: StreamClient;
  private readonly tuning: Tuning;
  /** Countdowns of local entries written with `{ ttl }`. */
  private readonly ttls: EntryTtls;
  private readonly rounds: RoundTimers;
  private newsTimer: Timer | undefined;
  private lastNewsPush = -Infinity;
  /** The wait between news pushes now: `newsCoalesce`, longer while news keeps coming. */
  private newsWait = 0;
  /** When the last few news pushes went out, oldest first (their rate is bounded while news lasts). */
  private readonly recentPushes: number[] = [];
  /** When the pending push goes out. */
  private newsDue = 0;
  private closed = false;
  private joinedOnce = false;

  private constructor(
    private readonly opts: ResolvedOptions,
    generation: number,
  ) {
    const now = opts.clock.now();
    this.tuning = deriveTuning(opts);
    this.self = new NodeRecord(opts.nodeId, '', generation);
    const limits = decodeLimits(opts, this.tuning.arrayLengthSlack);
    this.keyring = new Keyring(opts.secretKeys);
    const wire = new Wire(this.keyring, limits);
    // The core's and the messenger's settings are built field by field, not
    // spread from the options: V8 gave each spread copy its own hidden class,
    // so with several nodes in one process (tests, the simulator, the bench)
    // every read of a setting on the hot paths was megamorphic.
    const coreConfig: CoreConfig = {
      clusterId: opts.clusterId,
      random: opts.random,
      tuning: this.tuning,
      maxPacketSize: opts.maxPacketSize,
      maxStreamSize: opts.maxStreamSize,
      maxNodes: opts.maxNodes,
      maxEntriesPerNode: opts.maxEntriesPerNode,
      phiThreshold: opts.phiThreshold,
      nodeExpiry: opts.nodeExpiry,
      tombstoneGracePeriod: opts.tombstoneGracePeriod,
      sealOverhead: wire.overhead,
    };
    this.core = new ProtocolCore(this.self, coreConfig, now, () => opts.clock.now());
    const records = this.core.state.records;
    this.discovery = new Discovery({ record: (id) => records.get(id), describe: metadata });
    this.discovery.refresh(this.self.id);
    this.metrics = new GossipMetrics(
      metricsSource(opts.nodeId, this.core.state, this.core.liveness.prober),
      opts.registry,
      opts.metricsPrefix,
    );
    const logger = opts.logger ?? consoleLogger;
    this.listeners = new EventListeners(logger);
    // The seed's callbacks are one more listener, first in line.
    if (opts.watcher) this.listeners.subscribe(watcherListener(opts.watcher));
    this.io = new Messenger({
      wire,
      limits,
      metrics: this.metrics,
      logger,
      listeners: this.listeners,
      clock: opts.clock,
      tuning: this.tuning,
      clusterId: opts.clusterId,
      maxPacketSize: opts.maxPacketSize,
      streamTimeout: opts.streamTimeout,
    });
    this.seeds = new Seeds(opts.resolver);
    this.streams = new StreamClient(
      this.core,
      this.io,
      this.metrics,
      opts.clock,
      this.tuning,
      (out) => this.perform(out),
    );
    this.ttls = new EntryTtls(opts.clock, (key) => {
      if (!this.closed && !this.self.left) this.deleteLocal(key);
    });
    this.rounds = new RoundTimers(
      opts.clock,
      { interval: opts.interval, jitter: this.tuning.roundJitter, random: opts.random },
      {
        round: (at, late) => {
          const started = performance.now();
          this.perform(this.core.round(at, late));
          this.metrics.observeRound((performance.now() - started) / 1000);
          this.leadership.tick();
        },
        probe: (at, late) => this.perform(this.core.midRound(at, late)),
        probeWanted: () => this.core.probeWanted(),
        // Leadership counts on a tick each round (its staleness is five of them).
        roundWanted: (at) => this.core.roundWanted(at) || this.leadership.campaigns().length > 0,
        skipped: () => this.core.skipRound(),
        error: (err) => this.io.error(`round failed: ${(err as Error).stack ?? err}`),
      },
    );
    this.leadership = createLeadership({
      self: this.self,
      records,
      opts,
      nodes: () => this.nodes(),
      ready: () => this.status === 'joined',
      writable: () => !this.closed && !this.self.left,
      refresh: () => this.discovery.refresh(this.self.id),
      warn: (message) => this.io.error(message),
      resync: () => this.syncWithSomePeer(),
    });
    this.messages = clusterMessages({
      self: this.self,
      records,
      opts,
      tuning: this.tuning,
      io: this.io,
      metrics: this.metrics,
      closed: () => this.closed,
    });
  }

  /**
   * Validates options, binds UDP and TCP on one port, and starts gossip
   * rounds. A bind failure is a GossipBindError naming `bindAddr` and the fix.
   */
  static async create(options: GossipOptions): Promise<Gossip> {
    const opts = resolveOptions(options);
    // A restart must outrank the previous incarnation: start time in ms.
    const gossip = new Gossip(opts, Math.max(1, Math.floor(opts.clock.now())));
    const factory = opts.transport ?? socketTransport(opts);
    try {
      gossip.io.transport = await factory(opts.bindAddr, gossip.handler());
    } catch (err) {
      gossip.metrics.detach();
      throw bindError(opts.bindAddr, err);
    }
    const bound = parseHostPort(gossip.io.transport.localAddr);
    gossip.self.addr = formatHostPort(
      opts.advertiseHost,
      opts.advertisePort ?? bound?.port ?? opts.bindPort,
    );
    gossip.rounds.start();
    gossip.core.state.onSummaryChange = (own) => {
      gossip.announce(own);
      gossip.rounds.reconsider(); // news: a round skipped for want of work has some now
    };
    // Sync with any address behind a join name that no known node has.
    gossip.seeds.watch(
      opts.clock,
      opts.resolveInterval,
      () => {
        const known = new Set<string>();
        for (const r of gossip.core.state.records.values()) if (!r.left) known.add(r.addr);
        return (addr) => known.has(addr) || gossip.isOwnAddr(addr);
      },
      (addr) => gossip.startSync(addr),
      (seed, err) => gossip.io.debug(`re-resolving ${seed} failed: ${err.message}`),
    );
    return gossip;
  }

  get nodeId(): string {
    return this.self.id;
  }

  /**
   * Calls `listener` with every `GossipEvent`, synchronously and in order,
   * until the returned function is called; subscribed once `create` has
   * resolved, it misses none (events come from I/O and timers). This node's
   * own `upsertLocal`/`deleteLocal` (TTL expiry included) and `leave()` come
   * as events with `local: true`. It must not block; what it throws is logged.
   */
  subscribe(listener: GossipListener): () => void {
    return this.listeners.subscribe(listener);
  }

  /**
   * Where this node stands: `joining` until a `join` resolved (`join([])`
   * included: this node founds the cluster) or a live peer reached us, then
   * `joined` for good (losing every peer later does not make it `joining`
   * again); `left` after `leave()`; `closed` after `close()`.
   */
  get status(): GossipPhase {
    if (this.closed) return 'closed';
    if (this.self.left) return 'left';
    if (!this.joinedOnce && this.core.livePeers().length > 0) this.joinedOnce = true;
    return this.joinedOnce ? 'joined' : 'joining';
  }

  /**
   * Joins the cluster through the given `host[:port]` addresses (port
   * defaults to ours). A name is resolved to all its addresses, each tried,
   * and resolved again every `resolveInterval` to find new peers. Resolves
   * with the ids of the nodes reached.
   */
  async join(addrs: string[]): Promise<string[]> {
    assertOpen(this.closed, 'join');
    if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string')) {
      throw new TypeError('join(addrs): addrs must be an array of strings');
    }
    const { targets, errors } = await this.seeds.resolve(addrs, this.ownPort());
    const others = targets.filter((t) => !this.isOwnAddr(t));
    const joined = await this.streams.syncWithEach(others, this.self.id, errors);
    // One identity per id: refused because a live node holds ours, this process must not join.
    const conflict = this.core.identity.refusedJoin(errors, this.opts.clock.now());
    if (conflict || (joined.length === 0 && errors.length > 0)) {
      throw new GossipJoinError(errors);
    }
    this.joinedOnce = true;
    return joined;
  }

  /**
   * Marks this node left and tells live peers over TCP, 3 at a time, until
   * one acknowledges (up to 9 peers in all). Rejects when peers were known
   * but none acknowledged.
   * Local state cannot change afterwards.
   */
  async leave(): Promise<void> {
    assertOpen(this.closed, 'leave');
    const leaving = !this.self.left;
    const message = this.core.streams.leave();
    this.localChange(leaving ? { type: 'leave', nodeId: this.self.id, local: true } : undefined);
    const peers = shuffle(this.core.livePeers(), this.opts.random);
    if (peers.length === 0) return;
    await this.streams.tellLeave(peers, message);
  }

  /** Stops rounds and closes the sockets. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rounds.stop();
    this.newsTimer?.cancel();
    this.seeds.stop();
    this.ttls.clear();
    this.messages.close();
    this.metrics.detach();
    this.leadership.refresh();
    await this.io.transport?.close();
  }

  /**
   * Replaces the AES-256-GCM keys of a running node, for rotation without
   * restarts: give every node `[old, new]`, then `[new, old]`, then `[new]`,
   * each step on all nodes before the next. The first key seals, all open.
   * A sealed node stays sealed and a plain one plain: switching would cut
   * the node off from its peers, so it takes a restart on purpose.
   */
  setSecretKeys(keys: Array<string | Uint8Array>): void {
    assertOpen(this.closed, 'setSecretKeys');
    this.keyring.rotate(resolveSecretKeys(keys), keys);
  }

  /**
   * Sets `key` on this node; throws RangeError past a size limit. With
   * `{ ttl }` the entry is deleted unless written again within `ttl` ms.
   */
  upsertLocal(key: string, value: string, options?: UpsertOptions): void {
    assertWritable(this.closed, this.self.left, 'upsertLocal');
    // Checked before the write, so a bad ttl changes nothing.
    const ttl = ttlOf(options);
    const changed = upsertOwn(this.self, key, value, this.opts);
    // Also when the value is unchanged: every write restarts (or, without ttl, ends) the countdown.
    this.ttls.set(key, ttl);
    const nodeId = this.self.id;
    this.localChange(changed ? { type: 'upsert-key', nodeId, key, value, local: true } : undefined);
  }

  /** Deletes `key` on this node (a tombstone that gossip spreads, collected later). */
  deleteLocal(key: string): void {
    assertWritable(this.closed, this.self.left, 'deleteLocal');
    const changed = deleteOwn(this.self, key, this.opts.clock.now(), this.opts);
    this.ttls.cancel(key);
    const nodeId = this.self.id;
    this.localChange(changed ? { type: 'delete-key', nodeId, key, local: true } : undefined);
  }

  /** Another process used this node's id within `nodeExpiry`: `addr` is where (the holder that refused us, or the copy). */
  get idConflict(): GossipIdConflict | undefined {
    return this.core.identity.conflict(this.opts.clock.now());
  }

  localNode(): NodeState {
    return nodeState(this.self);
  }

  node(id: string): NodeState | undefined {
    const record = this.core.state.records.get(id);
    return record ? nodeState(record) : undefined;
  }

  /** Every known node, this one included; left and unreachable ones until they expire. */
  nodes(): NodeMetadata[] {
    return [...this.core.state.records.values()].map(metadata);
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeMetadata[] {
    return this.core.livePeers().map(metadata);
  }

  /**
   * Something new arrived (a write, a node, a leave): push it to a couple of
   * peers now (ProtocolCore.news), coalesced to one push per `newsCoalesce`,
   * fewer while news keeps coming (`newsCoalesceMax`), and fewer still for
   * relayed news that lasts (`newsBurst`, `newsCoalesceLong`). `own`: our
   * record changed (our write or leave), which is never held back.
   */
  private announce(own = false): void {
    if (this.closed) return;
    const urgent = this.core.liveness.hasLivenessNews();
    if (this.newsTimer) {
      // Liveness news waits no longer than half an interval; our own news is not held.
      const soonest = urgent ? this.tuning.newsCoalesce : own ? this.newsWait : Infinity;
      if (this.newsDue <= this.lastNewsPush + soonest) return;
      this.newsTimer.cancel();
    }
    const now = this.opts.clock.now();
    const since = now - this.lastNewsPush;
    const { newsCoalesce, newsCoalesceMax } = this.tuning;
    if (urgent || since >= newsCoalesceMax) this.newsWait = newsCoalesce;
    else if (since < this.newsWait) this.newsWait = Math.min(newsCoalesceMax, 2 * this.newsWait);
    let wait = Math.max(0, this.lastNewsPush + this.newsWait - now);
    // News relayed while it lasts (a long run of joins, every node writing every
    // second): once `newsBurst` pushes went out within `hotWindow`, the next waits
    // `newsCoalesceLong`. Our own news goes out at once: its first hop matters most.
    const { newsBurst, newsCoalesceLong, hotWindow } = this.tuning;
    const pushes = this.recentPushes;
    const relayed = !urgent && !own;
    if (relayed && pushes.length === newsBurst && now - pushes[0] < hotWindow)
      wait = Math.max(wait, this.lastNewsPush + newsCoalesceLong - now);
    this.newsDue = now + wait;
    this.newsTimer = this.opts.clock.setTimer(wait, () => {
      this.newsTimer = undefined;
      if (this.closed) return;
      this.lastNewsPush = this.opts.clock.now();
      // Only pushes of relayed news count: a crash seen by everyone or our own write holds nothing back.
      if (relayed) this.recentPushes.push(this.lastNewsPush);
      if (this.recentPushes.length > this.tuning.newsBurst) this.recentPushes.shift();
      this.perform(this.core.news());
    });
  }

  private handler(): TransportHandler {
    return inboundHandler({
      core: this.core,
      io: this.io,
      streams: this.streams,
      opts: this.opts,
      metrics: this.metrics,
      selfId: this.self.id,
      messages: this.messages,
      isClosed: () => this.closed,
      perform: (out) => this.perform(out),
    });
  }

  private perform(out: Outcome): void {
    // An accusation or verdict is found after the summary changed: its push must not wait out a join storm's backoff.
    if (this.newsTimer && this.core.liveness.hasLivenessNews()) this.announce();
    // Before the events reach watchers, so a handler reading discovery sees them.
    this.discovery.apply(out.events);
    this.io.perform(out, (addr, request) => this.streams.runSync(addr, request));
    if (out.events.length === 0) return;
    this.leadership.refresh();
    this.messages.review();
  }

  /** After a local write or leave: the index and leadership first, then listeners (`local: true`). */
  private localChange(event: GossipEvent | undefined): void {
    this.discovery.refresh(this.self.id);
    this.leadership.refresh();
    if (event) this.listeners.deliver(event);
  }

  /**
   * A full sync with one live peer chosen at random, now (leadership asks
   * after a gap in our running). True once done, or when there is no peer.
   */
  private async syncWithSomePeer(): Promise<boolean> {
    if (this.closed || this.self.left) return false;
    const peers = [...this.core.state.records.values()].filter(
      (r) => r !== this.self && !r.left && r.vitals.status === 'alive',
    );
    if (peers.length === 0) return true;
    const peer = peers[Math.floor(this.opts.random() * peers.length)];
    try {
      await this.streams.syncWith(peer.addr, this.core.streams.request());
      return true;
    } catch {
      return false; // tried again next round
    }
  }

  /** Starts a background sync with `addr` when the core grants a slot. */
  private startSync(addr: string): void {
    if (this.closed) return;
    const out = new Outcome();
    this.core.startSync(addr, out);
    this.perform(out);
  }

  private ownPort(): number {
    return parseHostPort(this.io.transport?.localAddr ?? '')?.port ?? this.opts.bindPort;
  }

  private isOwnAddr(addr: string): boolean {
    return addr === this.self.addr || addr === this.io.transport.localAddr;
  }
}
