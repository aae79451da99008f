// Service discovery over the gossiped state: who the live members are, which
// of them hold a key (or keys under a prefix) and with what value, and who
// owns a key. Pure reads of one node's view; nothing here sends or waits, so
// every node answers from what it holds now. Reads go through an index the
// facade keeps current (discovery-index.ts), so none copies the cluster, and
// owner answers are remembered until the index reports a change they depend
// on (owner-cache.ts), so a repeated lookup hashes nothing.
import type { GossipEvent } from '../vocabulary/events';
import type { NodeMetadata } from '../vocabulary/types';
import type { NodeRecord } from '../state/node-record';
import { DiscoveryIndex, type HolderValues } from './discovery-index';
import { OwnerCache } from './owner-cache';
import { DEFAULT_REPLICAS, KeyHash, TopOwners, checkCount, outranks } from './ownership';

/**
 * Narrows members and ownership to the members that advertise an entry:
 * `{ holding: 'rpc' }` (any value) or `{ holding: 'role', value: 'worker' }`.
 */
export interface MemberFilter {
  holding: string;
  value?: string;
}

/** A live node holding a key, with its value there. Plain data: JSON as is. */
export interface Holder {
  nodeId: string;
  value: string;
}

/** A live node holding keys under a prefix, with those keys' values (keys sorted). */
export interface PrefixHolder {
  nodeId: string;
  values: Record<string, string>;
}

/** Where discovery reads the records it indexes: the engine's cluster state. */
export interface DiscoverySource {
  /** The record of `id` (this node's included), or undefined when none is held. */
  record(id: string): NodeRecord | undefined;
  /** What users see of a record. */
  describe(record: NodeRecord): NodeMetadata;
}

/**
 * The discovery reads of one node (`gossip.discovery`); `GossipDiscoveryService`
 * offers the same reads under the same names, plus streams.
 */
export class Discovery {
  /** Owner answers, dropped by the index whenever what they were computed from changes. */
  private readonly cache = new OwnerCache();
  private readonly index = new DiscoveryIndex(this.cache);
  /** The record each live member was indexed from, and its version then. */
  private readonly indexed = new Map<string, { record: NodeRecord; version: number }>();

  /** @internal Built by the engine: read it as `gossip.discovery`. */
  constructor(private readonly source: DiscoverySource) {}

  // ------------------------------------------------------------- feeding

  /**
   * Re-reads what node `id` offers: after a local write, a leave, or any
   * event naming it. A record already indexed is read from the version it was
   * indexed at (its version log), so one write costs one update however many
   * keys the node holds; a new record (a node appearing, a new generation, a
   * reset) is read whole.
   */
  refresh(id: string): void {
    const record = this.source.record(id);
    if (record === undefined || record.vitals.status !== 'alive' || record.left) {
      this.indexed.delete(id);
      this.index.set(id, undefined);
      return;
    }
    const seen = this.indexed.get(id);
    if (seen?.record !== record) {
      this.indexed.set(id, { record, version: record.maxVersion });
      this.index.set(id, record.liveEntries());
      return;
    }
    if (seen.version === record.maxVersion) return;
    // Every change to a record puts an entry above its maxVersion (tombstones included).
    record.forEachAbove(seen.version, (entry) => {
      if (entry.internal) return true;
      if (entry.deleted) this.index.remove(id, entry.key);
      else this.index.upsert(id, entry.key, entry.value);
      return true;
    });
    seen.version = record.maxVersion;
  }

  /** Re-reads each node an Outcome's events name, once (the state already holds the result). */
  apply(events: readonly GossipEvent[]): void {
    if (events.length === 0) return;
    if (events.length === 1) return this.refresh(events[0].nodeId);
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.nodeId)) continue;
      seen.add(event.nodeId);
      this.refresh(event.nodeId);
    }
  }

  // --------------------------------------------------------------- reads

  /** The live members (this node included unless it left), optionally filtered, sorted by id. */
  members(filter?: MemberFilter): NodeMetadata[] {
    const out: NodeMetadata[] = [];
    for (const id of this.memberIds(filter)) {
      const record = this.source.record(id);
      if (record) out.push(this.source.describe(record));
    }
    return out;
  }

  /** The live nodes holding `key` (not deleted), with its value on each, sorted by node id. */
  holders(key: string): Holder[] {
    checkText('key', key);
    const out: Holder[] = [];
    this.index.holders(key).forEach((value, nodeId) => out.push({ nodeId, value }));
    return out.sort(byNodeId);
  }

  /** The value live node `nodeId` holds under `key`, or undefined: one lookup, no list. */
  holder(key: string, nodeId: string): Holder | undefined {
    checkText('key', key);
    const value = this.index.holders(key).get(nodeId);
    return value === undefined ? undefined : { nodeId, value };
  }

  /** The live nodes holding any key that starts with `prefix`, with those keys' values. */
  holdersOfPrefix(prefix: string): PrefixHolder[] {
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    const byNode = new Map<string, Record<string, string>>();
    // Collects only the matching keys: no copy of every key in the cluster.
    const keys: string[] = [];
    for (const key of this.index.keys()) if (key.startsWith(prefix)) keys.push(key);
    keys.sort();
    for (const key of keys) {
      this.index.holders(key).forEach((value, nodeId) => {
        let values = byNode.get(nodeId);
        if (!values) byNode.set(nodeId, (values = {}));
        values[key] = value;
      });
    }
    const out: PrefixHolder[] = [];
    byNode.forEach((values, nodeId) => out.push({ nodeId, values }));
    return out.sort(byNodeId);
  }

  /** The live member that owns `key` (rendezvous hashing), or undefined if none qualifies. */
  owner(key: string, filter?: MemberFilter): string | undefined {
    checkText('key', key);
    if (filter !== undefined) checkFilter(filter);
    const cached = this.cache.get(key, 1, filter?.holding, filter?.value);
    if (cached !== undefined) return cached[0];
    const best = this.bestOf(key, filter);
    this.cache.set(key, 1, best === undefined ? [] : [best], filter?.holding, filter?.value);
    return best;
  }

  /** The `n` live members that own `key`, best first (default 1). */
  owners(key: string, n = DEFAULT_REPLICAS, filter?: MemberFilter): string[] {
    checkText('key', key);
    checkCount(n);
    if (filter !== undefined) checkFilter(filter);
    const cached = this.cache.get(key, n, filter?.holding, filter?.value);
    if (cached !== undefined) return cached.slice();
    const top = new TopOwners(key, n);
    if (filter === undefined) for (const id of this.index.members()) top.offer(id);
    else this.eachCandidate(filter, (id) => top.offer(id));
    const ids = top.ids();
    this.cache.set(key, n, ids, filter?.holding, filter?.value);
    return ids.slice();
  }

  // ------------------------------------------------------------- helpers

  /** The highest-scoring candidate for `key`: the key hashed once, each candidate scored. */
  private bestOf(key: string, filter: MemberFilter | undefined): string | undefined {
    const hash = new KeyHash(key);
    let best: string | undefined;
    let bestScore = -1;
    if (filter === undefined) {
      // An indexed loop over the maintained array: no copy, no iterator.
      const ids = this.index.members();
      for (let i = 0; i < ids.length; i++) {
        const score = hash.score(ids[i]);
        if (best === undefined || outranks(score, ids[i], bestScore, best)) {
          best = ids[i];
          bestScore = score;
        }
      }
      return best;
    }
    this.eachCandidate(filter, (id) => {
      const score = hash.score(id);
      if (best === undefined || outranks(score, id, bestScore, best)) {
        best = id;
        bestScore = score;
      }
    });
    return best;
  }

  private memberIds(filter?: MemberFilter): string[] {
    if (filter === undefined) return [...this.index.members()];
    checkFilter(filter);
    const ids: string[] = [];
    this.eachCandidate(filter, (id) => ids.push(id));
    return ids.sort();
  }

  /** Calls `visit` with each live member the filter admits (any order). */
  private eachCandidate(filter: MemberFilter, visit: (id: string) => void): void {
    const holders: HolderValues = this.index.holders(filter.holding);
    const wanted = filter.value;
    holders.forEach((value, id) => {
      if (wanted === undefined || value === wanted) visit(id);
    });
  }
}

function byNodeId(x: { nodeId: string }, y: { nodeId: string }): number {
  return x.nodeId < y.nodeId ? -1 : x.nodeId > y.nodeId ? 1 : 0;
}

function checkFilter(filter: MemberFilter): void {
  if (typeof filter !== 'object' || filter === null)
    throw new TypeError('filter must be { holding, value? }');
  checkText('filter.holding', filter.holding);
  if (filter.value !== undefined && typeof filter.value !== 'string')
    throw new TypeError(`filter.value must be a string (got ${typeof filter.value})`);
}

function checkText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${field} must be a non-empty string (got ${JSON.stringify(value)})`);
}
