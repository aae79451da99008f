import {
  GOSSIP_DEFAULTS,
  Gossip,
  GossipEvent,
  GossipOptions,
  GossipPeerError,
  socketTransport,
} from '../../lib/engine';
import type { TransportFactory } from '../../lib/engine';
import { waitFor } from './wait';

/** One event a watcher saw. */
export type SeenEvent = GossipEvent;

/** Records every event about other nodes, in order (as the seed's Watcher saw them). */
export function recordingWatcher(): { events: SeenEvent[]; listener: (e: GossipEvent) => void } {
  const events: SeenEvent[] = [];
  return {
    events,
    listener: (e) => {
      if (!('local' in e && e.local)) events.push(e);
    },
  };
}

export interface TestNode {
  gossip: Gossip;
  watcher: ReturnType<typeof recordingWatcher>;
  id: string;
  addr: string;
}

export const quietLogger = {
  debug: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

/**
 * The real socket transport, but traffic the node sends goes only to the
 * addresses in `allowed`. Fuzzed messages name made-up nodes and
 * addresses; without this a node would gossip with whatever they name.
 * Inbound traffic, which is what the tests attack, is untouched.
 */
export function guardedTransport(
  options: Partial<GossipOptions>,
  allowed: Set<string>,
): TransportFactory {
  const inner = socketTransport({
    maxPacketSize: options.maxPacketSize ?? GOSSIP_DEFAULTS.maxPacketSize,
    maxStreamSize: options.maxStreamSize ?? GOSSIP_DEFAULTS.maxStreamSize,
    maxInboundStreams: options.maxInboundStreams ?? GOSSIP_DEFAULTS.maxInboundStreams,
    streamTimeout: options.streamTimeout ?? GOSSIP_DEFAULTS.streamTimeout,
  });
  return async (bindAddr, handler) => {
    const transport = await inner(bindAddr, handler);
    allowed.add(transport.localAddr);
    return {
      get localAddr() {
        return transport.localAddr;
      },
      sendPacket: (to, data) => {
        if (allowed.has(to)) transport.sendPacket(to, data);
      },
      request: (to, data, timeoutMs) =>
        allowed.has(to)
          ? transport.request(to, data, timeoutMs)
          : Promise.reject(new GossipPeerError('unreachable', to, `${to} is not a test node`)),
      close: () => transport.close(),
    };
  };
}

export interface StartOptions {
  /** Send only to other guarded nodes of this cluster (see guardedTransport). */
  guarded?: boolean;
  /** Record watcher events (default true); off for memory-bound tests. */
  watch?: boolean;
}

/** Real nodes on 127.0.0.1 with a short interval; closes them all in `closeAll`. */
export class LoopbackCluster {
  readonly nodes: TestNode[] = [];
  /** Addresses of the nodes started with `guarded`, the only ones they send to. */
  readonly allowed = new Set<string>();

  constructor(private readonly defaults: Partial<GossipOptions> = {}) {}

  async start(
    id: string,
    options: Partial<GossipOptions> = {},
    { guarded = false, watch = true }: StartOptions = {},
  ): Promise<TestNode> {
    const watcher = recordingWatcher();
    const gossip = await Gossip.create({
      bindAddr: '127.0.0.1:0',
      nodeId: id,
      interval: 50,
      logger: quietLogger,
      ...this.defaults,
      ...options,
      ...(guarded ? { transport: guardedTransport(options, this.allowed) } : {}),
    });
    if (watch) gossip.subscribe(watcher.listener);
    const node = { gossip, watcher, id, addr: gossip.localNode().addr };
    this.nodes.push(node);
    return node;
  }

  /** Starts an unwatched node and hands back its engine, for specs that need no events. */
  async startEngine(
    id: string,
    options: Partial<GossipOptions> = {},
    { guarded = false }: Pick<StartOptions, 'guarded'> = {},
  ): Promise<Gossip> {
    return (await this.start(id, options, { guarded, watch: false })).gossip;
  }

  /** Nodes still running. */
  get running(): TestNode[] {
    return this.nodes.filter((n) => !this.closed.has(n));
  }

  private readonly closed = new Set<TestNode>();

  /** Closes one node and forgets it. */
  async remove(gossip: Gossip): Promise<void> {
    await gossip.close();
    const at = this.nodes.findIndex((n) => n.gossip === gossip);
    if (at >= 0) this.nodes.splice(at, 1);
  }

  async crash(node: TestNode): Promise<void> {
    this.closed.add(node);
    await node.gossip.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.gossip.close()));
    this.closed.clear();
  }
}

/** Ids a node sees as live (not left, not unreachable), itself included. */
export function liveIds(gossip: Gossip): string[] {
  return gossip
    .nodes()
    .filter((n) => n.status === 'alive')
    .map((n) => n.id)
    .sort();
}

/** The live value of `key` on `owner` as `viewer` holds it. */
export function valueAt(viewer: Gossip, owner: string, key: string): string | undefined {
  const entry = viewer.node(owner)?.entries.find((e) => e.key === key);
  return entry && !entry.deleted ? entry.value : undefined;
}

/** Waits until every node sees at least `ids` live. */
export function waitAllSee(nodes: Gossip[], ids: string[], what: string, timeoutMs = 15_000) {
  const want = [...ids].sort().join();
  return waitFor(
    () =>
      nodes.every((g) => {
        const live = new Set(liveIds(g));
        return ids.every((id) => live.has(id));
      }),
    what,
    timeoutMs,
    {
      detail: () =>
        nodes.map((g) => `${g.nodeId} sees ${liveIds(g).join(',')} (want ${want})`).join('; '),
    },
  );
}

/** Waits until every viewer holds `owner`'s `key` = `value`. */
export function waitValue(viewers: Gossip[], owner: string, key: string, value: string) {
  return waitFor(
    () => viewers.every((v) => valueAt(v, owner, key) === value),
    `${owner}.${key}=${value.slice(0, 20)} everywhere`,
    15_000,
    {
      detail: () =>
        viewers.map((v) => `${v.nodeId}: ${valueAt(v, owner, key)?.slice(0, 20)}`).join(', '),
    },
  );
}
