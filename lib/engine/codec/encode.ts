import { Encoder } from '@msgpack/msgpack';
import {
  DigestEntry,
  Encoded,
  FLAG_DELETED,
  FLAG_INTERNAL,
  MessageType,
  NodeDelta,
  Outgoing,
  PROTOCOL_VERSION,
  WireEntry,
} from './messages';
import { encodeProbe } from './probe-codec';

/** One encoder for the process: building one per call cost more than encoding small arrays. */
const encoder = new Encoder();
const encode = (value: unknown): Uint8Array => encoder.encode(value);

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

/** A MessagePack bin header: the bytes follow as they are (a payload is not copied through the encoder). */
function binHeader(length: number): Uint8Array {
  if (length < 0x100) return Uint8Array.of(0xc4, length);
  if (length < 0x10000) return Uint8Array.of(0xc5, length >> 8, length & 0xff);
  return Uint8Array.of(
    0xc6,
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
    else if (v instanceof Uint8Array) parts.push(binHeader(v.length), v);
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

export function encodeEntry(e: WireEntry): Uint8Array {
  const flags = (e.deleted ? FLAG_DELETED : 0) | (e.internal ? FLAG_INTERNAL : 0);
  return encode([e.key, e.deleted ? '' : e.value, e.version, flags]);
}

/** The identity half of a NodeDelta's header (id, addr, generation, heartbeat, left), encoded without an array header. */
export function encodeDeltaIdentity(
  d: Pick<NodeDelta, 'id' | 'addr' | 'generation' | 'heartbeat' | 'left'>,
): Uint8Array {
  // Drop the 5-element array header: packNodeDelta writes the delta's own.
  return pack([d.id, d.addr, d.generation, d.heartbeat, d.left ? 1 : 0]).subarray(1);
}

/** The range half of a NodeDelta's header (reset, fromVersion, gcVersion, maxVersion), encoded without an array header. */
export function encodeDeltaRange(
  d: Pick<NodeDelta, 'reset' | 'fromVersion' | 'gcVersion' | 'maxVersion'>,
): Uint8Array {
  return pack([d.reset ? 1 : 0, d.fromVersion, d.gcVersion, d.maxVersion]).subarray(1);
}

/** A NodeDelta from its encoded header halves (identity, range) and encoded entries. */
export function packNodeDelta(header: [Uint8Array, Uint8Array], entries: Uint8Array[]): Encoded {
  return new Encoded(concat([arrayHeader(10), ...header, arrayHeader(entries.length), ...entries]));
}

function packDigest(digest: DigestEntry[] | Encoded[]): Encoded[] {
  return digest.map((e) => (e instanceof Encoded ? e : new Encoded(encodeDigestEntry(e))));
}
function packDelta(delta: NodeDelta[] | Encoded[]): Encoded[] {
  return delta.map((d) =>
    d instanceof Encoded
      ? d
      : packNodeDelta([encodeDeltaIdentity(d), encodeDeltaRange(d)], d.entries.map(encodeEntry)),
  );
}

/** The plain (unsealed) bytes of a message. */
export function encodeMessage(m: Outgoing): Uint8Array {
  const probe =
    m.type === MessageType.Ping || m.type === MessageType.PingAck || m.type === MessageType.Beat
      ? encodeProbe(m)
      : undefined;
  if (probe) return probe;
  let body: unknown[];
  switch (m.type) {
    case MessageType.Syn:
      body = [
        m.clusterId,
        m.from,
        m.partial ? 1 : 0,
        packDigest(m.digest),
        [m.summary?.hi ?? 0, m.summary?.lo ?? 0],
      ];
      break;
    case MessageType.SynAck:
      body = [
        m.clusterId,
        m.from,
        m.partial ? 1 : 0,
        packDigest(m.digest),
        packDelta(m.delta),
        m.truncated ? 1 : 0,
        [m.summary?.hi ?? 0, m.summary?.lo ?? 0],
      ];
      break;
    case MessageType.Ack:
      body = [m.clusterId, m.from, packDelta(m.delta), m.truncated ? 1 : 0];
      break;
    case MessageType.Ping:
      body = m.summary
        ? [m.seq, m.target, m.from, m.summary.hi, m.summary.lo]
        : [m.seq, m.target, m.from];
      break;
    case MessageType.PingAck:
      body = [m.seq];
      break;
    case MessageType.Beat:
      body = m.summary ? [m.target, m.from, m.summary.hi, m.summary.lo] : [m.target, m.from];
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
    case MessageType.Deliver:
      body = [
        m.clusterId,
        m.from,
        m.fromGeneration,
        m.to,
        m.toGeneration,
        m.items.map((i) => [i.seq, i.topic, i.payload]),
      ];
      break;
    case MessageType.Delivered:
      body = [m.clusterId, m.from, m.generation, m.upTo];
      break;
    case MessageType.Query:
      body = [m.clusterId, m.from, m.id, m.name, m.payload, m.timeout];
      break;
    case MessageType.QueryReply:
      body = [m.clusterId, m.from, m.status, m.value, m.error];
      break;
  }
  return concat([Uint8Array.of(m.type, PROTOCOL_VERSION), pack(body)]);
}
