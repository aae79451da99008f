import {
  ARRAY_HEADER_MAX,
  DigestEntry,
  Encoded,
  encodeDeltaHeader,
  encodeDigestEntry,
  encodeEntry,
  packNodeDelta,
} from './codec';
import { NodeRecord } from './node-record';

/** What we remember of an expired node, so stale gossip cannot bring it back. */
interface ExpiredMarker {
  generation: number;
  heartbeat: number;
  left: boolean;
  until: number;
}

export interface BuiltDigest {
  entries: Encoded[];
  size: number;
  partial: boolean;
}

export interface BuiltDelta {
  nodes: Encoded[];
  size: number;
  /** Something owed did not fit: the receiver should sync over TCP. */
  truncated: boolean;
  entryCount: number;
}

/**
 * Every node's record (ours included), plus what is needed to build
 * digests and deltas within a byte budget. No I/O, no timers, no events.
 */
export class ClusterState {
  readonly records = new Map<string, NodeRecord>();
  private readonly expired = new Map<string, ExpiredMarker>();
  /** Nodes named in peers' digests that we do not hold yet (asked for in partial digests). */
  private readonly wanted = new Map<string, { addr: string; until: number }>();
  private readonly digestCache = new WeakMap<NodeRecord, { key: string; bytes: Uint8Array }>();

  constructor(readonly self: NodeRecord) {
    this.records.set(self.id, self);
  }

  get size(): number {
    return this.records.size;
  }

  /** Remembers a dropped node until `until`; gossip about the same incarnation is ignored until then. */
  markExpired(record: NodeRecord, until: number): void {
    this.records.delete(record.id);
    this.expired.set(record.id, {
      generation: record.generation,
      heartbeat: record.heartbeat,
      left: record.left,
      until,
    });
  }

  /**
   * An expired node comes back only with a newer generation, or a higher
   * heartbeat of the same generation (and never once it had left).
   */
  isGhost(id: string, generation: number, heartbeat: number): boolean {
    const marker = this.expired.get(id);
    if (!marker) return false;
    if (generation !== marker.generation) return generation < marker.generation;
    return marker.left || heartbeat <= marker.heartbeat;
  }

  forgetExpired(id: string): void {
    this.expired.delete(id);
  }

  /** Drops markers and wanted notes past their time. */
  sweep(now: number): void {
    for (const [id, marker] of this.expired) if (marker.until <= now) this.expired.delete(id);
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
    const key = `${record.heartbeat}/${record.maxVersion}/${record.left ? 1 : 0}/${record.addr}`;
    const cached = this.digestCache.get(record);
    if (cached && cached.key === key) return cached.bytes;
    const bytes = encodeDigestEntry(this.digestEntry(record));
    this.digestCache.set(record, { key, bytes });
    return bytes;
  }

  /**
   * Our digest within `budget` bytes. When everything fits it is complete;
   * otherwise ours first, then the nodes we want, then the rest from a
   * random starting point, and it is marked partial.
   */
  buildDigest(budget: number, random: () => number): BuiltDigest {
    const entries: Encoded[] = [];
    let size = ARRAY_HEADER_MAX;
    const add = (bytes: Uint8Array): boolean => {
      if (size + bytes.length > budget) return false;
      entries.push(new Encoded(bytes));
      size += bytes.length;
      return true;
    };
    // Fast path: everything fits.
    const all: Uint8Array[] = [];
    let total = ARRAY_HEADER_MAX;
    for (const record of this.records.values()) {
      const bytes = this.encodedDigestEntry(record);
      all.push(bytes);
      total += bytes.length;
    }
    if (total <= budget && this.wanted.size === 0) {
      return { entries: all.map((b) => new Encoded(b)), size: total, partial: false };
    }
    add(this.encodedDigestEntry(this.self));
    for (const [id, want] of this.wanted) {
      const bytes = encodeDigestEntry({
        id,
        addr: want.addr,
        generation: 0,
        heartbeat: 0,
        maxVersion: 0,
        left: false,
      });
      if (!add(bytes)) break;
    }
    const others = [...this.records.values()].filter((r) => r !== this.self);
    const start = others.length > 0 ? Math.floor(random() * others.length) : 0;
    for (let i = 0; i < others.length; i++) {
      if (!add(this.encodedDigestEntry(others[(start + i) % others.length]))) break;
    }
    const partial = entries.length < this.records.size + this.wanted.size;
    return { entries, size, partial };
  }

  /**
   * The entries a peer lacks given its digest, as whole node deltas within
   * `budget` bytes (Infinity for streams). A partial digest says nothing
   * about nodes it omits, so those are skipped.
   */
  buildDelta(
    peerDigest: DigestEntry[],
    partial: boolean,
    budget: number,
    random: () => number,
  ): BuiltDelta {
    const peer = new Map<string, DigestEntry>();
    for (const e of peerDigest) peer.set(e.id, e);
    const candidates: NodeRecord[] = [];
    if (partial) {
      for (const e of peerDigest) {
        const record = this.records.get(e.id);
        if (record) candidates.push(record);
      }
    } else {
      for (const record of this.records.values()) candidates.push(record);
    }
    // A random rotation so a node with a large backlog does not starve the others.
    const start = candidates.length > 0 ? Math.floor(random() * candidates.length) : 0;

    const nodes: Encoded[] = [];
    let size = ARRAY_HEADER_MAX;
    let truncated = false;
    let entryCount = 0;
    for (let i = 0; i < candidates.length; i++) {
      const record = candidates[(start + i) % candidates.length];
      const known = peer.get(record.id);
      if (known && known.generation > record.generation) continue; // the peer has a newer incarnation
      const fromScratch =
        !known || known.generation !== record.generation || known.maxVersion < record.gcVersion;
      if (!fromScratch && known.maxVersion >= record.maxVersion) continue; // nothing owed
      const fromVersion = fromScratch ? 0 : known.maxVersion;
      // A reset over collected tombstones must arrive whole; a prefix from 0 without any is fine.
      const mustBeWhole = fromScratch && record.gcVersion > 0;

      const entries: Uint8Array[] = [];
      let entriesSize = 0;
      let lastVersion = fromVersion;
      let complete = true;
      const header = encodeDeltaHeader({
        id: record.id,
        addr: record.addr,
        generation: record.generation,
        heartbeat: record.heartbeat,
        left: record.left,
        reset: mustBeWhole,
        fromVersion,
        gcVersion: fromScratch ? record.gcVersion : 0,
        maxVersion: record.maxVersion,
      });
      // Fixed cost: node array header, our header fields, entries array header.
      const fixed = 1 + header.length + ARRAY_HEADER_MAX;
      const room = budget - size - fixed;
      record.forEachAbove(fromVersion, (entry) => {
        const bytes = encodeEntry(entry);
        if (entriesSize + bytes.length > room) {
          complete = false;
          return false;
        }
        entries.push(bytes);
        entriesSize += bytes.length;
        lastVersion = entry.version;
        return true;
      });
      if (room < 0 || (!complete && (mustBeWhole || entries.length === 0))) {
        truncated = true;
        continue;
      }
      let finalHeader = header;
      if (!complete) {
        truncated = true;
        finalHeader = encodeDeltaHeader({
          id: record.id,
          addr: record.addr,
          generation: record.generation,
          heartbeat: record.heartbeat,
          left: record.left,
          reset: false,
          fromVersion,
          gcVersion: 0,
          maxVersion: lastVersion,
        });
      }
      const node = packNodeDelta(finalHeader, entries);
      nodes.push(node);
      size += node.bytes.length;
      entryCount += entries.length;
    }
    return { nodes, size, truncated, entryCount };
  }
}
