import { Decoder } from '@msgpack/msgpack';
import { parseHostPort } from '../vocabulary/address';
import { DecodeError, DecodeLimits, maxStrLength } from './limits';
import {
  DigestEntry,
  FLAG_DELETED,
  FLAG_INTERNAL,
  Message,
  MessageType,
  NodeDelta,
  PROTOCOL_VERSION,
  Summary,
  WireEntry,
} from './messages';
import { checkShape } from './shape-guard';
import { decodeProbe } from './probe-codec';

/**
 * What decoding keeps between messages, one per limits object (each engine
 * owns one): a decoder built for those limits (building one per call cost
 * more than decoding small arrays) and the addresses already validated
 * (every digest entry and delta header carries one, and a cluster has few).
 */
class DecodeContext {
  readonly decoder: Decoder;
  readonly validAddrs = new Set<string>();

  constructor(readonly limits: DecodeLimits) {
    this.decoder = new Decoder({
      maxStrLength: maxStrLength(limits),
      maxBinLength: 0, // the protocol sends no binary fields
      maxArrayLength: limits.maxArrayLength,
      maxMapLength: 0,
      maxExtLength: 0,
    });
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
  checkShape(bytes, 2, limits);
  const context = contextFor(limits);
  let body: unknown;
  try {
    body = context.decoder.decode(bytes.subarray(2));
  } catch (err) {
    throw new DecodeError('decode', `bad MessagePack: ${(err as Error).message}`);
  }
  const r = new Reader(body, context);
  return readDatagram(type, r) ?? readStreamMessage(type, r);
}

/** The body of a datagram message (Syn, SynAck, Ping, PingAck, Ack); undefined for other types. */
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
      if (r.length !== 4) r.expectLength(2);
      const seq = r.u16(0);
      const target = r.u16(1);
      return r.length === 4
        ? { type, seq, target, summary: { hi: r.u32(2), lo: r.u32(3) } }
        : { type, seq, target };
    }
    case MessageType.PingAck:
      r.expectLength(1);
      return { type, seq: r.u16(0) };
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

// Bound once: under Jest (a vm context) each global lookup is slow, and this runs per field.
const { isSafeInteger } = Number;
const MAX_ID_BYTES = 256;
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
