import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { Entry, NodeMetadata, NodeStatus } from '../../engine';
import type { GossipEvent } from '../gossip-event';
import type { GossipService } from '../gossip.service';
import type { ActivitySample, ClusterActivity, TimedEvent } from './cluster-activity';

/** One node's change: metadata, plus the entries written since the last update (all when `full`). */
export interface FeedNode {
  id: string;
  addr: string;
  version: number;
  status: NodeStatus;
  /** ISO time at which a left or unreachable node will be dropped. */
  expiry?: string;
  /** `entries` replace everything known of the node, rather than adding to it. */
  full: boolean;
  /** Entries (tombstones included) newer than the last update, by version. */
  entries: Entry[];
}

/** First event of every stream: the whole membership as this node sees it. */
export interface FeedSnapshot {
  self: string;
  /** Server time (ms since the epoch), so the page can count expiries down. */
  at: number;
  nodes: FeedNode[];
  /** The last minute of `stats`, oldest first, so a chart can start full. */
  history: ActivitySample[];
  /** The last events (100), oldest first, so "Recent events" is not empty on open. */
  events: TimedEvent[];
}

/**
 * The server-sent events behind `GET {path}/events`, for one client:
 *
 * - `snapshot` ({@link FeedSnapshot}) first;
 * - every `GossipEvent` as it happens, named by its type (`join`, `upsert-key`, ...);
 * - `node` ({@link FeedNode}) when a node's version, status, address or
 *   expiry moved (the local node included): looked for after each event
 *   of `changes$`, which carries this node's own writes too (nothing polls);
 * - `gone` (`{ id }`) when a node was dropped;
 * - `stats` ({@link ActivitySample}) every second: cumulative traffic
 *   counters, the events of that second, and the membership totals.
 *
 * Completes with `events$` (application shutdown).
 */
export function clusterFeed(
  gossip: GossipService,
  changes$: Observable<GossipEvent>,
  activity: ClusterActivity,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const cursor = new FeedCursor(gossip);
    subscriber.next({
      type: 'snapshot',
      data: cursor.snapshot(activity.recent(), activity.recentEvents()),
    });
    const events = gossip.events$.subscribe({
      next: (event: GossipEvent) => {
        // A new incarnation (restart, or back after expiry) starts its versions afresh: resend whole.
        if (event.type === 'join') cursor.forget(event.nodeId);
        subscriber.next({ type: event.type, data: { ...event, at: Date.now() } });
      },
      complete: () => subscriber.complete(),
    });
    // One look per burst: the bus delivers a burst in one microtask run.
    let pending = false;
    const lookForChanges = () => {
      pending = false;
      if (subscriber.closed) return;
      for (const change of cursor.changes()) subscriber.next(change);
    };
    const changes = changes$.subscribe(() => {
      if (pending) return;
      pending = true;
      queueMicrotask(lookForChanges);
    });
    const stats = activity.samples$.subscribe((sample) =>
      subscriber.next({ type: 'stats', data: sample }),
    );
    return () => {
      changes.unsubscribe();
      stats.unsubscribe();
      events.unsubscribe();
    };
  });
}

/** What one client was last told about each node, so it gets only what moved. */
class FeedCursor {
  private readonly sent = new Map<string, { version: number; meta: string; live: Set<string> }>();

  constructor(private readonly gossip: GossipService) {}

  snapshot(history: ActivitySample[], events: TimedEvent[]): FeedSnapshot {
    const nodes: FeedNode[] = [];
    for (const meta of this.gossip.nodes()) {
      const update = this.update(meta);
      if (update) nodes.push(update);
    }
    return { self: this.gossip.nodeId, at: Date.now(), nodes, history, events };
  }

  forget(id: string): void {
    this.sent.delete(id);
  }

  /** `node` events for what moved since the last call, `gone` for nodes dropped. */
  *changes(): Generator<MessageEvent> {
    const present = new Set<string>();
    for (const meta of this.gossip.nodes()) {
      present.add(meta.id);
      const update = this.update(meta);
      if (update) yield { type: 'node', data: update };
    }
    for (const id of this.sent.keys()) {
      if (present.has(id)) continue;
      this.sent.delete(id);
      yield { type: 'gone', data: { id } };
    }
  }

  private update(meta: NodeMetadata): FeedNode | undefined {
    const metaKey = `${meta.addr}|${meta.status}|${meta.expiry?.getTime()}`;
    const prev = this.sent.get(meta.id);
    if (prev && prev.version === meta.version && prev.meta === metaKey) return undefined;
    const state = this.gossip.node(meta.id);
    if (!state) return undefined;
    let full = !prev || state.version < prev.version;
    let entries = full ? state.entries : state.entries.filter((e) => e.version > prev!.version);
    let live = prev?.live ?? new Set<string>();
    if (!full) {
      for (const e of entries) {
        if (e.deleted) live.delete(e.key);
        else live.add(e.key);
      }
      // Entries can vanish without a tombstone (a reset from a peer): then resend whole.
      if (live.size !== liveCount(state.entries)) full = true;
    }
    if (full) {
      entries = state.entries;
      live = new Set(entries.filter((e) => !e.deleted).map((e) => e.key));
    }
    this.sent.set(meta.id, { version: state.version, meta: metaKey, live });
    return {
      id: state.id,
      addr: state.addr,
      version: state.version,
      status: state.status,
      expiry: state.expiry?.toISOString(),
      full,
      entries,
    };
  }
}

function liveCount(entries: Entry[]): number {
  let n = 0;
  for (const e of entries) if (!e.deleted) n++;
  return n;
}
