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
