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
  holdersOf,
  holdersOfPrefix,
  liveMembers,
  ownerChanges,
  ownerOf,
  owners,
  ownersOf,
  sameHolders,
  type Gossip,
  type HolderMap,
  type MemberFilter,
  type OwnerChange,
  type PrefixHolderMap,
} from '../engine';
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
 * Service discovery and key ownership, Nest side. Snapshots read this node's
 * view now; the `$` streams emit the current value on subscription and again
 * whenever it changes (join, leave, unreachable, reachable, upsert, delete,
 * expired, and this node's own writes), and complete at shutdown.
 *
 * Every change arrives as an engine event, this node's own writes (TTL
 * expiry included) and leave too (`local` events): nothing polls. Every
 * node computes from its own view: see docs/consistency.md for how long
 * two nodes can disagree.
 */
@Injectable()
export class GossipDiscoveryService {
  private readonly changes$: Observable<Change>;

  constructor(
    @Inject(GOSSIP_ENGINE) private readonly engine: Gossip,
    bus: GossipEventBus,
  ) {
    // The full stream: local writes and leave included, so no view needs a timer.
    this.changes$ = bus.events$.pipe(map(changeOf), share());
  }

  // ------------------------------------------------------------- snapshots

  /** Live nodes holding `key`: node id → value. */
  holders(key: string): HolderMap {
    return holdersOf(this.engine, key);
  }

  /** Live nodes holding keys under `prefix`: node id → { key: value }. */
  holdersWithPrefix(prefix: string): PrefixHolderMap {
    return holdersOfPrefix(this.engine, prefix);
  }

  /** Live member ids (this node included), optionally only those advertising an entry. */
  members(filter?: MemberFilter): string[] {
    return liveMembers(this.engine, filter);
  }

  /** The member that owns `key` by rendezvous hashing, as this node sees the cluster. */
  owner(key: string, filter?: MemberFilter): string | undefined {
    return ownerOf(this.engine, key, filter);
  }

  /** The `n` members that own `key`, best first. */
  owners(key: string, n?: number, filter?: MemberFilter): string[] {
    return ownersOf(this.engine, key, n, filter);
  }

  /** True when this node is the owner of `key`. */
  isOwner(key: string, filter?: MemberFilter): boolean {
    return this.owner(key, filter) === this.engine.nodeId;
  }

  // --------------------------------------------------------------- streams

  holders$(key: string): Observable<HolderMap> {
    holdersOf(this.engine, key); // validates now, not at subscription
    return this.view(
      (c) => c.scope === 'all' || c.key === key,
      () => this.holders(key),
      sameHolders,
    );
  }

  holdersWithPrefix$(prefix: string): Observable<PrefixHolderMap> {
    holdersOfPrefix(this.engine, prefix);
    return this.view(
      (c) => c.scope === 'all' || c.key.startsWith(prefix),
      () => this.holdersWithPrefix(prefix),
      sameHolders,
    );
  }

  members$(filter?: MemberFilter): Observable<string[]> {
    liveMembers(this.engine, filter);
    return this.view(
      (c) => c.scope === 'all' || (filter !== undefined && c.key === filter.holding),
      () => this.members(filter),
      sameList,
    );
  }

  /** The owner of `key`: now, then each time it changes (undefined while nobody qualifies). */
  owner$(key: string, filter?: MemberFilter): Observable<string | undefined> {
    ownerOf(this.engine, key, filter);
    return this.members$(filter).pipe(
      map((members) => owners(key, members, 1)[0]),
      distinctUntilChanged(),
    );
  }

  owners$(key: string, n?: number, filter?: MemberFilter): Observable<string[]> {
    ownersOf(this.engine, key, n, filter);
    return this.members$(filter).pipe(
      map((members) => owners(key, members, n)),
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
    owners('check', [], options.n);
    return this.members$(options.filter).pipe(
      pairwise(),
      mergeMap(([before, after]) => ownerChanges(keys(), before, after, options.n)),
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
