import { Inject, Injectable } from '@nestjs/common';
import {
  Observable,
  defer,
  distinctUntilChanged,
  filter,
  map,
  mergeMap,
  pairwise,
  share,
  startWith,
} from 'rxjs';
import {
  rendezvousOwners,
  type Gossip,
  type Holder,
  type MemberFilter,
  type NodeMetadata,
  type OwnerChange,
  type PrefixHolder,
} from '../engine';
import { ownerChanges } from '../engine/discovery/ownership';
import { GOSSIP_ENGINE } from './constants';
import type { GossipEvent } from './gossip-event';
import { GossipEventBus } from './gossip-event-bus';

/** What changed, as far as recomputing a view needs to know. */
type Change = { scope: 'all' } | { scope: 'key'; key: string };

/** Options of the ownership streams. */
export interface OwnershipOptions {
  /** Only members advertising this entry are candidates (e.g. `{ holding: 'rpc' }`). */
  filter?: MemberFilter;
  /** Owners per key for `ownerChanges$` (replicas). Default 1. */
  n?: number;
}

/**
 * Service discovery and key ownership, Nest side: the one home of the
 * discovery reads, named as on the engine (`gossip.discovery`). Snapshots
 * read this node's view now and return plain data (arrays of plain
 * objects, sorted by node id), so a controller can return them as JSON. The
 * `$` streams emit the current value on subscription and again whenever it
 * changes (join, leave, unreachable, reachable, upsert, delete, expired, and
 * this node's own writes), and complete only at shutdown: return a snapshot
 * from an HTTP handler, not a stream (or `stream.pipe(take(1))`).
 *
 * Every change arrives as an engine event, this node's own writes (TTL
 * expiry included) and leave too (`local` events): nothing polls. Every
 * node computes from its own view: see docs/consistency.md for how long
 * two nodes can disagree.
 */
@Injectable()
export class GossipDiscoveryService {
  private readonly changes$: Observable<Change>;

  /** @internal Nest injects it. */
  constructor(
    @Inject(GOSSIP_ENGINE) private readonly engine: Gossip,
    bus: GossipEventBus,
  ) {
    // The full stream: local writes and leave included, so no view needs a timer.
    this.changes$ = bus.events$.pipe(map(changeOf), share());
  }

  // ------------------------------------------------------------- snapshots

  /** The live members (this node included unless it left), optionally only those advertising an entry, sorted by id. */
  members(filter?: MemberFilter): NodeMetadata[] {
    return this.engine.discovery.members(filter);
  }

  /** The live nodes holding `key`, with its value on each: `[{ nodeId, value }]`, sorted by node id. */
  holders(key: string): Holder[] {
    return this.engine.discovery.holders(key);
  }

  /** The live nodes holding keys under `prefix`: `[{ nodeId, values: { key: value } }]`, sorted by node id. */
  holdersOfPrefix(prefix: string): PrefixHolder[] {
    return this.engine.discovery.holdersOfPrefix(prefix);
  }

  /** The member that owns `key` by rendezvous hashing, as this node sees the cluster. */
  owner(key: string, filter?: MemberFilter): string | undefined {
    return this.engine.discovery.owner(key, filter);
  }

  /** The `n` members that own `key`, best first (default 1). */
  owners(key: string, n?: number, filter?: MemberFilter): string[] {
    return this.engine.discovery.owners(key, n, filter);
  }

  /** What live node `nodeId` holds under `key`, or undefined: one lookup, no list. */
  holder(key: string, nodeId: string): Holder | undefined {
    return this.engine.discovery.holder(key, nodeId);
  }

  /** True when this node is the owner of `key`. */
  isOwner(key: string, filter?: MemberFilter): boolean {
    return this.owner(key, filter) === this.engine.nodeId;
  }

  // --------------------------------------------------------------- streams

  /** `members(filter)`: now, then after each change to who qualifies (or to an address). */
  members$(filter?: MemberFilter): Observable<NodeMetadata[]> {
    this.members(filter); // validates now, not at subscription
    return this.view(
      (c) => c.scope === 'all' || (filter !== undefined && c.key === filter.holding),
      () => this.members(filter),
      sameMembers,
    );
  }

  /** `holders(key)`: now, then after each change. */
  holders$(key: string): Observable<Holder[]> {
    this.holders(key);
    return this.view(
      (c) => c.scope === 'all' || c.key === key,
      () => this.holders(key),
      sameHolders,
    );
  }

  /** `holdersOfPrefix(prefix)`: now, then after each change. */
  holdersOfPrefix$(prefix: string): Observable<PrefixHolder[]> {
    this.holdersOfPrefix(prefix);
    return this.view(
      (c) => c.scope === 'all' || c.key.startsWith(prefix),
      () => this.holdersOfPrefix(prefix),
      samePrefixHolders,
    );
  }

  /** The owner of `key`: now, then each time it changes (undefined while nobody qualifies). */
  owner$(key: string, filter?: MemberFilter): Observable<string | undefined> {
    this.owner(key, filter);
    return this.memberIds$(filter).pipe(
      map(() => this.owner(key, filter)),
      distinctUntilChanged(),
    );
  }

  /** The `n` owners of `key`, best first: now, then each time they change. */
  owners$(key: string, n?: number, filter?: MemberFilter): Observable<string[]> {
    this.owners(key, n, filter);
    return this.memberIds$(filter).pipe(
      map(() => this.owners(key, n, filter)),
      distinctUntilChanged(sameList),
    );
  }

  /**
   * For handover: each time membership changes, one `OwnerChange` per key
   * (of those `keys()` returns then) whose owners moved. Nothing on subscription.
   */
  ownerChanges$(
    keys: () => Iterable<string>,
    options: OwnershipOptions = {},
  ): Observable<OwnerChange> {
    if (typeof keys !== 'function') throw new TypeError('ownerChanges$: keys must be a function');
    rendezvousOwners('check', [], options.n);
    return this.memberIds$(options.filter).pipe(
      pairwise(),
      mergeMap(([before, after]) => ownerChanges(keys(), before, after, options.n)),
    );
  }

  /** Ids of `members$(filter)`, emitted only when the set of ids changes. */
  private memberIds$(filter?: MemberFilter): Observable<string[]> {
    return this.members$(filter).pipe(
      map((members) => members.map((m) => m.id)),
      distinctUntilChanged(sameList),
    );
  }

  private view<T>(
    relevant: (change: Change) => boolean,
    compute: () => T,
    same: (a: T, b: T) => boolean,
  ): Observable<T> {
    return defer(() =>
      this.changes$.pipe(
        filter(relevant),
        startWith(undefined),
        map(() => compute()),
        distinctUntilChanged(same),
      ),
    );
  }
}

function changeOf(event: GossipEvent): Change {
  return event.type === 'upsert-key' || event.type === 'delete-key'
    ? { scope: 'key', key: event.key }
    : { scope: 'all' };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function sameMembers(a: NodeMetadata[], b: NodeMetadata[]): boolean {
  return a.length === b.length && a.every((n, i) => n.id === b[i].id && n.addr === b[i].addr);
}

function sameHolders(a: Holder[], b: Holder[]): boolean {
  return (
    a.length === b.length && a.every((h, i) => h.nodeId === b[i].nodeId && h.value === b[i].value)
  );
}

function samePrefixHolders(a: PrefixHolder[], b: PrefixHolder[]): boolean {
  return (
    a.length === b.length &&
    a.every((h, i) => h.nodeId === b[i].nodeId && sameRecord(h.values, b[i].values))
  );
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
