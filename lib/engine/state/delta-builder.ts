import {
  ARRAY_HEADER_MAX,
  DigestEntry,
  Encoded,
  encodeDeltaHeader,
  encodeEntry,
  packNodeDelta,
} from '../codec';
import type { NodeRecord } from './node-record';

export interface BuiltDelta {
  nodes: Encoded[];
  size: number;
  /** Something owed did not fit: the receiver should sync over TCP. */
  truncated: boolean;
  entryCount: number;
}

/**
 * The entries a peer lacks given its digest, as whole node deltas within
 * `budget` bytes (Infinity for streams). A partial digest says nothing
 * about nodes it omits, so those are skipped.
 */
export function buildDelta(
  records: Map<string, NodeRecord>,
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
      const record = records.get(e.id);
      if (record) candidates.push(record);
    }
  } else {
    for (const record of records.values()) candidates.push(record);
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
