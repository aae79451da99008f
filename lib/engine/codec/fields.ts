import { DecodeError } from './limits';
import { MAX_NAME_BYTES } from './messages';

// The scalar fields of a decoded body, checked one by one (decode.ts reads whole messages).

// Bound once: under Jest (a vm context) each global lookup is slow, and this runs per field.
const { isSafeInteger } = Number;
const MAX_ID_BYTES = 256;

export function asStr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new DecodeError('decode', `${what} must be a string`);
  return v;
}
export function asId(v: unknown): string {
  const s = asStr(v, 'node id');
  if (s.length === 0 || Buffer.byteLength(s) > MAX_ID_BYTES)
    throw new DecodeError('decode', 'node id length');
  return s;
}
export function asName(v: unknown): string {
  const s = asStr(v, 'topic or name');
  if (s.length === 0 || Buffer.byteLength(s) > MAX_NAME_BYTES)
    throw new DecodeError('decode', 'topic or name length');
  return s;
}
export function asBool(v: unknown): boolean {
  if (v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  throw new DecodeError('decode', 'flag must be 0 or 1');
}
export function asUint(v: unknown): number {
  if (typeof v !== 'number' || !isSafeInteger(v) || v < 0) {
    throw new DecodeError('decode', 'counter must be a non-negative safe integer');
  }
  return v;
}
