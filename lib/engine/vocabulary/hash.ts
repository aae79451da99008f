// Bound once: under Jest (a vm context) every `Math.imul` lookup goes through the
// context's global interceptor and costs about 40 times the multiplication.
const { imul } = Math;

/** A 64-bit hash as two unsigned 32-bit halves (XOR-able in plain JS numbers). */
export interface Hash64 {
  hi: number;
  lo: number;
}

/** FNV-1a over the UTF-16 code units of `text`, from two offsets: two independent 32-bit hashes. */
export function hash64(text: string): Hash64 {
  let hi = 0x811c9dc5;
  let lo = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    hi = imul(hi ^ c, 0x01000193);
    lo = imul(lo ^ c, 0x01000193) ^ (lo >>> 15);
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

export function sameHash(a: Hash64 | undefined, b: Hash64): boolean {
  return a !== undefined && a.hi === b.hi && a.lo === b.lo;
}
