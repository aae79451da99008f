import { Inject, Injectable } from '@nestjs/common';
import { Observable, concat, defer, distinctUntilChanged, filter, map, of, startWith } from 'rxjs';
import {
  holdersOf,
  ownerOf,
  ownersOf,
  type Gossip,
  type GossipIdConflict,
  type GossipMetrics,
  type GossipNodeStatus,
  type HolderMap,
  type MemberFilter,
  type NodeMetadata,
  type NodeState,
  type UpsertOptions,
} from '../engine';
import { MEMBERSHIP_EVENT_TYPES } from '../engine/vocabulary/events';
import { GOSSIP_ENGINE } from './constants';
import type { GossipEvent, GossipEventOf, GossipEventType, GossipSnapshot } from './gossip-event';
import { GossipEventBus } from './gossip-event-bus';

/** Where this node stands in the cluster (the engine's `Gossip.status`); the health indicator reports it. */
export type GossipStatus = GossipNodeStatus;

/**
 * The Nest face of one cluster member: the engine API plus typed event
 * streams. Inject it anywhere `GossipModule` is visible.
 *
 * Which stream to use:
 * - `members$`: who is live now, then again after every change. Subscribe
 *   anywhere, any time: the current list comes first.
 * - `snapshotThenEvents$`: every known node with its entries at subscription,
 *   then every change after it, with nothing missed or repeated between.
 * - `events$` / `on(type)`: changes only, from the moment you subscribe (hot).
 * - `@OnGossipEvent`: like `events$`, but bound before the node joins, so it
 *   sees every event from start-up on.
 */
@Injectable()
export class GossipService {
  /**
   * Every event, in the order the engine reported it. Hot: a subscriber sees
   * what happens after it subscribed (events held during start-up are
   * delivered to whoever is subscribed when the module releases them).
   * Completes when the application shuts down.
   */
  readonly events$: Observable<GossipEvent>;

  /**
   * The live members (this node included, left and unreachable ones
   * excluded, sorted by id): the current list at subscription, then a new
   * list after each join, leave, reachable, unreachable or expiry that
   * changes it. Completes when the application shuts down.
   */
  readonly members$: Observable<NodeMetadata[]>;

  /**
   * `{ type: 'snapshot', nodes }` at subscription (every remote node this
   * node knows, with its entries), then every `GossipEvent` that happened
   * after that snapshot: apply the snapshot, then the events, and your copy
   * equals the cluster's. Safe to subscribe at any time; completes at shutdown.
   */
  readonly snapshotThenEvents$: Observable<GossipSnapshot | GossipEvent>;

  constructor(
    /** The framework-free engine, for what this service does not wrap. */
    @Inject(GOSSIP_ENGINE) readonly engine: Gossip,
    private readonly bus: GossipEventBus,
  ) {
    this.events$ = bus.events$;
    this.members$ = defer(() =>
      bus.events$.pipe(
        filter((e) => MEMBERSHIP_EVENT_TYPES.has(e.type)),
        startWith(undefined),
        map(() => this.members()),
        distinctUntilChanged(sameMembers),
      ),
    );
    this.snapshotThenEvents$ = defer(() => {
      // Read together, synchronously: the engine's state includes exactly the events up to `seq`.
      const seq = bus.lastSeq;
      const snapshot: GossipSnapshot = { type: 'snapshot', nodes: this.remoteStates() };
      return concat(of(snapshot), bus.after(seq));
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
  get status(): GossipStatus {
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

  /** Live members now: this node (unless it left) and the live peers, sorted by id. */
  members(): NodeMetadata[] {
    const self = this.engine.nodes().find((n) => n.id === this.engine.nodeId);
    const list = self && !self.left ? [self, ...this.livePeers()] : this.livePeers();
    return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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

  // Discovery and ownership snapshots; streams are on GossipDiscoveryService.

  /** Live nodes holding `key`: node id → value. */
  holders(key: string): HolderMap {
    return holdersOf(this.engine, key);
  }

  /** The live member owning `key` (rendezvous hashing), optionally among those holding an entry. */
  owner(key: string, filter?: MemberFilter): string | undefined {
    return ownerOf(this.engine, key, filter);
  }

  /** The `n` live members owning `key`, best first. */
  owners(key: string, n?: number, filter?: MemberFilter): string[] {
    return ownersOf(this.engine, key, n, filter);
  }
}

function sameMembers(a: NodeMetadata[], b: NodeMetadata[]): boolean {
  return a.length === b.length && a.every((n, i) => n.id === b[i].id && n.addr === b[i].addr);
}
