/**
 * Byte layouts of the two liveness fields of Syn and SynAck, both
 * MessagePack `bin` values. Written by HeartbeatNews, checked by decode.ts.
 *
 * Heartbeat list: items of 12 bytes, each `[key hi u32][key lo u32][heartbeat u32]`
 * (big-endian), the key naming one incarnation (hash of id and generation).
 *
 * Heartbeat vector: `[membership hi u32][membership lo u32][start u32][u16 x count]`,
 * the low 16 bits of each node's heartbeat in the canonical order of keys,
 * from index `start`; only a receiver with the same membership hash can read it.
 */

/** Bytes per keyed heartbeat. */
export const HEARTBEAT_BYTES = 12;
/** Bytes before the first u16 of a vector. */
export const VECTOR_START = 12;
/** Largest MessagePack bin header (bin 16) in front of either field. */
export const BIN_HEADER_MAX = 3;
/** Bin header and fixed fields of a vector: what it costs before its first item. */
export const VECTOR_HEADER = BIN_HEADER_MAX + VECTOR_START;
/** Either field rides in a datagram: never larger than one. */
export const MAX_HEARTBEATS_BYTES = 65_536;

export function writeHeartbeat(
  view: DataView,
  at: number,
  keyHi: number,
  keyLo: number,
  heartbeat: number,
): void {
  view.setUint32(at, keyHi);
  view.setUint32(at + 4, keyLo);
  view.setUint32(at + 8, heartbeat >>> 0);
}

export function writeVectorHeader(
  view: DataView,
  memberHi: number,
  memberLo: number,
  start: number,
): void {
  view.setUint32(0, memberHi >>> 0);
  view.setUint32(4, memberLo >>> 0);
  view.setUint32(8, start);
}

/** True when `vector` is a vector of the membership `(memberHi, memberLo)`. */
export function vectorOf(vector: Uint8Array, memberHi: number, memberLo: number): boolean {
  if (vector.length < VECTOR_START) return false;
  const view = new DataView(vector.buffer, vector.byteOffset, vector.byteLength);
  return view.getUint32(0) === memberHi >>> 0 && view.getUint32(4) === memberLo >>> 0;
}

/** Well formed: whole 12-byte items. */
export function isHeartbeatList(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length % HEARTBEAT_BYTES === 0;
}

/** Well formed: empty, or the fixed fields and whole u16 items. */
export function isHeartbeatVector(v: unknown): v is Uint8Array {
  return (
    v instanceof Uint8Array && (v.length === 0 || (v.length >= VECTOR_START && v.length % 2 === 0))
  );
}
