import { DecodeError, DecodeLimits, maxStrLength } from './limits';

/** The deepest message nests 5 arrays: body, delta list, node delta, entries, entry. */
const MAX_DEPTH = 5;
/** A user payload may nest this deep (the encoder's own default bound). */
export const PAYLOAD_MAX_DEPTH = 100;

/** What one walk accepts. */
interface ShapeRules {
  maxDepth: number;
  maxArrayLength: number;
  maxStr: number;
  /** Longest binary field; 0: none allowed. */
  maxBin: number;
  /** Maps and extensions (user payloads); protocol bodies have neither. */
  payload: boolean;
}

/**
 * A security boundary: walks the MessagePack body without building
 * anything, before the real decoder runs. The decoder allocates an array as
 * soon as it reads its header, so a few bytes announcing many large nested
 * arrays would make it allocate hundreds of megabytes. Refused here: nesting
 * deeper than any message, types the protocol never sends (maps, binary,
 * extensions), lengths past the end, trailing bytes, and arrays announcing
 * more items than bytes remain (every item takes at least one byte). What
 * passes decodes into at most one array slot per input byte. Strings and
 * arrays longer than the limits allow are refused as 'limit' (the decoder
 * would only say 'decode'), so remote data over a limit is counted as such.
 * `maxBin` > 0 lets binary fields through (the payloads of user messages).
 */
export function checkShape(
  bytes: Uint8Array,
  start: number,
  limits: DecodeLimits,
  maxBin = 0,
): void {
  walk(bytes, start, {
    maxDepth: MAX_DEPTH,
    maxArrayLength: limits.maxArrayLength,
    maxStr: maxStrLength(limits),
    maxBin,
    payload: false,
  });
}

/**
 * The same guard for a user payload (any MessagePack value: maps, binary
 * and extensions included), so decoding it allocates at most a few slots per
 * byte whatever its headers announce.
 */
export function checkPayloadShape(bytes: Uint8Array): void {
  const n = bytes.length;
  walk(bytes, 0, {
    maxDepth: PAYLOAD_MAX_DEPTH,
    maxArrayLength: n,
    maxStr: n,
    maxBin: n,
    payload: true,
  });
}

function walk(bytes: Uint8Array, start: number, rules: ShapeRules): void {
  const cursor = new ShapeCursor(bytes, start, rules);
  const open: number[] = [1]; // items still to read in each open array; the root is one item
  let owed = 1;
  while (open.length > 0) {
    if (open[open.length - 1] === 0) {
      open.pop();
      continue;
    }
    open[open.length - 1]--;
    owed--;
    const items = cursor.next();
    if (items < 0) continue;
    if (open.length > rules.maxDepth) throw new DecodeError('decode', 'arrays nested too deep');
    if (items > rules.maxArrayLength)
      throw new DecodeError('limit', `array of ${items} items, over the node and entry limits`);
    owed += items;
    if (owed > cursor.left)
      throw new DecodeError('decode', `array of ${items} items with ${cursor.left} bytes left`);
    open.push(items);
  }
  if (cursor.left !== 0) throw new DecodeError('decode', `${cursor.left} bytes after the message`);
}

/** Reads one MessagePack value header at a time, skipping scalars whole. */
class ShapeCursor {
  private at: number;
  private readonly end: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly rules: ShapeRules,
  ) {
    this.at = start;
    this.end = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.end - this.at;
  }

  /** The next value: an array's item count (a map's keys and values; its items follow), or -1 for a scalar, now skipped. */
  next(): number {
    if (this.at >= this.end) throw new DecodeError('decode', 'MessagePack ends early');
    const b = this.bytes[this.at++];
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.readLength(2);
    if (b === 0xdd) return this.readLength(4);
    if (this.rules.payload) {
      if (b >= 0x80 && b <= 0x8f) return 2 * (b & 0x0f);
      if (b === 0xde) return 2 * this.readLength(2);
      if (b === 0xdf) return 2 * this.readLength(4);
    }
    // Read first: scalarSize moves `at` past a length field.
    const size = this.scalarSize(b);
    this.at += size;
    if (this.at > this.end) throw new DecodeError('decode', 'MessagePack value past the end');
    return -1;
  }

  /** Bytes after the type byte `b` of a scalar (reading its length field, if any). */
  private scalarSize(b: number): number {
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return 0;
    if (b >= 0xa0 && b <= 0xbf) return b & 0x1f;
    switch (b) {
      case 0xcc:
      case 0xd0:
        return 1;
      case 0xcd:
      case 0xd1:
        return 2;
      case 0xca:
      case 0xce:
      case 0xd2:
        return 4;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return 8;
      case 0xd9:
        return this.readLength(1);
      case 0xda:
      case 0xdb: {
        const size = this.readLength(b === 0xda ? 2 : 4);
        if (size > this.rules.maxStr) throw new DecodeError('limit', `string of ${size} bytes`);
        return size;
      }
      default:
        return this.otherSize(b);
    }
  }

  /** Binary fields (when allowed) and extensions (in payloads); every other type is refused. */
  private otherSize(b: number): number {
    if (this.rules.maxBin > 0 && b >= 0xc4 && b <= 0xc6) {
      const size = this.readLength(b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4);
      if (size > this.rules.maxBin) throw new DecodeError('limit', `binary field of ${size} bytes`);
      return size;
    }
    if (this.rules.payload) {
      // fixext 1/2/4/8/16 and ext 8/16/32: a type byte, then the data.
      if (b >= 0xd4 && b <= 0xd8) return 1 + (1 << (b - 0xd4));
      if (b >= 0xc7 && b <= 0xc9) return 1 + this.readLength(b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4);
    }
    throw new DecodeError('decode', `MessagePack type 0x${b.toString(16)} is not used here`);
  }

  private readLength(size: 1 | 2 | 4): number {
    if (this.at + size > this.end)
      throw new DecodeError('decode', 'MessagePack length past the end');
    const v = this.view;
    const n =
      size === 1 ? v.getUint8(this.at) : size === 2 ? v.getUint16(this.at) : v.getUint32(this.at);
    this.at += size;
    return n;
  }
}
