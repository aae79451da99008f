import {
  ARRAY_HEADER_MAX,
  encodeDeltaIdentity,
  encodeDeltaRange,
  encodeEntry,
  packNodeDelta,
} from '../codec/encode';
import { DigestEntry, Encoded } from '../codec/messages';
import type { NodeRecord } from './node-record';

export interface BuiltDelta {
  nodes: Encoded[];
  size: number;
  /** Something owed did not fit: the receiver should sync over TCP. */
  truncated: boolean;
  entryCount: number;
}

/** What a peer is owed of one record: the entries above `fromVersion`. */
interface Owed {
  fromVersion: number;
  /** The peer holds nothing usable of this incarnation: our gcVersion travels with it. */
  fromScratch: boolean;
  /** A reset over collected tombstones must arrive whole; a prefix from 0 without any is fine. */
  mustBeWhole: boolean;
}

/** The encoded entries above a version that fit in `room` bytes, in version order. */
interface Filled {
  entries: Uint8Array[];
  /** Every entry owed fitted. */
  complete: boolean;
  /** Version of the last entry that fitted (`fromVersion` when none did). */
  lastVersion: number;
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
  const candidates = candidatesOf(records, peerDigest, partial);
  // A random rotation so a node with a large backlog does not starve the others.
  const start = candidates.length > 0 ? Math.floor(random() * candidates.length) : 0;

  const built: BuiltDelta = { nodes: [], size: ARRAY_HEADER_MAX, truncated: false, entryCount: 0 };
  for (let i = 0; i < candidates.length; i++) {
    const record = candidates[(start + i) % candidates.length];
    const owed = owedTo(record, peer.get(record.id));
    if (owed) addNode(built, record, owed, budget);
  }
  return built;
}

/** The records a delta may cover: those a partial digest names, or all. */
function candidatesOf(
  records: Map<string, NodeRecord>,
  peerDigest: DigestEntry[],
  partial: boolean,
): NodeRecord[] {
  if (!partial) return [...records.values()];
  const candidates: NodeRecord[] = [];
  for (const e of peerDigest) {
    const record = records.get(e.id);
    if (record) candidates.push(record);
  }
  return candidates;
}

/** What the peer (`known`: its digest entry for this node) lacks of `record`, if anything. */
function owedTo(record: NodeRecord, known: DigestEntry | undefined): Owed | undefined {
  if (known && known.generation > record.generation) return undefined; // the peer has a newer incarnation
  const fromScratch =
    !known || known.generation !== record.generation || known.maxVersion < record.gcVersion;
  if (!fromScratch && known.maxVersion >= record.maxVersion) return undefined; // nothing owed
  return {
    fromVersion: fromScratch ? 0 : known.maxVersion,
    fromScratch,
    mustBeWhole: fromScratch && record.gcVersion > 0,
  };
}

/** Adds `record`'s delta to `built` if it fits whole, or as a prefix when a prefix is allowed. */
function addNode(built: BuiltDelta, record: NodeRecord, owed: Owed, budget: number): void {
  const { fromVersion, fromScratch, mustBeWhole } = owed;
  const identity = encodeDeltaIdentity(record);
  let range = encodeDeltaRange({
    reset: mustBeWhole,
    fromVersion,
    gcVersion: fromScratch ? record.gcVersion : 0,
    maxVersion: record.maxVersion,
  });
  // Fixed cost: node array header, our header fields, entries array header.
  const fixed = 1 + identity.length + range.length + ARRAY_HEADER_MAX;
  const room = budget - built.size - fixed;
  const { entries, complete, lastVersion } = fill(record, fromVersion, room);
  if (room < 0 || (!complete && (mustBeWhole || entries.length === 0))) {
    built.truncated = true;
    return;
  }
  if (!complete) {
    // A prefix: it claims only what it carries, and never resets.
    built.truncated = true;
    range = encodeDeltaRange({ reset: false, fromVersion, gcVersion: 0, maxVersion: lastVersion });
  }
  const node = packNodeDelta([identity, range], entries);
  built.nodes.push(node);
  built.size += node.bytes.length;
  built.entryCount += entries.length;
}

function fill(record: NodeRecord, fromVersion: number, room: number): Filled {
  const entries: Uint8Array[] = [];
  let entriesSize = 0;
  let lastVersion = fromVersion;
  let complete = true;
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
  return { entries, complete, lastVersion };
}
