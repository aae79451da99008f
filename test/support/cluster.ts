import { Gossip, GossipEvent, GossipOptions, Watcher, eventWatcher } from '../../lib/engine';

/** One event a watcher saw. */
export type SeenEvent = GossipEvent;

/** A watcher that records every event, in order. */
export function recordingWatcher(): Watcher & { events: SeenEvent[] } {
  const events: SeenEvent[] = [];
  return { events, ...eventWatcher((e) => events.push(e)) };
}

export interface TestNode {
  gossip: Gossip;
  watcher: ReturnType<typeof recordingWatcher>;
  id: string;
  addr: string;
}

/** Real nodes on 127.0.0.1 with a short interval; closes them all in `closeAll`. */
export class LoopbackCluster {
  readonly nodes: TestNode[] = [];

  constructor(private readonly defaults: Partial<GossipOptions> = {}) {}

  async start(id: string, options: Partial<GossipOptions> = {}): Promise<TestNode> {
    const watcher = recordingWatcher();
    const gossip = await Gossip.create({
      bindAddr: '127.0.0.1:0',
      nodeId: id,
      interval: 50,
      watcher,
      logger: { debug: () => undefined, warn: () => undefined, error: (m) => console.error(m) },
      ...this.defaults,
      ...options,
    });
    const node = { gossip, watcher, id, addr: gossip.localNode().addr };
    this.nodes.push(node);
    return node;
  }

  /** Nodes still running. */
  get running(): TestNode[] {
    return this.nodes.filter((n) => !this.closed.has(n));
  }

  private readonly closed = new Set<TestNode>();

  async crash(node: TestNode): Promise<void> {
    this.closed.add(node);
    await node.gossip.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.gossip.close()));
  }
}

/** Ids a node sees as live (not left, not unreachable), itself included. */
export function liveIds(gossip: Gossip): string[] {
  return gossip
    .nodes()
    .filter((n) => !n.left && !n.unreachable)
    .map((n) => n.id)
    .sort();
}

/** The live value of `key` on `owner` as `viewer` holds it. */
export function valueAt(viewer: Gossip, owner: string, key: string): string | undefined {
  const entry = viewer.node(owner)?.entries.find((e) => e.key === key);
  return entry && !entry.deleted ? entry.value : undefined;
}
