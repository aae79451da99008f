import {
  ARRAY_HEADER_MAX,
  BIN_HEADER_MAX,
  DigestEntry,
  Encoded,
  HEARTBEAT_BYTES,
  VECTOR_HEADER,
  VECTOR_START,
  encodeDigestEntry,
  vectorOf,
  writeHeartbeat,
  writeVectorHeader,
} from './codec';
import { Hash64, hash64 } from './hash';
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

/** Records remembered as recent news. */
const MAX_HOT = 16;

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
    { heartbeat: number; maxVersion: number; left: boolean; addr: string; bytes: Uint8Array }
  >();

  /** XOR of every record's summary hash: equal summaries mean equal (generation, maxVersion, left) everywhere. */
  private summaryHi = 0;
  private summaryLo = 0;
  private readonly hashes = new WeakMap<NodeRecord, Hash64>();
  /** Records by their whole 64-bit key (half a key would let a forged id shadow a real node). */
  private readonly byKey = new Map<string, NodeRecord>();
  /** Round-robin order for heartbeat lists, rebuilt when membership changes. */
  private rotation: NodeRecord[] = [];
  private rotationDirty = true;
  private cursor = 0;
  private canonicalOrder: NodeRecord[] = [];
  private canonicalDirty = true;
  private vectorCursor = 0;
  /** XOR of every record's key: equal on nodes holding the same incarnations. */
  private memberHi = 0;
  private memberLo = 0;
  /** Called whenever the summary changes: there is news to spread. */
  onSummaryChange: (() => void) | undefined;

  /** Recently changed records, newest first, for hot digests. */
  private recent: NodeRecord[] = [];
  private readonly changedAt = new WeakMap<NodeRecord, number>();
  /** How long a change counts as news worth naming in every Syn. */
  hotWindow = 0;

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
    this.byKey.set(keyText(record.key.hi, record.key.lo), record);
    this.rotationDirty = true;
    this.canonicalDirty = true;
    this.memberHi ^= record.key.hi;
    this.memberLo ^= record.key.lo;
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
    const text = keyText(record.key.hi, record.key.lo);
    if (this.byKey.get(text) === record) this.byKey.delete(text);
    this.rotationDirty = true;
    this.canonicalDirty = true;
    this.memberHi ^= record.key.hi;
    this.memberLo ^= record.key.lo;
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
    this.onSummaryChange?.();
  }

  /** One hash of what every record holds (not heartbeats): peers that agree on it owe each other nothing. */
  summary(): Hash64 {
    return { hi: this.summaryHi >>> 0, lo: this.summaryLo >>> 0 };
  }

  /**
   * Heartbeats of as many nodes as fit `budget` bytes, 12 bytes each (key
   * hi, key lo, heartbeat): ours first, then the others round-robin, so
   * liveness news for every node goes out in turn at a fixed cost per packet.
   */
  buildHeartbeats(budget: number): Uint8Array {
    if (this.rotationDirty) {
      this.rotation = [...this.records.values()].filter((r) => r !== this.self);
      this.rotationDirty = false;
    }
    const room = Math.max(0, Math.floor((budget - BIN_HEADER_MAX) / HEARTBEAT_BYTES));
    const count = Math.min(room, this.rotation.length + 1);
    const out = new Uint8Array(count * HEARTBEAT_BYTES);
    const view = new DataView(out.buffer);
    let at = 0;
    const write = (r: NodeRecord) => {
      writeHeartbeat(view, at, r.key.hi, r.key.lo, r.heartbeat);
      at += HEARTBEAT_BYTES;
    };
    if (count === 0) return out;
    write(this.self);
    let written = 1;
    while (written < count) {
      let picked: NodeRecord | undefined;
      for (let tries = 0; tries < this.rotation.length && !picked; tries++) {
        const r = this.rotation[this.cursor % this.rotation.length];
        this.cursor = (this.cursor + 1) % this.rotation.length;
        if (!r.left) picked = r;
      }
      if (!picked) break;
      write(picked);
      written++;
    }
    return at === out.length ? out : out.subarray(0, at);
  }

  /**
   * Every node's heartbeat as its low 16 bits, in the canonical order of
   * keys: `[membership hi u32][membership lo u32][start u32][u16 x count]`.
   * Peers with the same membership hash hold the same incarnations, hence
   * the same order, so 2 bytes a node is enough (200 bytes for 100 nodes,
   * where keyed heartbeats would take 1,200). Past `budget`, a window that
   * moves on each call.
   */
  buildVector(budget: number): Uint8Array {
    const order = this.canonical();
    const room = Math.max(0, Math.floor((budget - VECTOR_HEADER) / 2));
    if (room === 0 || order.length === 0) return new Uint8Array(0);
    const count = Math.min(room, order.length);
    const start = count === order.length ? 0 : this.vectorCursor % order.length;
    this.vectorCursor = (start + count) % order.length;
    const out = new Uint8Array(VECTOR_START + count * 2);
    const view = new DataView(out.buffer);
    writeVectorHeader(view, this.memberHi, this.memberLo, start);
    for (let i = 0; i < count; i++) {
      view.setUint16(VECTOR_START + i * 2, order[(start + i) % order.length].heartbeat & 0xffff);
    }
    return out;
  }

  /** A vector from a peer whose membership is ours: we can read it. */
  vectorUsable(vector: Uint8Array): boolean {
    return vectorOf(vector, this.memberHi, this.memberLo);
  }

  /**
   * The heartbeats a vector carries, when its membership is ours. A 16-bit
   * value is read as the nearest heartbeat at or above ours.
   */
  readVector(vector: Uint8Array, visit: (record: NodeRecord, heartbeat: number) => void): void {
    if (!this.vectorUsable(vector)) return;
    const order = this.canonical();
    if (order.length === 0) return;
    const view = new DataView(vector.buffer, vector.byteOffset, vector.byteLength);
    const start = view.getUint32(8);
    const count = Math.min((vector.length - VECTOR_START) / 2, order.length);
    for (let i = 0; i < count; i++) {
      const record = order[(start + i) % order.length];
      const low = view.getUint16(VECTOR_START + i * 2);
      const ahead = (low - (record.heartbeat & 0xffff) + 0x10000) & 0xffff;
      // A rise of more than half the range is really an older value: ignore it.
      if (ahead > 0 && ahead < 0x8000) visit(record, record.heartbeat + ahead);
    }
  }

  /** Records sorted by key: the same on every node whose summary equals ours. */
  private canonical(): NodeRecord[] {
    if (this.canonicalDirty) {
      this.canonicalOrder = [...this.records.values()].sort((a, b) =>
        a.key.hi !== b.key.hi ? a.key.hi - b.key.hi : a.key.lo - b.key.lo,
      );
      this.canonicalDirty = false;
    }
    return this.canonicalOrder;
  }

  /** The records and heartbeats a compact list names, skipping keys we do not hold. */
  readHeartbeats(list: Uint8Array, visit: (record: NodeRecord, heartbeat: number) => void): void {
    const view = new DataView(list.buffer, list.byteOffset, list.byteLength);
    for (let at = 0; at + HEARTBEAT_BYTES <= list.length; at += HEARTBEAT_BYTES) {
      const record = this.byKey.get(keyText(view.getUint32(at), view.getUint32(at + 4)));
      if (!record) continue;
      visit(record, view.getUint32(at + 8));
    }
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
      cached.heartbeat === record.heartbeat &&
      cached.maxVersion === record.maxVersion &&
      cached.left === record.left &&
      cached.addr === record.addr
    ) {
      return cached.bytes;
    }
    const bytes = encodeDigestEntry(this.digestEntry(record));
    this.digestCache.set(record, {
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
    const entries: Encoded[] = [];
    let size = ARRAY_HEADER_MAX;
    const add = (bytes: Uint8Array): boolean => {
      if (size + bytes.length > budget) return false;
      entries.push(new Encoded(bytes));
      size += bytes.length;
      return true;
    };
    const hot = this.hotRecords();
    if (options.hotOnly) {
      // Ours, the nodes the peer named, our recent news: no filler.
      const named = [...(options.first ?? [])].map((id) => this.records.get(id));
      const picked = new Set<NodeRecord>();
      for (const record of [...named, ...hot]) {
        if (!record || record === this.self || picked.has(record)) continue;
        picked.add(record);
      }
      if (picked.size === 0 && hot.length === 0) return { entries, size, partial: true };
      add(this.encodedDigestEntry(this.self));
      for (const record of picked) if (!add(this.encodedDigestEntry(record))) break;
      return { entries, size, partial: true };
    }
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
    // Ours, the nodes the peer asked about, recent news, nodes we want, then the rest from a random start.
    const added = new Set<NodeRecord>();
    let full = false;
    const addRecord = (record: NodeRecord | undefined): void => {
      if (full || !record || added.has(record)) return;
      if (add(this.encodedDigestEntry(record))) added.add(record);
      else full = true;
    };
    addRecord(this.self);
    for (const id of options.first ?? []) addRecord(this.records.get(id));
    for (const record of hot) addRecord(record);
    let wantedAdded = 0;
    for (const [id, want] of this.wanted) {
      if (full) break;
      const bytes = encodeDigestEntry({
        id,
        addr: want.addr,
        generation: 0,
        heartbeat: 0,
        maxVersion: 0,
        left: false,
      });
      if (add(bytes)) wantedAdded++;
      else full = true;
    }
    const others = [...this.records.values()];
    const start = others.length > 0 ? Math.floor(random() * others.length) : 0;
    for (let i = 0; i < others.length && !full; i++) addRecord(others[(start + i) % others.length]);
    const partial = added.size < this.records.size || wantedAdded < this.wanted.size;
    return { entries, size, partial };
  }

  /** Records whose versions changed within `hotWindow`, newest first. */
  private hotRecords(): NodeRecord[] {
    const since = this.now() - this.hotWindow;
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
    if (this.recent.length > MAX_HOT) this.recent.pop();
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

function keyText(hi: number, lo: number): string {
  return `${hi}:${lo}`;
}
