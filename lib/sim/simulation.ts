import { Registry } from 'prom-client';
import { Gossip } from '../engine/gossip';
import type { NodeMetadata, NodeState, NodeStatus } from '../engine/vocabulary/types';
import { SimDriver } from './driver';
import { DEFAULT_LINK, type LinkConfig } from './link';
import { SimNetwork } from './network';
import { type TrafficCounters, emptyCounters } from './traffic';
import { Rng } from './rng';
import { NodeClock, VirtualClock } from './virtual-clock';
import type { SimNode } from './sim-node';
import type { SimEngineOptions, SimulationOptions } from './sim-options';
import { type SimEvent, type SimLogLine, SimTrace } from './trace';
import { divergences, liveKeysOf, membershipConverged, problems } from './view-checks';

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
  private readonly trace: SimTrace;
  readonly startTime: number;
  readonly interval: number;
  private readonly rng: Rng;
  private readonly nodesById = new Map<string, SimNode>();
  private readonly byAddr = new Map<string, SimNode>();
  private readonly engineDefaults: SimEngineOptions;
  private readonly driver: SimDriver;
  private nextIndex = 0;

  constructor(options: SimulationOptions = {}) {
    this.rng = new Rng(options.seed ?? 1);
    this.startTime = options.startTime ?? 1e12;
    this.clock = new VirtualClock(this.startTime);
    this.driver = new SimDriver(this.clock);
    this.engineDefaults = options.engine ?? {};
    this.interval = this.engineDefaults.interval ?? 100;
    this.trace = new SimTrace(() => this.now(), options.recordEvents ?? true);
    this.network = new SimNetwork(
      this.clock,
      this.rng.fork(),
      this.engineDefaults.maxPacketSize ?? 1400,
      this.engineDefaults.maxStreamSize ?? 64 * 1024 * 1024,
      (t) => this.roundAt(t),
      () => this.driver.markAsync(),
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
  runFor(ms: number): Promise<void> {
    return this.driver.runFor(ms);
  }

  async runRounds(rounds: number): Promise<void> {
    await this.runFor(rounds * this.interval);
  }

  /**
   * Runs until `done()` holds, checking every `every` ms (default one
   * interval). Returns the virtual ms it took, or throws after `timeout`.
   */
  runUntil(
    done: () => boolean,
    { timeout, every }: { timeout: number; every?: number },
  ): Promise<number> {
    return this.driver.runUntil(done, timeout, every ?? this.interval);
  }

  /** Runs the simulation until `promise` settles (it needs virtual time to), then returns it. */
  settle<T>(promise: Promise<T>, timeout = 60_000): Promise<T> {
    return this.driver.settle(promise, timeout);
  }

  /** Events run so far (a cheap measure of simulation work). */
  get steps(): number {
    return this.driver.steps;
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
    const clock = new NodeClock(this.clock, () => this.driver.markAsync());
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
      logger: this.trace.loggerFor(node.id),
    });
    node.gossip.subscribe(this.trace.listenerFor(node.id));
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

  /** Every engine event, as it happens (also when `recordEvents` is off). */
  onEvent(listener: (event: SimEvent) => void): void {
    this.trace.onEvent(listener);
  }

  /** Every engine event so far, unless `recordEvents` is off. */
  get events(): SimEvent[] {
    return this.trace.events;
  }

  /** Every engine warning and error so far. */
  get logs(): SimLogLine[] {
    return this.trace.logs;
  }

  /** How `observer` currently sees node `nodeId`: `unknown` when it holds no record of it. */
  status(observer: string, nodeId: string): NodeStatus | 'unknown' {
    return this.gossip(observer).node(nodeId)?.status ?? 'unknown';
  }

  /** `observer`'s copy of `nodeId`'s state. */
  view(observer: string, nodeId: string): NodeState | undefined {
    return this.gossip(observer).node(nodeId);
  }

  /** Every node `observer` knows, with status. */
  members(observer: string): NodeMetadata[] {
    return this.gossip(observer).nodes();
  }

  /** Live key/values `observer` holds for `nodeId`. */
  liveKeys(observer: string, nodeId: string): Map<string, string> {
    return liveKeysOf(this.view(observer, nodeId));
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
    return divergences(among, limit);
  }

  converged(among?: SimNode[]): boolean {
    return this.divergences({ among, limit: 1 }).length === 0;
  }

  /** True when every running node knows every running node as live (states may still differ). */
  membershipConverged(among: SimNode[] = this.running): boolean {
    return membershipConverged(among);
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
    return problems(this.network.violations, this.logs);
  }

  /** Stops every node's timers (end of a test). */
  async shutdown(): Promise<void> {
    for (const node of this.all) {
      if (node.status === 'running' || node.status === 'paused') node.clock.halt();
      node.status = 'closed';
      await node.gossip.close();
    }
  }
}
