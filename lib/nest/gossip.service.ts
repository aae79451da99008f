import { Inject, Injectable } from '@nestjs/common';
import { Observable, concat, defer, filter, of } from 'rxjs';
import {
  type Gossip,
  type GossipIdConflict,
  type GossipMetrics,
  type GossipPhase,
  type NodeMetadata,
  type NodeState,
  type UpsertOptions,
} from '../engine';
import { GOSSIP_ENGINE } from './constants';
import type { GossipEvent, GossipEventOf, GossipEventType, GossipSnapshot } from './gossip-event';
import { GossipEventBus } from './gossip-event-bus';

/**
 * The Nest face of one cluster member: its lifecycle, its entries, the
 * known nodes and typed event streams. Inject it anywhere `GossipModule` is
 * visible. Discovery reads (who is live, who holds a key, who owns it) are
 * on `GossipDiscoveryService`; messages between the instances (`publish`,
 * `query`) on `GossipMessagesService`.
 *
 * Which stream to use:
 * - `GossipDiscoveryService.members$`: who is live now, then again after
 *   every change. Subscribe anywhere, any time: the current list comes first.
 * - `snapshotThenEvents$`: every known node with its entries at subscription,
 *   then every change after it, with nothing missed or repeated between.
 * - `events$` / `on(type)`: changes only, from the moment you subscribe (hot).
 * - `@OnGossipEvent`: like `events$`, but bound before the node joins, so it
 *   sees every event from start-up on.
 */
@Injectable()
export class GossipService {
  /**
   * Every event about other nodes, in the order the engine reported it
   * (this node's own writes are not echoed here; `GossipDiscoveryService`
   * streams do include them). Hot: a subscriber sees what happens after it
   * subscribed (events held during start-up are delivered to whoever is
   * subscribed when the module releases them). Completes when the
   * application shuts down.
   */
  readonly events$: Observable<GossipEvent>;

  /**
   * `{ type: 'snapshot', nodes }` at subscription (every remote node this
   * node knows, with its entries), then every `GossipEvent` that happened
   * after that snapshot: apply the snapshot, then the events, and your copy
   * equals the cluster's. Safe to subscribe at any time; completes at shutdown.
   */
  readonly snapshotThenEvents$: Observable<GossipSnapshot | GossipEvent>;

  /** @internal Nest injects it. */
  constructor(
    /** The framework-free engine, for what this service does not wrap. */
    @Inject(GOSSIP_ENGINE) readonly engine: Gossip,
    private readonly bus: GossipEventBus,
  ) {
    this.events$ = bus.remote$;
    this.snapshotThenEvents$ = defer(() => {
      // Read together, synchronously: the engine's state includes exactly the events up to `seq`.
      const seq = bus.lastSeq;
      const snapshot: GossipSnapshot = { type: 'snapshot', nodes: this.remoteStates() };
      return concat(of(snapshot), bus.remoteAfter(seq));
    });
  }

  /** Events of one type, typed: `on('upsert-key')` emits `{ nodeId, key, value }`. */
  on<T extends GossipEventType>(type: T): Observable<GossipEventOf<T>> {
    return this.events$.pipe(filter((e): e is GossipEventOf<T> => e.type === type));
  }

  /** This node's id (`nodeId` option, or `<hostname>-<random>`). */
  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** The prom-client metrics of this node. */
  get metrics(): GossipMetrics {
    return this.engine.metrics;
  }

  /**
   * `joining` until a join succeeded, a peer reached us, or there were no
   * seeds (this node founds the cluster); then `joined`; `left` after
   * `leave()`; `closed` once the sockets are closed.
   */
  get status(): GossipPhase {
    return this.engine.status;
  }

  /** Another process uses this node's id, lately: where (see `Gossip.idConflict`); the health indicator reports it. */
  get idConflict(): GossipIdConflict | undefined {
    return this.engine.idConflict;
  }

  /**
   * Joins through `addrs` (`host[:port]`, IPs or DNS names; see `Gossip.join`).
   * The module already joins the `join` seeds at bootstrap; call this to join
   * more. Resolves with the ids of the nodes reached.
   */
  join(addrs: string[]): Promise<string[]> {
    return this.engine.join(addrs);
  }

  /** Announces the leave to peers; local state is frozen from here on. The module does this on shutdown. */
  leave(): Promise<void> {
    return this.engine.leave();
  }

  /** Closes the sockets. The module does this on shutdown. */
  close(): Promise<void> {
    return this.engine.close();
  }

  /**
   * Sets `key` to `value` on this node; gossip carries it to every node
   * (they see an `upsert-key` event). With `{ ttl }` the entry is deleted
   * unless written again within `ttl` ms. Throws `RangeError` past
   * `maxKeySize`, `maxValueSize` or `maxEntriesPerNode` or for a bad `ttl`,
   * and after `leave()`.
   */
  upsertLocal(key: string, value: string, options?: UpsertOptions): void {
    this.engine.upsertLocal(key, value, options);
  }

  /** Deletes `key` on this node (peers see a `delete-key` event). */
  deleteLocal(key: string): void {
    this.engine.deleteLocal(key);
  }

  /** Rotates the AES-256-GCM keys of a sealed node: the first seals, all open (see docs/security.md). */
  setSecretKeys(keys: Array<string | Uint8Array>): void {
    this.engine.setSecretKeys(keys);
  }

  /** This node with its entries. */
  localNode(): NodeState {
    return this.engine.localNode();
  }

  /** One node (this one included) with its entries, or undefined when unknown. */
  node(id: string): NodeState | undefined {
    return this.engine.node(id);
  }

  /** Every known node, this one included; left and unreachable ones until they expire. */
  nodes(): NodeMetadata[] {
    return this.engine.nodes();
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeMetadata[] {
    return this.engine.livePeers();
  }

  private remoteStates(): NodeState[] {
    const self = this.engine.nodeId;
    const out: NodeState[] = [];
    for (const meta of this.engine.nodes()) {
      if (meta.id === self) continue;
      const state = this.engine.node(meta.id);
      if (state) out.push(state);
    }
    return out;
  }
}
