import { Inject, Injectable } from '@nestjs/common';
import { Observable, filter } from 'rxjs';
import {
  holdersOf,
  ownerOf,
  ownersOf,
  type Gossip,
  type GossipMetrics,
  type HolderMap,
  type MemberFilter,
  type NodeMetadata,
  type NodeState,
  type UpsertOptions,
} from '../engine';
import { GOSSIP_ENGINE } from './constants';
import type { GossipEvent, GossipEventOf, GossipEventType } from './gossip-event';
import { GossipEventBus } from './gossip-event-bus';

/** Where this node stands in the cluster, as the health indicator reports it. */
export type GossipStatus = 'joining' | 'joined' | 'left' | 'closed';

/**
 * The Nest face of one cluster member: the engine API plus typed event
 * streams. `events$` is hot (no replay), delivers remote changes only, and
 * completes when the application shuts down.
 */
@Injectable()
export class GossipService {
  /** Every event, in the order the engine reported it. */
  readonly events$: Observable<GossipEvent>;
  private joined = false;
  private hasLeft = false;
  private closed = false;

  constructor(
    /** The framework-free engine, for what this service does not wrap. */
    @Inject(GOSSIP_ENGINE) readonly engine: Gossip,
    bus: GossipEventBus,
  ) {
    this.events$ = bus.events$;
  }

  /** Events of one type, typed: `on('upsert-key')` emits `{ nodeId, key, value }`. */
  on<T extends GossipEventType>(type: T): Observable<GossipEventOf<T>> {
    return this.events$.pipe(filter((e): e is GossipEventOf<T> => e.type === type));
  }

  get nodeId(): string {
    return this.engine.nodeId;
  }

  get metrics(): GossipMetrics {
    return this.engine.metrics;
  }

  /** `joined` once a join succeeded, a peer reached us, or there was nobody to join. */
  get status(): GossipStatus {
    if (this.closed) return 'closed';
    if (this.hasLeft) return 'left';
    if (!this.joined && this.hasLivePeer()) this.joined = true;
    return this.joined ? 'joined' : 'joining';
  }

  /** Joins through `addrs` (see `Gossip.join`); resolves with the ids reached. */
  async join(addrs: string[]): Promise<string[]> {
    const ids = await this.engine.join(addrs);
    this.joined = true;
    return ids;
  }

  /** Announces the leave to peers; local state is frozen from here on. */
  async leave(): Promise<void> {
    this.hasLeft = true;
    await this.engine.leave();
  }

  /** Closes the sockets. The module does this on shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await this.engine.close();
  }

  /** Sets `key` on this node; `{ ttl }` deletes it unless written again within `ttl` ms. */
  upsertLocal(key: string, value: string, options?: UpsertOptions): void {
    this.engine.upsertLocal(key, value, options);
  }

  deleteLocal(key: string): void {
    this.engine.deleteLocal(key);
  }

  /** Rotates the AES-256-GCM keys of a sealed node: the first seals, all open (see docs/security.md). */
  setSecretKeys(keys: Array<string | Uint8Array>): void {
    this.engine.setSecretKeys(keys);
  }

  localNode(): NodeState {
    return this.engine.localNode();
  }

  node(id: string): NodeState | undefined {
    return this.engine.node(id);
  }

  /** Every known node, this one included; left and unreachable ones until they expire. */
  nodes(): NodeMetadata[] {
    return this.engine.nodes();
  }

  /** Remote nodes neither left nor unreachable. */
  livePeers(): NodeMetadata[] {
    const self = this.engine.nodeId;
    return this.engine.nodes().filter((n) => n.id !== self && !n.left && !n.unreachable);
  }

  /** @internal The lifecycle marks a node with no seeds as joined: it founds the cluster. */
  markJoined(): void {
    this.joined = true;
  }

  private hasLivePeer(): boolean {
    return this.livePeers().length > 0;
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
