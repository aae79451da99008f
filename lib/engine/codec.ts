import { Decoder, Encoder } from '@msgpack/msgpack';
import { parseHostPort } from './address';

/**
 * Wire format: every UDP packet and TCP message is
 *   [message type: u8][protocol version: u8][MessagePack body]
 * and bodies are positional arrays (no field names on the wire). A sealed
 * message has type SEALED and carries nonce | AES-GCM(inner message) | tag.
 */
export const PROTOCOL_VERSION = 1;

/** One encoder for the process: building one per call cost more than encoding small arrays. */
const encoder = new Encoder();
const encode = (value: unknown): Uint8Array => encoder.encode(value);

/** One decoder per set of limits, for the same reason. */
const decoders = new WeakMap<DecodeLimits, Decoder>();
function decoderFor(limits: DecodeLimits): Decoder {
  let decoder = decoders.get(limits);
  if (!decoder) {
    decoder = new Decoder({
      maxStrLength: maxStrLength(limits),
      maxBinLength: MAX_HEARTBEATS_BYTES,
      maxArrayLength: limits.maxArrayLength,
      maxMapLength: 0,
      maxExtLength: 0,
    });
    decoders.set(limits, decoder);
  }
  return decoder;
}

export const MessageType = {
  Syn: 1,
  SynAck: 2,
  Ack: 3,
  Sync: 10,
  SyncReply: 11,
  Push: 12,
  Leave: 13,
  StreamAck: 14,
  StreamError: 15,
  Sealed: 0x7f,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** What a node knows of one node: enough for a peer to tell what it lacks. */
export interface DigestEntry {
  id: string;
  addr: string;
  /** 0 means "I have nothing of this node; send it whole". */
  generation: number;
  heartbeat: number;
  maxVersion: number;
  left: boolean;
}

export interface WireEntry {
  key: string;
  value: string;
  version: number;
  deleted: boolean;
  internal: boolean;
}

/**
 * Entries of one node the receiver lacks, in increasing version order.
 * `reset`: replace whatever the receiver holds for this node (new
 * generation, or the receiver fell behind tombstone collection); a reset is
 * always complete. Otherwise it is a prefix of the entries above
 * `fromVersion`, and the receiver holds everything up to `maxVersion` after
 * applying it.
 */
export interface NodeDelta {
  id: string;
  addr: string;
  generation: number;
  heartbeat: number;
  left: boolean;
  reset: boolean;
  fromVersion: number;
  gcVersion: number;
  maxVersion: number;
  entries: WireEntry[];
}

export interface Syn {
  type: typeof MessageType.Syn;
  clusterId: string;
  from: string;
  /** The digest omits nodes for lack of room (or is left out): absence means nothing. */
  partial: boolean;
  digest: DigestEntry[];
  /** The sender's ClusterState summary: equal summaries owe each other no entries. */
  summary: Summary;
  /** Compact heartbeats: 12 bytes each (key hi, key lo, heartbeat), see ClusterState. */
  heartbeats: Uint8Array;
  /** Heartbeat vector, usable by a receiver with the same membership: see ClusterState.buildVector. */
  vector: Uint8Array;
}
/** Hash of every node's (generation, maxVersion, left) the sender holds. */
export interface Summary {
  hi: number;
  lo: number;
}
export interface SynAck {
  type: typeof MessageType.SynAck;
  clusterId: string;
  from: string;
  partial: boolean;
  digest: DigestEntry[];
  delta: NodeDelta[];
  /** More was owed than one packet holds: the receiver should sync over TCP. */
  truncated: boolean;
  summary: Summary;
  heartbeats: Uint8Array;
  vector: Uint8Array;
}
export interface Ack {
  type: typeof MessageType.Ack;
  clusterId: string;
  from: string;
  delta: NodeDelta[];
  truncated: boolean;
}
export interface Sync {
  type: typeof MessageType.Sync;
  clusterId: string;
  from: string;
  digest: DigestEntry[];
}
export interface SyncReply {
  type: typeof MessageType.SyncReply;
  clusterId: string;
  from: string;
  digest: DigestEntry[];
  delta: NodeDelta[];
}
export interface Push {
  type: typeof MessageType.Push;
  clusterId: string;
  from: string;
  delta: NodeDelta[];
}
export interface Leave {
  type: typeof MessageType.Leave;
  clusterId: string;
  from: string;
  generation: number;
  heartbeat: number;
  maxVersion: number;
}
export interface StreamAck {
  type: typeof MessageType.StreamAck;
  clusterId: string;
  from: string;
}
export interface StreamError {
  type: typeof MessageType.StreamError;
  code: string;
  message: string;
}
export type Message =
  Syn | SynAck | Ack | Sync | SyncReply | Push | Leave | StreamAck | StreamError;

/** A piece of MessagePack already encoded, spliced as is by `pack`. */
export class Encoded {
  constructor(readonly bytes: Uint8Array) {}
}

/** Upper bound of an array header, used when budgeting packet space. */
export const ARRAY_HEADER_MAX = 5;

function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  if (length < 0x10000) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  return Uint8Array.of(
    0xdd,
    length >>> 24,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  );
}

/** MessagePack of nested arrays whose leaves may be pre-encoded pieces. */
export function pack(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Encoded) parts.push(v.bytes);
    else if (Array.isArray(v)) {
      parts.push(arrayHeader(v.length));
      for (const item of v) walk(item);
    } else parts.push(encode(v));
  };
  walk(value);
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function encodeDigestEntry(e: DigestEntry): Uint8Array {
  return encode([e.id, e.addr, e.generation, e.heartbeat, e.maxVersion, e.left ? 1 : 0]);
}

const FLAG_DELETED = 1;
const FLAG_INTERNAL = 2;

export function encodeEntry(e: WireEntry): Uint8Array {
  const flags = (e.deleted ? FLAG_DELETED : 0) | (e.internal ? FLAG_INTERNAL : 0);
  return encode([e.key, e.deleted ? '' : e.value, e.version, flags]);
}

/** The nine header fields of a NodeDelta, encoded; the entries array follows them. */
export function encodeDeltaHeader(d: Omit<NodeDelta, 'entries'>): Uint8Array {
  return pack([
    d.id,
    d.addr,
    d.generation,
    d.heartbeat,
    d.left ? 1 : 0,
    d.reset ? 1 : 0,
    d.fromVersion,
    d.gcVersion,
    d.maxVersion,
  ]).subarray(1); // drop the 9-element array header: the caller writes a 10-element one
}

/** A NodeDelta from its encoded header and encoded entries. */
export function packNodeDelta(header: Uint8Array, entries: Uint8Array[]): Encoded {
  return new Encoded(concat([arrayHeader(10), header, arrayHeader(entries.length), ...entries]));
}

function packDigest(digest: DigestEntry[] | Encoded[]): Encoded[] {
  return digest.map((e) => (e instanceof Encoded ? e : new Encoded(encodeDigestEntry(e))));
}
function packDelta(delta: NodeDelta[] | Encoded[]): Encoded[] {
  return delta.map((d) =>
    d instanceof Encoded ? d : packNodeDelta(encodeDeltaHeader(d), d.entries.map(encodeEntry)),
  );
}

/** Messages may carry digests and deltas as pieces the builder already encoded. */
/** Liveness fields of Syn and SynAck; encoding defaults them to no summary and no heartbeats. */
interface Liveness {
  summary: Summary;
  heartbeats: Uint8Array;
  vector: Uint8Array;
}

function liveness(m: Partial<Liveness>): unknown[] {
  const summary = m.summary ?? { hi: 0, lo: 0 };
  return [
    [summary.hi, summary.lo],
    m.heartbeats ?? new Uint8Array(0),
    m.vector ?? new Uint8Array(0),
  ];
}

export type Outgoing =
  | (Omit<Syn, 'digest' | keyof Liveness> & {
      digest: DigestEntry[] | Encoded[];
    } & Partial<Liveness>)
  | (Omit<SynAck, 'digest' | 'delta' | keyof Liveness> &
      Partial<Liveness> & {
        digest: DigestEntry[] | Encoded[];
        delta: NodeDelta[] | Encoded[];
      })
  | (Omit<Ack, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | (Omit<Sync, 'digest'> & { digest: DigestEntry[] | Encoded[] })
  | (Omit<SyncReply, 'digest' | 'delta'> & {
      digest: DigestEntry[] | Encoded[];
      delta: NodeDelta[] | Encoded[];
    })
  | (Omit<Push, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | Leave
  | StreamAck
  | StreamError;

/** Header bytes plus the fixed fields of a message, excluding digest and delta contents. */
export const MESSAGE_OVERHEAD = 2 + ARRAY_HEADER_MAX;

export function encodeMessage(m: Outgoing): Uint8Array {
  let body: unknown[];
  switch (m.type) {
    case MessageType.Syn:
      body = [m.clusterId, m.from, m.partial ? 1 : 0, packDigest(m.digest), ...liveness(m)];
      break;
    case MessageType.SynAck:
      body = [
        m.clusterId,
        m.from,
        m.partial ? 1 : 0,
        packDigest(m.digest),
        packDelta(m.delta),
        m.truncated ? 1 : 0,
        ...liveness(m),
      ];
      break;
    case MessageType.Ack:
      body = [m.clusterId, m.from, packDelta(m.delta), m.truncated ? 1 : 0];
      break;
    case MessageType.Sync:
      body = [m.clusterId, m.from, packDigest(m.digest)];
      break;
    case MessageType.SyncReply:
      body = [m.clusterId, m.from, packDigest(m.digest), packDelta(m.delta)];
      break;
    case MessageType.Push:
      body = [m.clusterId, m.from, packDelta(m.delta)];
      break;
    case MessageType.Leave:
      body = [m.clusterId, m.from, m.generation, m.heartbeat, m.maxVersion];
      break;
    case MessageType.StreamAck:
      body = [m.clusterId, m.from];
      break;
    case MessageType.StreamError:
      body = [m.code, m.message];
      break;
  }
  return concat([Uint8Array.of(m.type, PROTOCOL_VERSION), pack(body)]);
}

/** Why a message was refused; each reason has its own counter. */
export type RejectReason =
  | 'empty'
  | 'version'
  | 'type'
  | 'decode'
  | 'auth'
  | 'unsealed'
  | 'sealed'
  | 'cluster'
  | 'limit'
  | 'oversize'
  | 'streams'
  | 'timeout'
  | 'self';

export class DecodeError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Bounds that keep decoding from allocating more than a message could need. */
export interface DecodeLimits {
  maxKeySize: number;
  maxValueSize: number;
  maxArrayLength: number;
}

/** Reads type and version; throws DecodeError when either is wrong. */
export function readHeader(bytes: Uint8Array): MessageType {
  if (bytes.length < 2) throw new DecodeError('empty', `message of ${bytes.length} bytes`);
  const type = bytes[0];
  if (bytes[1] !== PROTOCOL_VERSION)
    throw new DecodeError('version', `protocol version ${bytes[1]}`);
  if (!KNOWN_TYPES.has(type)) throw new DecodeError('type', `unknown message type ${type}`);
  return type as MessageType;
}

const KNOWN_TYPES = new Set<number>(Object.values(MessageType));

/** Decodes an unsealed message; throws DecodeError for anything malformed. */
export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits): Message {
  const type = readHeader(bytes);
  if (type === MessageType.Sealed)
    throw new DecodeError('sealed', 'sealed message where plain was expected');
  checkShape(bytes, 2, limits);
  let body: unknown;
  try {
    body = decoderFor(limits).decode(bytes.subarray(2));
  } catch (err) {
    throw new DecodeError('decode', `bad MessagePack: ${(err as Error).message}`);
  }
  const r = new Reader(body, limits);
  switch (type) {
    case MessageType.Syn:
      r.expectLength(7);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        partial: r.bool(2),
        digest: r.digest(3),
        summary: r.summary(4),
        heartbeats: r.heartbeats(5),
        vector: r.vector(6),
      };
    case MessageType.SynAck:
      r.expectLength(9);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        partial: r.bool(2),
        digest: r.digest(3),
        delta: r.delta(4),
        truncated: r.bool(5),
        summary: r.summary(6),
        heartbeats: r.heartbeats(7),
        vector: r.vector(8),
      };
    case MessageType.Ack:
      r.expectLength(4);
      return { type, clusterId: r.str(0), from: r.id(1), delta: r.delta(2), truncated: r.bool(3) };
    case MessageType.Sync:
      r.expectLength(3);
      return { type, clusterId: r.str(0), from: r.id(1), digest: r.digest(2) };
    case MessageType.SyncReply:
      r.expectLength(4);
      return { type, clusterId: r.str(0), from: r.id(1), digest: r.digest(2), delta: r.delta(3) };
    case MessageType.Push:
      r.expectLength(3);
      return { type, clusterId: r.str(0), from: r.id(1), delta: r.delta(2) };
    case MessageType.Leave:
      r.expectLength(5);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        generation: r.uint(2),
        heartbeat: r.uint(3),
        maxVersion: r.uint(4),
      };
    case MessageType.StreamAck:
      r.expectLength(2);
      return { type, clusterId: r.str(0), from: r.id(1) };
    case MessageType.StreamError:
      r.expectLength(2);
      return { type, code: r.str(0), message: r.str(1) };
    default:
      throw new DecodeError('type', `unknown message type ${type}`);
  }
}

// Bound once: under Jest (a vm context) each global lookup is slow, and this runs per field.
const { isSafeInteger } = Number;
const MAX_ID_BYTES = 256;
/** No string field may be longer than this (values are the longest). */
function maxStrLength(limits: DecodeLimits): number {
  return Math.max(limits.maxValueSize, limits.maxKeySize, 1024);
}
/** Heartbeat lists ride in datagrams: never larger than one. */
const MAX_HEARTBEATS_BYTES = 65_536;
/** The deepest message nests 5 arrays: body, delta list, node delta, entries, entry. */
const MAX_DEPTH = 5;

/**
 * Walks the MessagePack body without building anything, before the real
 * decoder runs. The decoder allocates an array as soon as it reads its
 * header, so a few bytes announcing many large nested arrays would make it
 * allocate hundreds of megabytes. Refused here: nesting deeper than any
 * message, types the protocol never sends (maps, bin 32, extensions),
 * lengths past the end, trailing bytes, and arrays announcing more items
 * than bytes remain (every item takes at least one byte). What passes
 * decodes into at most one array slot per input byte. Strings and arrays
 * longer than the limits allow are refused as 'limit' (the decoder would
 * only say 'decode'), so remote data over a limit is counted as such.
 */
function checkShape(bytes: Uint8Array, start: number, limits: DecodeLimits): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let at = start;
  const readLength = (size: 1 | 2 | 4): number => {
    if (at + size > end) throw new DecodeError('decode', 'MessagePack length past the end');
    const n = size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at) : view.getUint32(at);
    at += size;
    return n;
  };
  const open: number[] = [1]; // items still to read in each open array; the root is one item
  let owed = 1;
  while (open.length > 0) {
    if (open[open.length - 1] === 0) {
      open.pop();
      continue;
    }
    open[open.length - 1]--;
    owed--;
    if (at >= end) throw new DecodeError('decode', 'MessagePack ends early');
    const b = bytes[at++];
    let skip = 0;
    let items = -1;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) skip = 0;
    else if (b >= 0xa0 && b <= 0xbf) skip = b & 0x1f;
    else if (b >= 0x90 && b <= 0x9f) items = b & 0x0f;
    else {
      switch (b) {
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xc4: // bin 8 and bin 16: heartbeat lists
          skip = readLength(1);
          break;
        case 0xc5:
          skip = readLength(2);
          break;
        case 0xd9:
          skip = readLength(1);
          break;
        case 0xda:
        case 0xdb:
          skip = readLength(b === 0xda ? 2 : 4);
          if (skip > maxStrLength(limits))
            throw new DecodeError('limit', `string of ${skip} bytes`);
          break;
        case 0xdc:
          items = readLength(2);
          break;
        case 0xdd:
          items = readLength(4);
          break;
        default:
          throw new DecodeError('decode', `MessagePack type 0x${b.toString(16)} is not used here`);
      }
    }
    if (items >= 0) {
      if (open.length > MAX_DEPTH) throw new DecodeError('decode', 'arrays nested too deep');
      if (items > limits.maxArrayLength)
        throw new DecodeError('limit', `array of ${items} items, over the node and entry limits`);
      owed += items;
      if (owed > end - at)
        throw new DecodeError('decode', `array of ${items} items with ${end - at} bytes left`);
      open.push(items);
    } else {
      at += skip;
      if (at > end) throw new DecodeError('decode', 'MessagePack value past the end');
    }
  }
  if (at !== end) throw new DecodeError('decode', `${end - at} bytes after the message`);
}

/** Checks the shape of a decoded body field by field. */
class Reader {
  constructor(
    private readonly body: unknown,
    private readonly limits: DecodeLimits,
  ) {}

  expectLength(n: number): void {
    if (!Array.isArray(this.body) || this.body.length !== n) {
      throw new DecodeError('decode', `body must be an array of ${n}`);
    }
  }

  private at(i: number): unknown {
    return (this.body as unknown[])[i];
  }

  str(i: number): string {
    return asStr(this.at(i), 'field');
  }
  id(i: number): string {
    return asId(this.at(i));
  }
  bool(i: number): boolean {
    return asBool(this.at(i));
  }
  uint(i: number): number {
    return asUint(this.at(i));
  }

  summary(i: number): Summary {
    const v = this.at(i);
    if (!Array.isArray(v) || v.length !== 2)
      throw new DecodeError('decode', 'summary must be an array of 2');
    const [hi, lo] = v.map(asUint);
    if (hi > 0xffffffff || lo > 0xffffffff)
      throw new DecodeError('decode', 'summary halves are u32');
    return { hi, lo };
  }

  vector(i: number): Uint8Array {
    const v = this.at(i);
    if (!(v instanceof Uint8Array) || (v.length !== 0 && (v.length < 12 || v.length % 2 !== 0))) {
      throw new DecodeError('decode', 'heartbeat vector must be empty or 3 u32 and u16 items');
    }
    return v;
  }

  heartbeats(i: number): Uint8Array {
    const v = this.at(i);
    if (!(v instanceof Uint8Array) || v.length % 12 !== 0) {
      throw new DecodeError('decode', 'heartbeats must be binary of 12-byte items');
    }
    return v;
  }

  digest(i: number): DigestEntry[] {
    const list = this.at(i);
    if (!Array.isArray(list)) throw new DecodeError('decode', 'digest must be an array');
    return list.map((item: unknown) => {
      if (!Array.isArray(item) || item.length !== 6)
        throw new DecodeError('decode', 'digest entry must be an array of 6');
      return {
        id: asId(item[0]),
        addr: asAddr(item[1]),
        generation: asUint(item[2]),
        heartbeat: asUint(item[3]),
        maxVersion: asUint(item[4]),
        left: asBool(item[5]),
      };
    });
  }

  delta(i: number): NodeDelta[] {
    const list = this.at(i);
    if (!Array.isArray(list)) throw new DecodeError('decode', 'delta must be an array');
    return list.map((item: unknown) => {
      if (!Array.isArray(item) || item.length !== 10)
        throw new DecodeError('decode', 'node delta must be an array of 10');
      const entries = item[9];
      if (!Array.isArray(entries))
        throw new DecodeError('decode', 'delta entries must be an array');
      const d: NodeDelta = {
        id: asId(item[0]),
        addr: asAddr(item[1]),
        generation: asUint(item[2]),
        heartbeat: asUint(item[3]),
        left: asBool(item[4]),
        reset: asBool(item[5]),
        fromVersion: asUint(item[6]),
        gcVersion: asUint(item[7]),
        maxVersion: asUint(item[8]),
        entries: entries.map((e: unknown) => this.entry(e)),
      };
      if (d.generation === 0) throw new DecodeError('decode', 'delta generation must be positive');
      let previous = d.fromVersion;
      for (const e of d.entries) {
        if (e.version <= previous)
          throw new DecodeError('decode', 'delta entries must be in increasing version order');
        previous = e.version;
      }
      if (previous > d.maxVersion)
        throw new DecodeError('decode', 'delta entry above its maxVersion');
      if (d.gcVersion > d.maxVersion)
        throw new DecodeError('decode', 'delta gcVersion above maxVersion');
      return d;
    });
  }

  private entry(e: unknown): WireEntry {
    if (!Array.isArray(e) || e.length !== 4)
      throw new DecodeError('decode', 'entry must be an array of 4');
    const key = asStr(e[0], 'key');
    const value = asStr(e[1], 'value');
    const version = asUint(e[2]);
    const flags = asUint(e[3]);
    if (flags > 3) throw new DecodeError('decode', 'unknown entry flags');
    if (Buffer.byteLength(key) > this.limits.maxKeySize || key.length === 0) {
      throw new DecodeError('limit', `key of ${Buffer.byteLength(key)} bytes`);
    }
    if (Buffer.byteLength(value) > this.limits.maxValueSize) {
      throw new DecodeError('limit', `value of ${Buffer.byteLength(value)} bytes`);
    }
    if (version === 0) throw new DecodeError('decode', 'entry version must be positive');
    return {
      key,
      value,
      version,
      deleted: (flags & FLAG_DELETED) !== 0,
      internal: (flags & FLAG_INTERNAL) !== 0,
    };
  }
}

function asStr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new DecodeError('decode', `${what} must be a string`);
  return v;
}
function asId(v: unknown): string {
  const s = asStr(v, 'node id');
  if (s.length === 0 || Buffer.byteLength(s) > MAX_ID_BYTES)
    throw new DecodeError('decode', 'node id length');
  return s;
}
function asAddr(v: unknown): string {
  const s = asStr(v, 'addr');
  if (s.length === 0 || s.length > 300) throw new DecodeError('decode', 'addr length');
  if (validAddrs.has(s)) return s;
  // Peers send packets to it: a port of 0 or a malformed address would make sends throw.
  const parsed = parseHostPort(s);
  if (!parsed || parsed.host === '' || parsed.port === 0)
    throw new DecodeError('decode', 'addr must be host:port');
  if (validAddrs.size >= MAX_VALID_ADDRS) validAddrs.clear();
  validAddrs.add(s);
  return s;
}
/** Addresses already checked: every digest entry carries one, and a cluster has few. */
const validAddrs = new Set<string>();
const MAX_VALID_ADDRS = 10_000;
function asBool(v: unknown): boolean {
  if (v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  throw new DecodeError('decode', 'flag must be 0 or 1');
}
function asUint(v: unknown): number {
  if (typeof v !== 'number' || !isSafeInteger(v) || v < 0) {
    throw new DecodeError('decode', 'counter must be a non-negative safe integer');
  }
  return v;
}
