import type { Entry } from '../vocabulary/types';
import type { NodeDelta, WireEntry } from '../codec';
import { Vitals } from './vitals';
import { LOG_COMPACT_MIN_STALE, LOG_COMPACT_STALE_SHARE } from '../vocabulary/tuning';

/** An entry as stored: the wire fields plus when a tombstone was first seen here. */
export interface StoredEntry extends WireEntry {
  /** Local clock time this tombstone was written or received; drives its collection. */
  deletedAt: number;
}

/**
 * Never written: a record's entries until its first put. An empty Map
 * costs about 200 bytes, and at N = 100 in one process there are 10,000
 * records.
 */
const NO_ENTRIES: Map<string, StoredEntry> = new Map();

/**
 * A received entry as stored. Built field by field, not spread: V8 gave
 * each spread copy its own hidden class (20,000 entries held 19,777 of
 * them, 5 MB, and every read of an entry was megamorphic).
 */
function storedEntry(e: WireEntry, now: number): StoredEntry {
  return {
    key: e.key,
    value: e.value,
    version: e.version,
    deleted: e.deleted,
    internal: e.internal,
    deletedAt: now,
  };
}

/** A change applying a delta made, reported to watchers. */
export type EntryChange =
  { kind: 'upsert'; key: string; value: string } | { kind: 'delete'; key: string };

/**
 * Everything this node knows of one node (itself included). The invariant,
 * as in chitchat: we hold the newest value of every key whose newest version
 * is at most `maxVersion`, and every tombstone above `gcVersion`; tombstones
 * at or below `gcVersion` may have been collected.
 */
export class NodeRecord {
  heartbeat: number;
  gcVersion = 0;
  /** Liveness of this node as we see it: written only by Liveness (liveness.ts). */
  vitals = new Vitals();
  /** Called when `maxVersion` or `left` change: the cluster summary hashes them. */
  onVersionChange: ((record: NodeRecord) => void) | undefined;
  private version = 0;
  private hasLeft = false;
  private incarnation: number;

  /** Shared and empty until the first put: most records of a large cluster hold no entries. */
  private entries = NO_ENTRIES;
  /** Entries in increasing version order; may hold superseded ones, skipped on read. */
  private log: StoredEntry[] = [];
  private stale = 0;
  private tombstones = 0;

  constructor(
    readonly id: string,
    public addr: string,
    generation: number,
    heartbeat = 0,
  ) {
    this.heartbeat = heartbeat;
    this.incarnation = generation;
  }

  /** Chosen by the owner at start; raised only by the owner, to refute a copy of its id (see IdentityGuard). */
  get generation(): number {
    return this.incarnation;
  }

  /** The owner announces itself anew, above a generation another process claimed for its id. */
  reincarnate(generation: number): void {
    if (generation <= this.incarnation) return;
    this.incarnation = generation;
    this.onVersionChange?.(this);
  }

  /** See the class invariant. */
  get maxVersion(): number {
    return this.version;
  }
  set maxVersion(value: number) {
    if (value === this.version) return;
    this.version = value;
    this.onVersionChange?.(this);
  }

  get left(): boolean {
    return this.hasLeft;
  }
  set left(value: boolean) {
    if (value === this.hasLeft) return;
    this.hasLeft = value;
    this.onVersionChange?.(this);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): StoredEntry | undefined {
    return this.entries.get(key);
  }

  /** Stores an entry whose version is above every version held (owner writes and in-order deltas). */
  put(entry: StoredEntry): void {
    if (this.entries === NO_ENTRIES) this.entries = new Map();
    const previous = this.entries.get(entry.key);
    if (previous) {
      this.stale++;
      if (previous.deleted) this.tombstones--;
    }
    if (entry.deleted) this.tombstones++;
    this.entries.set(entry.key, entry);
    this.log.push(entry);
    if (entry.version > this.maxVersion) this.maxVersion = entry.version;
    if (
      this.stale > LOG_COMPACT_MIN_STALE &&
      this.stale > this.log.length * LOG_COMPACT_STALE_SHARE
    )
      this.compact();
  }

  /** Calls `visit` for each current entry above `version`, in version order, until it returns false. */
  forEachAbove(version: number, visit: (entry: StoredEntry) => boolean): void {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid].version <= version) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) {
      const entry = this.log[i];
      if (this.entries.get(entry.key) !== entry) continue; // superseded or collected
      if (!visit(entry)) return;
    }
  }

  /** Drops tombstones first seen before `before`; returns how many. */
  collectTombstones(before: number): number {
    if (this.tombstones === 0) return 0;
    let collected = 0;
    for (const entry of this.entries.values()) {
      if (entry.deleted && entry.deletedAt < before) {
        this.entries.delete(entry.key);
        this.tombstones--;
        this.stale++;
        collected++;
        if (entry.version > this.gcVersion) this.gcVersion = entry.version;
      }
    }
    if (collected > 0) this.compact();
    return collected;
  }

  /** Keys of the live internal entries starting with `prefix`. */
  internalKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) {
      if (e.internal && !e.deleted && e.key.startsWith(prefix)) out.push(e.key);
    }
    return out;
  }

  /** Entries sorted by version, as users see them (internal ones are the engine's own bookkeeping). */
  snapshot(): Entry[] {
    const out: Entry[] = [];
    this.forEachAbove(0, (e) => {
      if (e.internal) return true;
      out.push({
        key: e.key,
        value: e.value,
        version: e.version,
        internal: false,
        deleted: e.deleted,
      });
      return true;
    });
    return out;
  }

  /** Live (non-deleted) key/value pairs. */
  liveEntries(): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.entries.values()) if (!e.deleted && !e.internal) out.set(e.key, e.value);
    return out;
  }

  /** Counts for the entries gauge. */
  countByKind(): { live: number; deleted: number; internalLive: number; internalDeleted: number } {
    const counts = { live: 0, deleted: 0, internalLive: 0, internalDeleted: 0 };
    for (const e of this.entries.values()) {
      if (e.internal) {
        if (e.deleted) counts.internalDeleted++;
        else counts.internalLive++;
      } else if (e.deleted) counts.deleted++;
      else counts.live++;
    }
    return counts;
  }

  private compact(): void {
    this.log = this.log.filter((e) => this.entries.get(e.key) === e);
    this.stale = 0;
  }
}

/** Result of applying one node delta. */
export interface ApplyResult {
  /** The record now held (new when created or replaced). */
  record: NodeRecord | undefined;
  /** A record appeared or a new generation replaced the old one. */
  created: boolean;
  /** The old generation was replaced (report it expired before the new join). */
  replacedGeneration: boolean;
  changes: EntryChange[];
  /** Keys of internal entries an incremental delta changed (a reset or creation changes them all). */
  internalChanges: string[];
  heartbeatIncreased: boolean;
  becameLeft: boolean;
  /** Why nothing was applied, when nothing was. */
  ignored?: 'stale-generation' | 'gap' | 'not-reset' | 'limit' | 'old';
}

/**
 * Merge rule for one node delta against what we hold (`current`, possibly
 * none). Pure apart from mutating `current` in place for same-generation
 * deltas. `maxEntries` bounds the entries kept for one node.
 */
export function applyNodeDelta(
  current: NodeRecord | undefined,
  delta: NodeDelta,
  now: number,
  maxEntries: number,
): ApplyResult {
  const result: ApplyResult = {
    record: current,
    created: false,
    replacedGeneration: false,
    changes: [],
    internalChanges: [],
    heartbeatIncreased: false,
    becameLeft: false,
  };
  if (current && delta.generation < current.generation)
    return { ...result, ignored: 'stale-generation' };
  if (!current || delta.generation > current.generation || delta.reset)
    return replaceRecord(current, delta, now, maxEntries, result);
  applyIncrement(current, delta, now, maxEntries, result);
  return result;
}

/** A new record from a delta that starts from nothing (a new node or generation, or a reset). */
function replaceRecord(
  current: NodeRecord | undefined,
  delta: NodeDelta,
  now: number,
  maxEntries: number,
  result: ApplyResult,
): ApplyResult {
  // Starting from nothing, a prefix from version 0 is as good as a reset.
  const fromScratch = delta.reset || (delta.fromVersion === 0 && delta.gcVersion === 0);
  if (!fromScratch) return { ...result, ignored: 'not-reset' };
  if (current && delta.generation === current.generation && delta.maxVersion <= current.maxVersion)
    return { ...result, ignored: 'old' };
  if (delta.entries.length > maxEntries) return { ...result, ignored: 'limit' };
  const record = new NodeRecord(delta.id, delta.addr, delta.generation, delta.heartbeat);
  for (const e of delta.entries) record.put(storedEntry(e, now));
  record.maxVersion = delta.maxVersion;
  record.gcVersion = delta.gcVersion;
  record.left = delta.left;
  if (current !== undefined && current.generation === delta.generation) {
    // Same incarnation, reset after tombstone collection: keep flags (Liveness keeps the vitals).
    record.heartbeat = Math.max(record.heartbeat, current.heartbeat);
    record.left = record.left || current.left;
    result.changes = diffLive(current.liveEntries(), record.liveEntries());
    result.heartbeatIncreased = record.heartbeat > current.heartbeat;
    result.becameLeft = record.left && !current.left;
  } else {
    result.created = true;
    result.replacedGeneration = current !== undefined;
    result.changes = diffLive(new Map(), record.liveEntries());
    result.heartbeatIncreased = true;
    result.becameLeft = record.left;
  }
  result.record = record;
  return result;
}

/** Same generation, incremental: entries must continue from what we hold. Mutates `record`. */
function applyIncrement(
  record: NodeRecord,
  delta: NodeDelta,
  now: number,
  maxEntries: number,
  result: ApplyResult,
): void {
  if (delta.fromVersion > record.maxVersion) {
    result.ignored = 'gap';
  } else {
    let added = 0;
    for (const e of delta.entries) if (e.version > record.maxVersion && !record.get(e.key)) added++;
    if (record.size + added > maxEntries) {
      result.ignored = 'limit';
    } else {
      applyEntries(record, delta.entries, now, result);
      if (delta.maxVersion > record.maxVersion) record.maxVersion = delta.maxVersion;
    }
  }
  if (delta.heartbeat > record.heartbeat) {
    record.heartbeat = delta.heartbeat;
    result.heartbeatIncreased = true;
  }
  if (delta.left && !record.left) {
    record.left = true;
    result.becameLeft = true;
  }
  if (delta.addr !== record.addr) record.addr = delta.addr;
}

/** Puts the entries above what `record` holds, noting what users and liveness must hear of. */
function applyEntries(
  record: NodeRecord,
  entries: WireEntry[],
  now: number,
  result: ApplyResult,
): void {
  for (const e of entries) {
    if (e.version <= record.maxVersion) continue; // already held
    const previous = record.get(e.key);
    record.put(storedEntry(e, now));
    if (e.internal) {
      result.internalChanges.push(e.key);
    } else if (e.deleted) {
      if (previous && !previous.deleted) result.changes.push({ kind: 'delete', key: e.key });
    } else if (!previous || previous.deleted || previous.value !== e.value) {
      result.changes.push({ kind: 'upsert', key: e.key, value: e.value });
    }
  }
}

function diffLive(before: Map<string, string>, after: Map<string, string>): EntryChange[] {
  const changes: EntryChange[] = [];
  for (const [key, value] of after) {
    if (before.get(key) !== value) changes.push({ kind: 'upsert', key, value });
  }
  for (const key of before.keys()) {
    if (!after.has(key)) changes.push({ kind: 'delete', key });
  }
  return changes;
}
