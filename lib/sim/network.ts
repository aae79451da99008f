import { GossipPeerError } from '../engine/vocabulary/errors';
import type { Transport, TransportFactory, TransportHandler } from '../engine/vocabulary/transport';
import { type LinkConfig, LinkTable } from './link';
import type { Rng } from './rng';
import { type TrafficCounters, type Violation, emptyCounters } from './traffic';
import type { NodeClock, VirtualClock } from './virtual-clock';

/** What a paused node does with traffic that arrives meanwhile. */
export type PauseInbox = 'queue' | 'drop';

/** One bound transport: a node's address on the simulated network. */
class Endpoint implements Transport {
  closed = false;
  /** Deliveries held while the node is paused (socket buffers), run on resume. */
  inbox: Array<() => void> = [];

  constructor(
    readonly network: SimNetwork,
    readonly localAddr: string,
    readonly nodeId: string,
    readonly clock: NodeClock,
    readonly handler: TransportHandler,
    readonly counters: TrafficCounters,
  ) {}

  sendPacket(to: string, data: Uint8Array): void {
    this.network.sendPacket(this, to, data);
  }

  request(to: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.network.request(this, to, data, timeoutMs);
  }

  async close(): Promise<void> {
    this.network.unbind(this);
  }

  /** Runs a delivery now, or holds it while the node is paused. */
  deliver(run: () => void, kind: 'packet' | 'stream'): void {
    if (this.closed || this.clock.isHalted) return;
    if (this.clock.isPaused) {
      const policy = kind === 'packet' ? this.network.pauseInbox : 'queue';
      if (policy === 'queue' && this.inbox.length < this.network.pauseInboxLimit)
        this.inbox.push(run);
      return;
    }
    run();
  }
}

/**
 * In-memory network carrying the engine's datagrams and request/reply
 * streams between simulated nodes, with faults set per link and changed
 * over time. Datagrams over `maxPacketSize` are recorded as violations
 * (as a real UDP socket would fail to send them), never silently dropped.
 */
export class SimNetwork {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly linkTable = new LinkTable();
  readonly violations: Violation[] = [];
  readonly counters = new Map<string, TrafficCounters>();
  /** Per round (interval since the start), totals over all nodes. */
  readonly perRound: TrafficCounters[] = [];
  /** Per node, per round: messages and bytes each node sent and received in each round. */
  readonly perNodeRound = new Map<string, TrafficCounters[]>();
  /** Datagrams dropped by loss or a cut, and duplicated. */
  dropped = 0;
  duplicated = 0;
  /** Largest datagram sent so far (it never exceeds `maxPacketSize` without a violation). */
  largestPacket = 0;
  pauseInbox: PauseInbox = 'queue';
  /** Sees every datagram sent (before faults apply): for recording and replay. */
  tap: ((from: string, to: string, data: Uint8Array) => void) | undefined;
  /** Deliveries a paused node holds (a socket receive buffer of ~200 KB is ~150 full datagrams); more are lost. */
  pauseInboxLimit = 256;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    readonly maxPacketSize: number,
    readonly maxStreamSize: number,
    /** Maps a virtual time to its round bucket, for `perRound`. */
    private readonly roundOf: (time: number) => number,
    /** Called when async work may have started (a stream promise settles). */
    private readonly onAsync: () => void,
  ) {}

  // ------------------------------------------------------------ configuration

  /** Changes the default behaviour of every link (fields not given are kept). */
  configure(config: Partial<LinkConfig>): void {
    this.linkTable.configure(config);
  }

  get defaultLink(): LinkConfig {
    return this.linkTable.defaultLink;
  }

  /** Overrides the link from `from` to `to` (node addresses), one way. */
  configureLink(from: string, to: string, config: Partial<LinkConfig>): void {
    this.linkTable.configureLink(from, to, config);
  }

  clearLinks(): void {
    this.linkTable.clearLinks();
  }

  /** Blocks all traffic from any of `from` to any of `to` (undefined: everyone); an id for `heal`. */
  cut(from: string[] | undefined, to: string[] | undefined): number {
    return this.linkTable.cut(from, to);
  }

  /** Removes one cut, or every cut when no id is given. */
  heal(id?: number): void {
    this.linkTable.heal(id);
  }

  blocked(from: string, to: string): boolean {
    return this.linkTable.blocked(from, to);
  }

  private link(from: string, to: string): LinkConfig {
    return this.linkTable.link(from, to);
  }

  // ------------------------------------------------------------ binding

  /** The engine's transport factory for one node. */
  factory(nodeId: string, clock: NodeClock): TransportFactory {
    return async (bindAddr: string, handler: TransportHandler) => {
      const existing = this.endpoints.get(bindAddr);
      if (existing && !existing.closed && !existing.clock.isHalted) {
        throw new Error(`EADDRINUSE ${bindAddr}`);
      }
      let counters = this.counters.get(nodeId);
      if (!counters) {
        counters = emptyCounters();
        this.counters.set(nodeId, counters);
      }
      const endpoint = new Endpoint(this, bindAddr, nodeId, clock, handler, counters);
      this.endpoints.set(bindAddr, endpoint);
      return endpoint;
    };
  }

  unbind(endpoint: Endpoint): void {
    endpoint.closed = true;
    endpoint.inbox = [];
    if (this.endpoints.get(endpoint.localAddr) === endpoint)
      this.endpoints.delete(endpoint.localAddr);
  }

  /** Delivers what a paused node's sockets held, after its overdue timers. */
  flushInbox(addr: string): void {
    const endpoint = this.endpoints.get(addr);
    if (!endpoint) return;
    const held = endpoint.inbox;
    endpoint.inbox = [];
    for (const run of held)
      this.clock.schedule(this.clock.now(), () => endpoint.deliver(run, 'stream'));
  }

  // ------------------------------------------------------------ datagrams

  sendPacket(from: Endpoint, to: string, data: Uint8Array): void {
    if (from.closed || from.clock.isHalted) return;
    if (data.length > this.maxPacketSize) {
      this.violations.push({
        at: this.clock.now(),
        kind: 'packet-oversize',
        from: from.localAddr,
        to,
        size: data.length,
        limit: this.maxPacketSize,
      });
      return;
    }
    if (data.length > this.largestPacket) this.largestPacket = data.length;
    this.tap?.(from.localAddr, to, data);
    this.count(from, 'packetsOut', 1);
    this.count(from, 'packetBytesOut', data.length);
    if (this.blocked(from.localAddr, to)) {
      this.dropped++;
      return;
    }
    const link = this.link(from.localAddr, to);
    if (this.rng.chance(link.loss)) {
      this.dropped++;
      return;
    }
    this.schedulePacket(from.localAddr, to, data, link);
    if (this.rng.chance(link.duplicate)) {
      this.duplicated++;
      this.schedulePacket(from.localAddr, to, data, link);
    }
  }

  /** Sends a datagram from the node bound at `from`, through the same checks as the engine's sends. */
  sendFrom(from: string, to: string, data: Uint8Array): void {
    const endpoint = this.endpoints.get(from);
    if (!endpoint) throw new Error(`nothing bound at ${from}`);
    this.sendPacket(endpoint, to, data);
  }

  /**
   * Delivers `data` to `to` as if `from` had sent it (a replay, a forged or
   * stale packet), subject to the same faults as real traffic.
   */
  inject(from: string, to: string, data: Uint8Array): void {
    if (this.blocked(from, to)) return;
    this.schedulePacket(from, to, data, this.link(from, to));
  }

  private schedulePacket(from: string, to: string, data: Uint8Array, link: LinkConfig): void {
    let delay = link.delay + (link.jitter > 0 ? this.rng.next() * link.jitter : 0);
    if (this.rng.chance(link.reorder)) delay += this.rng.next() * link.reorderDelay;
    this.clock.schedule(this.clock.now() + delay, () => {
      const target = this.endpoints.get(to);
      if (!target) return;
      target.deliver(() => {
        this.count(target, 'packetsIn', 1);
        this.count(target, 'packetBytesIn', data.length);
        target.handler.onPacket(data, from);
      }, 'packet');
    });
  }

  // ------------------------------------------------------------ streams

  /**
   * One request/reply exchange, as over TCP: reliable and ordered, but it
   * fails when the peer is gone (refused) or cut off (timeout).
   */
  request(from: Endpoint, to: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.onAsync();
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const timer = from.clock.setTimer(timeoutMs, () =>
        finish(() =>
          reject(
            new GossipPeerError('timeout', to, `stream to ${to} timed out after ${timeoutMs} ms`),
          ),
        ),
      );
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        settle();
        this.onAsync();
      };
      if (from.closed || from.clock.isHalted) return;
      if (data.length > this.maxStreamSize) {
        this.violations.push({
          at: this.clock.now(),
          kind: 'stream-oversize',
          from: from.localAddr,
          to,
          size: data.length,
          limit: this.maxStreamSize,
        });
        finish(() =>
          reject(
            new GossipPeerError(
              'too-large',
              to,
              `stream message of ${data.length} bytes is too large`,
            ),
          ),
        );
        return;
      }
      this.count(from, 'streamsOut', 1);
      this.count(from, 'streamBytesOut', data.length);
      if (this.blocked(from.localAddr, to)) return; // connect never completes: timeout
      const link = this.link(from.localAddr, to);
      const now = this.clock.now();
      this.clock.schedule(now + link.streamDelay + this.rng.next() * link.jitter, () => {
        const target = this.endpoints.get(to);
        if (!target || target.closed) {
          this.clock.schedule(this.clock.now() + link.delay, () =>
            finish(() =>
              reject(new GossipPeerError('unreachable', to, `connect ${to}: ECONNREFUSED`)),
            ),
          );
          return;
        }
        if (this.blocked(from.localAddr, to)) return;
        const broken = () =>
          this.clock.schedule(this.clock.now() + link.delay, () =>
            finish(() =>
              reject(new GossipPeerError('unreachable', to, `stream to ${to} broke (injected)`)),
            ),
          );
        if (link.streamLoss > 0 && this.rng.next() < link.streamLoss) return broken();
        if (link.streamDuplicate > 0 && this.rng.next() < link.streamDuplicate)
          target.deliver(() => {
            this.onAsync();
            target.handler.onRequest(data, from.localAddr).then(
              () => this.onAsync(),
              () => this.onAsync(),
            );
          }, 'stream');
        target.deliver(() => {
          this.count(target, 'streamBytesIn', data.length);
          this.onAsync();
          target.handler.onRequest(data, from.localAddr).then(
            (reply) =>
              link.streamLoss > 0 && this.rng.next() < link.streamLoss
                ? broken()
                : this.reply(from, target, reply, finish, resolve, reject),
            (err: Error) =>
              this.clock.schedule(this.clock.now() + link.delay, () =>
                finish(() =>
                  reject(
                    new GossipPeerError(
                      'unreachable',
                      to,
                      `${to} closed the stream: ${err.message}`,
                    ),
                  ),
                ),
              ),
          );
        }, 'stream');
      });
    });
  }

  private reply(
    from: Endpoint,
    target: Endpoint,
    reply: Uint8Array,
    finish: (settle: () => void) => void,
    resolve: (bytes: Uint8Array) => void,
    reject: (err: GossipPeerError) => void,
  ): void {
    if (target.closed || target.clock.isHalted) return;
    if (reply.length > this.maxStreamSize) {
      this.violations.push({
        at: this.clock.now(),
        kind: 'stream-oversize',
        from: target.localAddr,
        to: from.localAddr,
        size: reply.length,
        limit: this.maxStreamSize,
      });
      finish(() =>
        reject(
          new GossipPeerError(
            'too-large',
            target.localAddr,
            `reply of ${reply.length} bytes is too large`,
          ),
        ),
      );
      return;
    }
    this.count(target, 'streamBytesOut', reply.length);
    if (this.blocked(target.localAddr, from.localAddr)) return; // lost: the requester times out
    const link = this.link(target.localAddr, from.localAddr);
    this.clock.schedule(this.clock.now() + link.delay + this.rng.next() * link.jitter, () => {
      from.deliver(() => {
        this.count(from, 'streamBytesIn', reply.length);
        finish(() => resolve(reply));
      }, 'stream');
    });
  }

  /** Adds to a node's totals, its per-round counters and the cluster's per-round totals. */
  private count(endpoint: Endpoint, field: keyof TrafficCounters, n: number): void {
    const r = Math.max(0, this.roundOf(this.clock.now()));
    endpoint.counters[field] += n;
    while (this.perRound.length <= r) this.perRound.push(emptyCounters());
    this.perRound[r][field] += n;
    let rounds = this.perNodeRound.get(endpoint.nodeId);
    if (!rounds) {
      rounds = [];
      this.perNodeRound.set(endpoint.nodeId, rounds);
    }
    while (rounds.length <= r) rounds.push(emptyCounters());
    rounds[r][field] += n;
  }
}
