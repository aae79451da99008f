import {
  MessageType,
  PROTOCOL_VERSION,
  beatMessage,
  pingMessage,
  type Beat,
  type Ping,
  type PingAck,
} from './messages';

/**
 * Heartbeats (and the pings and acks that confirm a silence) are nine
 * datagrams in ten a settled cluster sends. Their bodies are one to five
 * small unsigned integers, so they are written
 * and read here by hand, byte for byte as MessagePack (and encode.ts and
 * decode.ts) would: no encoder, decoder or shape walk per probe. Anything
 * off this common shape is left to the general codec, which decides.
 */

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/** Bytes of one MessagePack unsigned integer, as the general encoder writes it (smallest form). */
function uintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
}

function writeUint(out: Uint8Array, at: number, v: number): number {
  if (v < 0x80) {
    out[at] = v;
    return at + 1;
  }
  if (v < 0x100) {
    out[at] = 0xcc;
    out[at + 1] = v;
    return at + 2;
  }
  if (v < 0x10000) {
    out[at] = 0xcd;
    out[at + 1] = v >>> 8;
    out[at + 2] = v & 0xff;
    return at + 3;
  }
  out[at] = 0xce;
  out[at + 1] = v >>> 24;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 8) & 0xff;
  out[at + 4] = v & 0xff;
  return at + 5;
}

const isUint = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

/** The fields of a probe's body, in order. */
function probeFields(m: Ping | PingAck | Beat): number[] {
  switch (m.type) {
    case MessageType.PingAck:
      return [m.seq];
    case MessageType.Ping:
      return m.summary
        ? [m.seq, m.target, m.from, m.summary.hi, m.summary.lo]
        : [m.seq, m.target, m.from];
    case MessageType.Beat:
      return m.summary ? [m.target, m.from, m.summary.hi, m.summary.lo] : [m.target, m.from];
  }
}

/** How many leading fields of a probe type are 16-bit (sequence numbers and id tags); a summary's two 32-bit halves follow. */
function shortFields(type: number): number {
  return type === MessageType.Ping ? 3 : type === MessageType.Beat ? 2 : 1;
}

/** The plain bytes of a probe, or undefined when a field is out of range (the general encoder decides). */
export function encodeProbe(m: Ping | PingAck | Beat): Uint8Array | undefined {
  const fields = probeFields(m);
  const short = shortFields(m.type);
  let size = 3;
  for (let i = 0; i < fields.length; i++) {
    if (!isUint(fields[i], i < short ? U16_MAX : U32_MAX)) return undefined;
    size += uintSize(fields[i]);
  }
  const out = new Uint8Array(size);
  out[0] = m.type;
  out[1] = PROTOCOL_VERSION;
  out[2] = 0x90 | fields.length;
  let at = 3;
  for (const v of fields) at = writeUint(out, at, v);
  return out;
}

/**
 * A plain probe in its common shape, or undefined for anything else (other
 * types, other encodings, trailing bytes, values out of range): the general
 * decoder then accepts or refuses it with its reason.
 */
export function decodeProbe(bytes: Uint8Array): Ping | PingAck | Beat | undefined {
  const type = bytes[0];
  if (
    (type !== MessageType.Ping && type !== MessageType.PingAck && type !== MessageType.Beat) ||
    bytes.length < 4
  )
    return undefined;
  if (bytes[1] !== PROTOCOL_VERSION) return undefined;
  const count = bytes[2] ^ 0x90;
  const short = shortFields(type);
  // Its short fields alone, or with a summary.
  if (count !== short && (type === MessageType.PingAck || count !== short + 2)) return undefined;
  const values: number[] = [];
  let at = 3;
  for (let i = 0; i < count; i++) {
    const b = bytes[at];
    let v: number;
    if (b < 0x80) {
      v = b;
      at += 1;
    } else if (b === 0xcc && at + 1 < bytes.length) {
      v = bytes[at + 1];
      at += 2;
    } else if (b === 0xcd && at + 2 < bytes.length) {
      v = (bytes[at + 1] << 8) | bytes[at + 2];
      at += 3;
    } else if (b === 0xce && at + 4 < bytes.length && i >= short) {
      v =
        ((bytes[at + 1] << 24) | (bytes[at + 2] << 16) | (bytes[at + 3] << 8) | bytes[at + 4]) >>>
        0;
      at += 5;
    } else return undefined;
    values.push(v);
  }
  if (at !== bytes.length) return undefined;
  if (type === MessageType.PingAck) return { type, seq: values[0] };
  const withSummary = count === short + 2;
  const summary = withSummary ? { hi: values[count - 2], lo: values[count - 1] } : undefined;
  if (type === MessageType.Beat) return beatMessage(values[0], values[1], summary);
  return pingMessage(values[0], values[1], values[2], summary);
}
