import { Decoder } from '@msgpack/msgpack';
import { parseHostPort } from '../vocabulary/address';
import { DecodeError, DecodeLimits, maxStrLength } from './limits';
import {
  DeliverItem,
  DigestEntry,
  FLAG_DELETED,
  FLAG_INTERNAL,
  Message,
  MessageType,
  NodeDelta,
  PROTOCOL_VERSION,
  QueryStatus,
  Summary,
  WireEntry,
  beatMessage,
  pingMessage,
} from './messages';
import { checkShape } from './shape-guard';
import { decodeProbe } from './probe-codec';
import { asBool, asId, asName, asStr, asUint } from './fields';

/**
 * What decoding keeps between messages, one per limits object (each engine
 * owns one): a decoder built for those limits (building one per call cost
 * more than decoding small arrays) and the addresses already validated
 * (every digest entry and delta header carries one, and a cluster has few).
 */
class DecodeContext {
  readonly decoder: Decoder;
  /** For user traffic, whose payloads are binary fields of up to `maxMessageSize` bytes. */
  readonly userDecoder: Decoder;
  readonly validAddrs = new Set<string>();

  constructor(readonly limits: DecodeLimits) {
    const options = {
      maxStrLength: maxStrLength(limits),
      maxBinLength: 0, // the protocol sends no binary fields
      maxArrayLength: limits.maxArrayLength,
      maxMapLength: 0,
      maxExtLength: 0,
    };
    this.decoder = new Decoder(options);
    this.userDecoder = new Decoder({ ...options, maxBinLength: limits.maxMessageSize ?? 0 });
  }
}

const contexts = new WeakMap<DecodeLimits, DecodeContext>();
function contextFor(limits: DecodeLimits): DecodeContext {
  let context = contexts.get(limits);
  if (!context) {
    context = new DecodeContext(limits);
    contexts.set(limits, context);
  }
  return context;
}

const KNOWN_TYPES = new Set<number>(Object.values(MessageType));
/** Types whose bodies carry user payloads as binary fields. */
const USER_TYPES = new Set<number>([
  MessageType.Deliver,
  MessageType.Delivered,
  MessageType.Query,
  MessageType.QueryReply,
]);

/** Reads type and version; throws DecodeError when either is wrong. */
export function readHeader(bytes: Uint8Array): MessageType {
  if (bytes.length < 2) throw new DecodeError('empty', `message of ${bytes.length} bytes`);
  const type = bytes[0];
  if (bytes[1] !== PROTOCOL_VERSION)
    throw new DecodeError('version', `protocol version ${bytes[1]}`);
  if (!KNOWN_TYPES.has(type)) throw new DecodeError('type', `unknown message type ${type}`);
  return type as MessageType;
}

/** Decodes an unsealed message; throws DecodeError for anything malformed. */
export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits): Message {
  const type = readHeader(bytes);
  if (type === MessageType.Sealed)
    throw new DecodeError('sealed', 'sealed message where plain was expected');
  const probe = decodeProbe(bytes);
  if (probe) return probe;
  const user = USER_TYPES.has(type);
  checkShape(bytes, 2, limits, user ? (limits.maxMessageSize ?? 0) : 0);
  const context = contextFor(limits);
  let body: unknown;
  try {
    body = (user ? context.userDecoder : context.decoder).decode(bytes.subarray(2));
  } catch (err) {
    throw new DecodeError('decode', `bad MessagePack: ${(err as Error).message}`);
  }
  const r = new Reader(body, context);
  return readDatagram(type, r) ?? readUserTraffic(type, r) ?? readStreamMessage(type, r);
}

/** The body of a user message (Deliver, Delivered, Query, QueryReply); undefined for other types. */
function readUserTraffic(type: MessageType, r: Reader): Message | undefined {
  switch (type) {
    case MessageType.Deliver:
      r.expectLength(6);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        fromGeneration: r.uint(2),
        to: r.id(3),
        toGeneration: r.uint(4),
        items: r.items(5),
      };
    case MessageType.Delivered:
      r.expectLength(4);
      return { type, clusterId: r.str(0), from: r.id(1), generation: r.uint(2), upTo: r.uint(3) };
    case MessageType.Query:
      r.expectLength(6);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        id: r.uint(2),
        name: r.name(3),
        payload: r.bin(4),
        timeout: r.uint(5),
      };
    case MessageType.QueryReply: {
      r.expectLength(5);
      const status = r.uint(2);
      if (status > QueryStatus.NoHandler) throw new DecodeError('decode', 'unknown query status');
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        status: status as QueryStatus,
        value: r.bin(3),
        error: r.str(4),
      };
    }
    default:
      return undefined;
  }
}

/** The body of a datagram message (Syn, SynAck, Ping, PingAck, Beat, Ack); undefined for other types. */
function readDatagram(type: MessageType, r: Reader): Message | undefined {
  switch (type) {
    case MessageType.Syn:
      r.expectLength(5);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        partial: r.bool(2),
        digest: r.digest(3),
        summary: r.summary(4),
      };
    case MessageType.SynAck:
      r.expectLength(7);
      return {
        type,
        clusterId: r.str(0),
        from: r.id(1),
        partial: r.bool(2),
        digest: r.digest(3),
        delta: r.delta(4),
        truncated: r.bool(5),
        summary: r.summary(6),
      };
    case MessageType.Ping: {
      if (r.length !== 5) r.expectLength(3);
      const seq = r.u16(0);
      const target = r.u16(1);
      const from = r.u16(2);
      return pingMessage(seq, target, from, r.length === 5 ? r.summaryAt(3) : undefined);
    }
    case MessageType.PingAck:
      r.expectLength(1);
      return { type, seq: r.u16(0) };
    case MessageType.Beat: {
      if (r.length !== 4) r.expectLength(2);
      const target = r.u16(0);
      const from = r.u16(1);
      return beatMessage(target, from, r.length === 4 ? r.summaryAt(2) : undefined);
    }
    case MessageType.Ack:
      r.expectLength(4);
      return { type, clusterId: r.str(0), from: r.id(1), delta: r.delta(2), truncated: r.bool(3) };
    default:
      return undefined;
  }
}

/** The body of a stream message (Sync, SyncReply, Push, Leave, StreamAck, StreamError). */
function readStreamMessage(type: MessageType, r: Reader): Message {
  switch (type) {
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

/** Validated addresses kept per engine; past this the cache starts over. */
const MAX_VALID_ADDRS = 10_000;

/** Checks the shape of a decoded body field by field. */
class Reader {
  constructor(
    private readonly body: unknown,
    private readonly context: DecodeContext,
  ) {}

  expectLength(n: number): void {
    if (!Array.isArray(this.body) || this.body.length !== n) {
      throw new DecodeError('decode', `body must be an array of ${n}`);
    }
  }

  get length(): number {
    return Array.isArray(this.body) ? this.body.length : -1;
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
  u16(i: number): number {
    const v = asUint(this.at(i));
    if (v > 0xffff) throw new DecodeError('decode', 'field must be a u16');
    return v;
  }
  u32(i: number): number {
    const v = asUint(this.at(i));
    if (v > 0xffffffff) throw new DecodeError('decode', 'field must be a u32');
    return v;
  }
  /** A probe's summary: two u32 fields from `i`. */
  summaryAt(i: number): Summary {
    const hi = this.u32(i);
    return { hi, lo: this.u32(i + 1) };
  }

  bin(i: number): Uint8Array {
    const v = this.at(i);
    if (!(v instanceof Uint8Array)) throw new DecodeError('decode', 'payload must be binary');
    return v;
  }

  /** A topic or query name: 1 to MAX_NAME_BYTES bytes. */
  name(i: number): string {
    return asName(this.at(i));
  }

  /** A Deliver's messages, in strictly increasing seq order. */
  items(i: number): DeliverItem[] {
    const list = this.at(i);
    if (!Array.isArray(list)) throw new DecodeError('decode', 'items must be an array');
    let previous = 0;
    return list.map((item: unknown) => {
      if (!Array.isArray(item) || item.length !== 3)
        throw new DecodeError('decode', 'item must be an array of 3');
      const seq = asUint(item[0]);
      if (seq <= previous) throw new DecodeError('decode', 'items must be in increasing seq order');
      previous = seq;
      const payload = item[2];
      if (!(payload instanceof Uint8Array))
        throw new DecodeError('decode', 'payload must be binary');
      return { seq, topic: asName(item[1]), payload };
    });
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

  digest(i: number): DigestEntry[] {
    const list = this.at(i);
    if (!Array.isArray(list)) throw new DecodeError('decode', 'digest must be an array');
    return list.map((item: unknown) => {
      if (!Array.isArray(item) || item.length !== 6)
        throw new DecodeError('decode', 'digest entry must be an array of 6');
      return {
        id: asId(item[0]),
        addr: this.addr(item[1]),
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
        addr: this.addr(item[1]),
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

  /** A `host:port` peers will send to: a port of 0 or a malformed address would make sends throw. */
  private addr(v: unknown): string {
    const s = asStr(v, 'addr');
    if (s.length === 0 || s.length > 300) throw new DecodeError('decode', 'addr length');
    const valid = this.context.validAddrs;
    if (valid.has(s)) return s;
    const parsed = parseHostPort(s);
    if (!parsed || parsed.host === '' || parsed.port === 0)
      throw new DecodeError('decode', 'addr must be host:port');
    if (valid.size >= MAX_VALID_ADDRS) valid.clear();
    valid.add(s);
    return s;
  }

  private entry(e: unknown): WireEntry {
    if (!Array.isArray(e) || e.length !== 4)
      throw new DecodeError('decode', 'entry must be an array of 4');
    const key = asStr(e[0], 'key');
    const value = asStr(e[1], 'value');
    const version = asUint(e[2]);
    const flags = asUint(e[3]);
    if (flags > 3) throw new DecodeError('decode', 'unknown entry flags');
    const limits = this.context.limits;
    if (Buffer.byteLength(key) > limits.maxKeySize || key.length === 0) {
      throw new DecodeError('limit', `key of ${Buffer.byteLength(key)} bytes`);
    }
    if (Buffer.byteLength(value) > limits.maxValueSize) {
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
