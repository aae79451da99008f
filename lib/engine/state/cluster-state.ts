import { ARRAY_HEADER_MAX, encodeDigestEntry } from '../codec/encode';
import { DigestEntry, Encoded } from '../codec/messages';
import { Hash64, hash64 } from '../vocabulary/hash';
import { MAX_HOT_RECORDS } from '../vocabulary/tuning';
import { BuiltDelta, buildDelta } from './delta-builder';
import { NodeRecord } from './node-record';

export type { BuiltDelta } from './delta-builder';

export interface BuiltDigest {
  entries: Encoded[];
  size: number;
  partial: boolean;
}

export interface DigestOptions {
  /** Node ids to list right after our own (those the peer named). */
  first?: Iterable<string>;
  /** Only ours, the `first` ones and recently changed records: news, without random filler. */
  hotOnly?: boolean;
}

/**
 * Every node's record (ours included), plus what is needed to build
 * digests and deltas within a byte budget. No I/O, no timers, no events.
 */
export class ClusterState {
  readonly records = new Map<string, NodeRecord>();
  /** Nodes named in peers' digests that we do not hold yet (asked for in partial digests). */
  private readonly wanted = new Map<string, { addr: string; until: number }>();
  private readonly digestCache = new WeakMap<
    NodeRecord,
    {
      generation: number;
      heartbeat: number;
      maxVersion: number;
      left: boolean;
      addr: string;
      bytes: Uint8Array;
    }
  >();

  /** XOR of every record's summary hash: equal summaries mean equal (generation, maxVersion, left) everywhere. */
  private summaryHi = 0;
  private summaryLo = 0;
  private readonly hashes = new WeakMap<NodeRecord, Hash64>();
  /** Called whenever the summary changes: there is news to spread (`own`: our record changed). */
  onSummaryChange: ((own: boolean) => void) | undefined;

  /** Recently changed records, newest first, for hot digests. */
  private recent: NodeRecord[] = [];
  private readonly changedAt = new WeakMap<NodeRecord, number>();
  /** How long a change counts as news worth naming in every Syn. */
  hotDigestWindow = 0;

  constructor(
    readonly self: NodeRecord,
    private readonly now: () => number = Date.now,
  ) {
    this.put(self);
  }

  /** Adds a record, or replaces the one with its id. */
  put(record: NodeRecord): void {
    const previous = this.records.get(record.id);
    if (previous === record) return;
    if (previous) this.detach(previous);
    this.records.set(record.id, record);
    record.onVersionChange = (r) => this.rehash(r);
    this.rehash(record);
  }

  /** Drops a record (expiry, see Liveness). */
  remove(record: NodeRecord): void {
    if (this.records.get(record.id) !== record) return;
    this.records.delete(record.id);
    this.detach(record);
  }

  private detach(record: NodeRecord): void {
    record.onVersionChange = undefined;
    const old = this.hashes.get(record);
    if (old) {
      this.summaryHi ^= old.hi;
      this.summaryLo ^= old.lo;
      this.hashes.delete(record);
    }
  }

  private rehash(record: NodeRecord): void {
    const old = this.hashes.get(record);
    if (old) {
      this.summaryHi ^= old.hi;
      this.summaryLo ^= old.lo;
    }
    const next = hash64(
      `${record.id}\u0000${record.generation}\u0000${record.maxVersion}\u0000${record.left ? 1 : 0}`,
    );
    this.hashes.set(record, next);
    this.summaryHi ^= next.hi;
    this.summaryLo ^= next.lo;
    this.markHot(record);
    this.onSummaryChange?.(record === this.self);
  }

  /** One hash of what every record holds (not heartbeats): peers that agree on it owe each other nothing. */
  summary(): Hash64 {
    return { hi: this.summaryHi >>> 0, lo: this.summaryLo >>> 0 };
  }

  get size(): number {
    return this.records.size;
  }

  /** Drops wanted notes past their time. */
  sweep(now: number): void {
    for (const [id, want] of this.wanted) if (want.until <= now) this.wanted.delete(id);
  }

  want(id: string, addr: string, until: number, maxWanted: number): void {
    if (this.records.has(id)) return;
    if (!this.wanted.has(id) && this.wanted.size >= maxWanted) return;
    this.wanted.set(id, { addr, until });
  }

  unwant(id: string): void {
    this.wanted.delete(id);
  }

  digestEntry(record: NodeRecord): DigestEntry {
    return {
      id: record.id,
      addr: record.addr,
      generation: record.generation,
      heartbeat: record.heartbeat,
      maxVersion: record.maxVersion,
      left: record.left,
    };
  }

  private encodedDigestEntry(record: NodeRecord): Uint8Array {
    const cached = this.digestCache.get(record);
    if (
      cached &&
      cached.generation === record.generation &&
      cached.heartbeat === record.heartbeat &&
      cached.maxVersion === record.maxVersion &&
      cached.left === record.left &&
      cached.addr === record.addr
    ) {
      return cached.bytes;
    }
    const bytes = encodeDigestEntry(this.digestEntry(record));
    this.digestCache.set(record, {
      generation: record.generation,
      heartbeat: record.heartbeat,
      maxVersion: record.maxVersion,
      left: record.left,
      addr: record.addr,
      bytes,
    });
    return bytes;
  }

  /**
   * Our digest within `budget` bytes. When everything fits it is complete;
   * otherwise ours first, then the nodes we want, then the rest from a
   * random starting point, and it is marked partial.
   */
  buildDigest(budget: number, random: () => number, options: DigestOptions = {}): BuiltDigest {
    const hot = this.hotRecords();
    if (options.hotOnly) return this.hotDigest(new DigestWriter(budget), hot, options.first);
    return this.wholeDigest(budget) ?? this.partialDigest(budget, hot, random, options.first);
  }

  /** Ours, the nodes the peer named, our recent news: no filler. Empty when there is no news. */
  private hotDigest(
    out: DigestWriter,
    hot: NodeRecord[],
    first: Iterable<string> = [],
  ): BuiltDigest {
    const named = [...first].map((id) => this.records.get(id));
    const picked = new Set<NodeRecord>();
    for (const record of [...named, ...hot]) {
      if (!record || record === this.self || picked.has(record)) continue;
      picked.add(record);
    }
    if (picked.size > 0 || hot.length > 0) {
      out.add(this.encodedDigestEntry(this.self));
      for (const record of picked) if (!out.add(this.encodedDigestEntry(record))) break;
    }
    return { entries: out.entries, size: out.size, partial: true };
  }

  /** Every record, when all fit and we want no node: the complete digest. */
  private wholeDigest(budget: number): BuiltDigest | undefined {
    const all: Uint8Array[] = [];
    let total = ARRAY_HEADER_MAX;
    for (const record of this.records.values()) {
      const bytes = this.encodedDigestEntry(record);
      all.push(bytes);
      total += bytes.length;
    }
    if (total > budget || this.wanted.size > 0) return undefined;
    return { entries: all.map((b) => new Encoded(b)), size: total, partial: false };
  }

  /** Ours, the nodes the peer asked about, recent news, nodes we want, then the rest from a random start. */
  private partialDigest(
    budget: number,
    hot: NodeRecord[],
    random: () => number,
    first: Iterable<string> = [],
  ): BuiltDigest {
    const out = new DigestWriter(budget);
    const added = new Set<NodeRecord>();
    const addRecord = (record: NodeRecord | undefined): void => {
      if (out.full || !record || added.has(record)) return;
      if (out.add(this.encodedDigestEntry(record))) added.add(record);
    };
    addRecord(this.self);
    for (const id of first) addRecord(this.records.get(id));
    for (const record of hot) addRecord(record);
    let wantedAdded = 0;
    for (const [id, want] of this.wanted) {
      if (out.full) break;
      const bytes = encodeDigestEntry({
        id,
        addr: want.addr,
        generation: 0,
        heartbeat: 0,
        maxVersion: 0,
        left: false,
      });
      if (out.add(bytes)) wantedAdded++;
    }
    const others = [...this.records.values()];
    const start = others.length > 0 ? Math.floor(random() * others.length) : 0;
    for (let i = 0; i < others.length && !out.full; i++)
      addRecord(others[(start + i) % others.length]);
    const partial = added.size < this.records.size || wantedAdded < this.wanted.size;
    return { entries: out.entries, size: out.size, partial };
  }

  /** Records whose versions changed within `hotDigestWindow`, newest first. */
  private hotRecords(): NodeRecord[] {
    const since = this.now() - this.hotDigestWindow;
    const out: NodeRecord[] = [];
    for (const record of this.recent) {
      if ((this.changedAt.get(record) ?? -Infinity) < since) break;
      if (this.records.get(record.id) === record) out.push(record);
    }
    return out;
  }

  private markHot(record: NodeRecord): void {
    this.changedAt.set(record, this.now());
    const at = this.recent.indexOf(record);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.unshift(record);
    if (this.recent.length > MAX_HOT_RECORDS) this.recent.pop();
  }

  /**
   * The entries a peer lacks given its digest, as whole node deltas within
   * `budget` bytes (Infinity for streams): see delta-builder.ts.
   */
  buildDelta(
    peerDigest: DigestEntry[],
    partial: boolean,
    budget: number,
    random: () => number,
  ): BuiltDelta {
    return buildDelta(this.records, peerDigest, partial, budget, random);
  }
}

/** Digest entries appended within a byte budget; `full` once one did not fit. */
class DigestWriter {
  readonly entries: Encoded[] = [];
  size = ARRAY_HEADER_MAX;
  full = false;

  constructor(private readonly budget: number) {}

  add(bytes: Uint8Array): boolean {
    if (this.size + bytes.length > this.budget) {
      this.full = true;
      return false;
    }
    this.entries.push(new Encoded(bytes));
    this.size += bytes.length;
    return true;
  }
}
