import { Registry } from 'prom-client';
import { type GossipEventType, eventWatcher } from '../engine/vocabulary/events';
import { Gossip } from '../engine/gossip';
import type { GossipOptions } from '../engine/config/options';
import type { GossipLogger, NodeMetadata, NodeState, Watcher } from '../engine/vocabulary/types';
import { DEFAULT_LINK, LinkConfig, SimNetwork, TrafficCounters, emptyCounters } from './network';
import { Rng } from './rng';
import { NodeClock, VirtualClock } from './virtual-clock';

/** Engine options the simulation sets itself. */
type ManagedOption = 'bindAddr' | 'nodeId' | 'clock' | 'transport' | 'random' | 'resolver';
export type SimEngineOptions = Omit<GossipOptions, ManagedOption>;

export interface SimulationOptions {
  /** Same seed, same run, event for event. Default 1. */
  seed?: number;
  /** Virtual time at start, in ms. Large, so a restart gets a higher generation. Default 1e12. */
  startTime?: number;
  /** Engine options for every node (interval, nodeExpiry, maxPacketSize, ...). */
  engine?: SimEngineOptions;
  /** Default link behaviour. */
  link?: Partial<LinkConfig>;
  /** Keep every watcher event in `events`. Default true; turn off for large runs and use `onEvent`. */
  recordEvents?: boolean;
}

/** The engine's event types (lib/engine/events.ts). */
export type SimEventType = GossipEventType;

/** A watcher event, stamped with virtual time. `node` saw it happen to `subject`. */
export interface SimWatcherEvent {
  at: number;
  node: string;
  type: SimEventType;
  subject: string;
  key?: string;
  value?: string;
}

export interface SimLogLine {
  at: number;
  node: string;
  level: 'warn' | 'error';
  message: string;
}

export type NodeStatus = 'running' | 'paused' | 'crashed' | 'closed';

/** One simulated process running a real `Gossip` engine. */
export interface SimNode {
  readonly id: string;
  readonly addr: string;
  gossip: Gossip;
  clock: NodeClock;
  status: NodeStatus;
  /** 1 for the first start, +1 per restart. */
  incarnation: number;
}

/** How a node sees another: `unknown` when it holds no record of it. */
export type ViewStatus = 'live' | 'unreachable' | 'left' | 'unknown';

const PORT = 7946;

/**
 * A whole cluster in one process: real engines on a virtual clock and an
 * in-memory network, driven event by event. Nothing here reimplements the
 * protocol; it only supplies time, packets, randomness and faults, and
 * watches what the engines do.
 */
export class Simulation {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  readonly registry = new Registry();
  readonly events: SimWatcherEvent[] = [];
  readonly logs: SimLogLine[] = [];
  readonly startTime: number;
  readonly interval: number;
  private readonly rng: Rng;
  private readonly nodesById = new Map<string, SimNode>();
  private readonly byAddr = new Map<string, SimNode>();
  private readonly listeners: Array<(event: SimWatcherEvent) => void> = [];
  private readonly engineDefaults: SimEngineOptions;
  private readonly recordEvents: boolean;
  private dirty = false;
  private nextIndex = 0;
  /** Events run so far (a cheap measure of simulation work). */
  steps = 0;

  constructor(options: SimulationOptions = {}) {
    this.rng = new Rng(options.seed ?? 1);
    this.startTime = options.startTime ?? 1e12;
    this.clock = new VirtualClock(this.startTime);
    this.engineDefaults = options.engine ?? {};
    this.interval = this.engineDefaults.interval ?? 100;
    this.recordEvents = options.recordEvents ?? true;
    this.network = new SimNetwork(
      this.clock,
      this.rng.fork(),
      this.engineDefaults.maxPacketSize ?? 1400,
      this.engineDefaults.maxStreamSize ?? 64 * 1024 * 1024,
      (t) => this.roundAt(t),
      () => (this.dirty = true),
    );
    this.network.configure({ ...DEFAULT_LINK, ...options.link });
  }

  // ------------------------------------------------------------------ time

  now(): number {
    return this.clock.now();
  }

  /** Gossip rounds (intervals) since the start, for a virtual time. */
  roundAt(time: number): number {
    return Math.floor((time - this.startTime) / this.interval);
  }

  get round(): number {
    return this.roundAt(this.now());
  }

  /** Runs every event due in the next `ms` of virtual time. */
  async runFor(ms: number): Promise<void> {
    await this.runTo(this.now() + ms);
  }

  async runRounds(rounds: number): Promise<void> {
    await this.runFor(rounds * this.interval);
  }

  /**
   * Runs until `done()` holds, checking every `every` ms (default one
   * interval). Returns the virtual ms it took, or throws after `timeout`.
   */
  async runUntil(
    done: () => boolean,
    { timeout, every }: { timeout: number; every?: number },
  ): Promise<number> {
    const start = this.now();
    const step = every ?? this.interval;
    while (!done()) {
      if (this.now() - start >= timeout) {
        throw new Error(`condition not met within ${timeout} ms of virtual time`);
      }
      await this.runFor(Math.min(step, start + timeout - this.now()));
    }
    return this.now() - start;
  }

  /** Runs the simulation until `promise` settles (it needs virtual time to), then returns it. */
  async settle<T>(promise: Promise<T>, timeout = 60_000): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    await drain();
    const limit = this.now() + timeout;
    while (!done && this.clock.step(limit)) await this.afterStep();
    if (!done) throw new Error(`operation did not complete within ${timeout} ms of virtual time`);
    return promise;
  }

  private async runTo(limit: number): Promise<void> {
    while (this.clock.step(limit)) await this.afterStep();
    this.clock.advanceTo(limit);
  }

  private async afterStep(): Promise<void> {
    this.steps++;
    if (this.dirty) {
      // Engine code awaited something (a stream reply, a timer's async work):
      // let its continuations run before time moves on.
      this.dirty = false;
      await drain();
    }
  }

  // ----------------------------------------------------------------- nodes

  /** Starts a node (not yet joined). `id` defaults to n<index>. */
  async addNode(id?: string, engine: SimEngineOptions = {}): Promise<SimNode> {
    const index = this.nextIndex;
    const nodeId = id ?? `n${index}`;
    if (this.nodesById.has(nodeId)) throw new Error(`node ${nodeId} exists`);
    const node = await this.process(nodeId, engine);
    this.nodesById.set(nodeId, node);
    return node;
  }

  /**
   * A second process with the id of a running node, at a new address (a
   * misconfigured duplicate): not joined, and not among `all` (drive it
   * through the returned node; its events are recorded under `id`).
   */
  async addCopy(id: string, engine: SimEngineOptions = {}): Promise<SimNode> {
    return this.process(this.node(id).id, engine);
  }

  private async process(nodeId: string, engine: SimEngineOptions): Promise<SimNode> {
    const index = this.nextIndex++;
    const addr = `10.${((index + 1) >> 16) & 255}.${((index + 1) >> 8) & 255}.${(index + 1) & 255}:${PORT}`;
    const node: SimNode = {
      id: nodeId,
      addr,
      gossip: undefined as unknown as Gossip,
      clock: undefined as unknown as NodeClock,
      status: 'running',
      incarnation: 0,
    };
    await this.boot(node, engine);
    this.byAddr.set(addr, node);
    return node;
  }

  /**
   * Starts `count` nodes and joins them. `full` (default): each joins the
   * first node, then syncs with it again, so every node knows every node.
   * `sparse`: all join at once, each through one random earlier node, so
   * each starts knowing only a few and gossip spreads membership (the only
   * way to start very large clusters: a full view costs N² records).
   */
  async startCluster(
    count: number,
    {
      bootstrap = 'full',
      engine = {},
    }: { bootstrap?: 'full' | 'sparse'; engine?: SimEngineOptions } = {},
  ): Promise<SimNode[]> {
    const nodes: SimNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(await this.addNode(undefined, engine));
    if (count < 2) return nodes;
    if (bootstrap === 'sparse') {
      // Each joins a random earlier node: a random tree, so the cluster is connected.
      const joins = nodes.slice(1).map((n, i) => n.gossip.join([nodes[this.rng.int(i + 1)].addr]));
      await this.settle(Promise.all(joins));
      return nodes;
    }
    const seed = nodes[0];
    const rest = nodes.slice(1);
    await this.settle(Promise.all(rest.map((n) => n.gossip.join([seed.addr]))));
    await this.settle(Promise.all(rest.map((n) => n.gossip.join([seed.addr]))));
    return nodes;
  }

  private async boot(node: SimNode, engine: SimEngineOptions): Promise<void> {
    const clock = new NodeClock(this.clock, () => (this.dirty = true));
    const random = this.rng.fork().fn;
    node.clock = clock;
    node.incarnation++;
    node.status = 'running';
    node.gossip = await Gossip.create({
      registry: this.registry,
      ...this.engineDefaults,
      ...engine,
      bindAddr: node.addr,
      nodeId: node.id,
      clock,
      random,
      transport: this.network.factory(node.id, clock),
      resolver: async (host) => [host],
      watcher: this.watcherFor(node.id),
      logger: this.loggerFor(node.id),
    });
  }

  node(id: string): SimNode {
    const node = this.nodesById.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  gossip(id: string): Gossip {
    return this.node(id).gossip;
  }

  get all(): SimNode[] {
    return [...this.nodesById.values()];
  }

  /** Nodes whose process runs and is not paused. */
  get running(): SimNode[] {
    return this.all.filter((n) => n.status === 'running');
  }

  ids(nodes: SimNode[] = this.all): string[] {
    return nodes.map((n) => n.id);
  }

  /** Joins `id` to the cluster through `via` (ids), running the simulation until it completes. */
  async join(id: string, via: string[]): Promise<string[]> {
    return this.settle(this.gossip(id).join(via.map((v) => this.node(v).addr)));
  }

  /** Graceful leave (tells peers), running the simulation until it completes. */
  async leave(id: string): Promise<void> {
    await this.settle(this.gossip(id).leave());
  }

  /** Graceful close (no leave): timers stop and the address is released. */
  async close(id: string): Promise<void> {
    const node = this.node(id);
    node.status = 'closed';
    await node.gossip.close();
  }

  /** The process dies: no leave, no close, its timers never fire and its traffic vanishes. */
  crash(id: string): void {
    const node = this.node(id);
    node.clock.halt();
    node.status = 'crashed';
  }

  /** A new process with the same id and address and empty state (a higher generation), joined through `via`. */
  async restart(id: string, via: string[], engine: SimEngineOptions = {}): Promise<SimNode> {
    const node = this.node(id);
    if (node.status !== 'crashed' && node.status !== 'closed') this.crash(id);
    await this.boot(node, engine);
    if (via.length > 0) await this.join(id, via);
    return node;
  }

  /** The process stops (a GC pause, a suspended VM): no timers; traffic waits in its socket buffers. */
  pause(id: string): void {
    const node = this.node(id);
    if (node.status !== 'running') throw new Error(`cannot pause ${id}: ${node.status}`);
    node.clock.pause();
    node.status = 'paused';
  }

  /**
   * Overdue timers fire at once, then the buffered traffic is delivered; or,
   * with `inboxFirst`, the other way round (as Node does when a socket's
   * queue is polled before the timers phase).
   */
  resume(id: string, { inboxFirst = false }: { inboxFirst?: boolean } = {}): void {
    const node = this.node(id);
    if (node.status !== 'paused') throw new Error(`cannot resume ${id}: ${node.status}`);
    node.status = 'running';
    if (inboxFirst) this.network.flushInbox(node.addr);
    node.clock.resume();
    if (!inboxFirst) this.network.flushInbox(node.addr);
  }

  /** Pauses `id` now and resumes it `ms` later, while everything else runs. */
  pauseFor(id: string, ms: number): void {
    this.pause(id);
    const node = this.node(id);
    const clock = node.clock;
    // Resume only this pause: not a node resumed, crashed or restarted meanwhile.
    this.clock.schedule(this.now() + ms, () => {
      if (node.clock === clock && node.status === 'paused') this.resume(id);
    });
  }

  // -------------------------------------------------------- network faults

  /** Sets the default link behaviour (loss, delay, jitter, duplicate, reorder...). */
  faults(config: Partial<LinkConfig>): void {
    this.network.configure(config);
  }

  /** Link behaviour from node `from` to node `to`, one way. */
  faultsOnLink(from: string, to: string, config: Partial<LinkConfig>): void {
    this.network.configureLink(this.node(from).addr, this.node(to).addr, config);
  }

  /** A two-way partition between two groups of nodes; returns cut ids for `heal`. */
  partition(a: string[], b: string[]): number[] {
    return [this.cutOneWay(a, b), this.cutOneWay(b, a)];
  }

  /** Traffic from `from` to `to` is lost; the other direction still flows. */
  cutOneWay(from: string[], to: string[]): number {
    return this.network.cut(this.addrs(from), this.addrs(to));
  }

  /** Cuts one node off from everyone, both ways. */
  isolate(id: string): number[] {
    const addr = [this.node(id).addr];
    return [this.network.cut(addr, undefined), this.network.cut(undefined, addr)];
  }

  /** Removes the given cuts, or all of them. */
  heal(cuts?: number[]): void {
    if (!cuts) this.network.heal();
    else for (const c of cuts) this.network.heal(c);
  }

  private addrs(ids: string[]): string[] {
    return ids.map((id) => this.node(id).addr);
  }

  // ------------------------------------------------------------ observers

  onEvent(listener: (event: SimWatcherEvent) => void): void {
    this.listeners.push(listener);
  }

  /** How `observer` currently sees `subject`. */
  status(observer: string, subject: string): ViewStatus {
    const record = this.gossip(observer).node(subject);
    if (!record) return 'unknown';
    if (record.left) return 'left';
    return record.unreachable ? 'unreachable' : 'live';
  }

  /** `observer`'s copy of `subject`'s state. */
  view(observer: string, subject: string): NodeState | undefined {
    return this.gossip(observer).node(subject);
  }

  /** Every node `observer` knows, with status. */
  members(observer: string): NodeMetadata[] {
    return this.gossip(observer).nodes();
  }

  /** Live key/values `observer` holds for `subject`. */
  liveKeys(observer: string, subject: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.view(observer, subject)?.entries ?? []) {
      if (!e.deleted) out.set(e.key, e.value);
    }
    return out;
  }

  /**
   * What keeps the running nodes from agreeing: for every running node and
   * every running owner, the observer must see the owner live and hold
   * exactly the owner's entries (tombstones included) and version.
   * Empty when converged. At most `limit` lines.
   */
  divergences({
    among = this.running,
    limit = 20,
  }: { among?: SimNode[]; limit?: number } = {}): string[] {
    const out: string[] = [];
    const owners = among.map((n) => ({ id: n.id, meta: n.gossip.node(n.id)! }));
    // Cheap pass on metadata first; entries are compared only once every version agrees.
    for (const observer of among) {
      const seen = new Map(observer.gossip.nodes().map((m) => [m.id, m]));
      for (const owner of owners) {
        if (owner.id === observer.id) continue;
        const m = seen.get(owner.id);
        const problem = !m
          ? 'unknown'
          : m.left
            ? 'left'
            : m.unreachable
              ? 'unreachable'
              : m.version !== owner.meta.version
                ? `version ${m.version} != ${owner.meta.version}`
                : undefined;
        if (problem) {
          out.push(`${observer.id} sees ${owner.id}: ${problem}`);
          if (out.length >= limit) return out;
        }
      }
    }
    if (out.length > 0) return out;
    for (const owner of owners) {
      const state = this.gossip(owner.id).localNode();
      for (const observer of among) {
        if (owner.id === observer.id) continue;
        const seen = observer.gossip.node(owner.id);
        if (!seen || !sameEntries(seen, state)) {
          out.push(`${observer.id} sees ${owner.id}: entries differ`);
          if (out.length >= limit) return out;
        }
      }
    }
    return out;
  }

  converged(among?: SimNode[]): boolean {
    return this.divergences({ among, limit: 1 }).length === 0;
  }

  /** True when every running node knows every running node as live (states may still differ). */
  membershipConverged(among: SimNode[] = this.running): boolean {
    const ids = among.map((n) => n.id);
    return among.every((observer) =>
      ids.every((id) => id === observer.id || this.status(observer.id, id) === 'live'),
    );
  }

  /** Datagram and stream counters of one node. */
  traffic(id: string): TrafficCounters {
    return this.network.counters.get(id) ?? emptyCounters();
  }

  /** Datagram and stream counters of one node, round by round (index: rounds since the start). */
  trafficPerRound(id: string): TrafficCounters[] {
    return this.network.perNodeRound.get(id) ?? [];
  }

  /** Engine error logs and network violations: a correct run has none. */
  problems(): string[] {
    return [
      ...this.network.violations.map(
        (v) => `${v.kind}: ${v.from} -> ${v.to} ${v.size} bytes (limit ${v.limit}) at ${v.at}`,
      ),
      ...this.logs.filter((l) => l.level === 'error').map((l) => `${l.node}: ${l.message}`),
    ];
  }

  /** Stops every node's timers (end of a test). */
  async shutdown(): Promise<void> {
    for (const node of this.all) {
      if (node.status === 'running' || node.status === 'paused') node.clock.halt();
      node.status = 'closed';
      await node.gossip.close();
    }
  }

  private watcherFor(nodeId: string): Watcher {
    const emit = (type: SimEventType, subject: string, key?: string, value?: string) => {
      if (!this.recordEvents && this.listeners.length === 0) return;
      const event: SimWatcherEvent = { at: this.now(), node: nodeId, type, subject };
      if (key !== undefined) event.key = key;
      if (value !== undefined) event.value = value;
      if (this.recordEvents) this.events.push(event);
      for (const listener of this.listeners) listener(event);
    };
    return eventWatcher((e) =>
      emit(e.type, e.nodeId, 'key' in e ? e.key : undefined, 'value' in e ? e.value : undefined),
    );
  }

  private loggerFor(nodeId: string): GossipLogger {
    return {
      debug: () => undefined,
      warn: (message) => this.logs.push({ at: this.now(), node: nodeId, level: 'warn', message }),
      error: (message) => this.logs.push({ at: this.now(), node: nodeId, level: 'error', message }),
    };
  }
}

function sameEntries(a: NodeState, b: NodeState): boolean {
  if (a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i];
    const y = b.entries[i];
    if (
      x.key !== y.key ||
      x.value !== y.value ||
      x.version !== y.version ||
      x.deleted !== y.deleted ||
      x.internal !== y.internal
    )
      return false;
  }
  return true;
}

/** Lets every queued promise continuation run. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
