import { DecodeError, DecodeLimits, maxStrLength } from './limits';

/** The deepest message nests 5 arrays: body, delta list, node delta, entries, entry. */
const MAX_DEPTH = 5;

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
 */
export function checkShape(bytes: Uint8Array, start: number, limits: DecodeLimits): void {
  const cursor = new ShapeCursor(bytes, start, limits);
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
    if (open.length > MAX_DEPTH) throw new DecodeError('decode', 'arrays nested too deep');
    if (items > limits.maxArrayLength)
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
    private readonly limits: DecodeLimits,
  ) {
    this.at = start;
    this.end = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.end - this.at;
  }

  /** The next value: an array's item count (its items follow), or -1 for a scalar, now skipped. */
  next(): number {
    if (this.at >= this.end) throw new DecodeError('decode', 'MessagePack ends early');
    const b = this.bytes[this.at++];
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.readLength(2);
    if (b === 0xdd) return this.readLength(4);
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
        if (size > maxStrLength(this.limits))
          throw new DecodeError('limit', `string of ${size} bytes`);
        return size;
      }
      default:
        throw new DecodeError('decode', `MessagePack type 0x${b.toString(16)} is not used here`);
    }
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
