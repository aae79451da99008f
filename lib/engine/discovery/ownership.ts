// Rendezvous (highest random weight) hashing: every member gets a score for
// a key, the highest scores own it. Nodes that see the same member list pick
// the same owners, and a member joining or leaving moves only the keys it
// wins or held: about 1/N of them, with no ring or virtual nodes to tune.

// Bound once: under Jest every `Math.imul` lookup goes through the vm context.
const { imul } = Math;

/** How many owners `owners(key, n)` returns when `n` is omitted. */
export const DEFAULT_REPLICAS = 1;

/**
 * The weight of `member` for `key`: a 53-bit integer, the same on every node
 * and every platform (FNV-1a over UTF-16 code units in two lanes, each
 * finished with MurmurHash3's avalanche so close ids spread out).
 */
export function rendezvousScore(key: string, member: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = imul(a ^ c, 0x01000193);
      b = imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
  };
  feed(key);
  // A separator no id contains at that position: ("ab", "c") and ("a", "bc") differ.
  a = imul(a ^ 0xffff, 0x01000193);
  b = imul(b ^ 0xffff, 0x5bd1e995);
  feed(member);
  const hi = fmix32(a ^ imul(b, 0x27d4eb2d));
  const lo = fmix32(b ^ hi);
  return (hi >>> 11) * 0x100000000 + lo;
}

/**
 * The `n` members with the highest score for `key`, best first (fewer when
 * there are fewer members). Ties, which need equal 53-bit scores, go to the
 * smaller id so every node still agrees.
 */
export function owners(key: string, members: Iterable<string>, n = DEFAULT_REPLICAS): string[] {
  checkCount(n);
  const scored: Array<{ id: string; score: number }> = [];
  for (const id of new Set(members)) scored.push({ id, score: rendezvousScore(key, id) });
  scored.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return scored.slice(0, n).map((s) => s.id);
}

/** The one member that owns `key`, or undefined when there are no members. */
export function owner(key: string, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const id of members) {
    const score = rendezvousScore(key, id);
    if (score > bestScore || (score === bestScore && best !== undefined && id < best)) {
      best = id;
      bestScore = score;
    }
  }
  return best;
}

/** One key whose owners differ between two member lists. */
export interface OwnerChange {
  key: string;
  /** Owners before, best first. */
  previous: string[];
  /** Owners now, best first. */
  current: string[];
}

/**
 * The keys among `keys` whose `n` owners differ between `before` and
 * `after`: what a node hands over (or takes on) when membership changes.
 */
export function ownerChanges(
  keys: Iterable<string>,
  before: Iterable<string>,
  after: Iterable<string>,
  n = DEFAULT_REPLICAS,
): OwnerChange[] {
  const was = [...before];
  const now = [...after];
  const changes: OwnerChange[] = [];
  for (const key of keys) {
    const previous = owners(key, was, n);
    const current = owners(key, now, n);
    if (previous.length !== current.length || previous.some((id, i) => id !== current[i])) {
      changes.push({ key, previous, current });
    }
  }
  return changes;
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`owners: n must be an integer of at least 1 (got ${String(n)})`);
  }
}

/** MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
