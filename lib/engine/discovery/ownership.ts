// Rendezvous (highest random weight) hashing: every member gets a score for
// a key, the highest scores own it. Nodes that see the same member list pick
// the same owners, and a member joining or leaving moves only the keys it
// wins or held: about 1/N of them, with no ring or virtual nodes to tune.

// Bound once: under Jest every `Math.imul` lookup goes through the vm context.
const { imul } = Math;

/** How many owners `owners(key, n)` and `rendezvousOwners` return when `n` is omitted. */
export const DEFAULT_REPLICAS = 1;

/**
 * The weight of `member` for `key`: a 53-bit integer, the same on every node
 * and every platform (FNV-1a over UTF-16 code units in two lanes, each
 * finished with MurmurHash3's avalanche so close ids spread out).
 */
export function rendezvousScore(key: string, member: string): number {
  return new KeyHash(key).score(member);
}

/**
 * A key hashed once, then scored against each member: a lookup over N
 * members hashes the key once, not N times (the scores are unchanged).
 */
export class KeyHash {
  private readonly a: number;
  private readonly b: number;

  constructor(key: string) {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = imul(a ^ c, 0x01000193);
      b = imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // A separator no id contains at that position: ("ab", "c") and ("a", "bc") differ.
    this.a = imul(a ^ 0xffff, 0x01000193);
    this.b = imul(b ^ 0xffff, 0x5bd1e995);
  }

  /** `rendezvousScore(key, member)`. */
  score(member: string): number {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < member.length; i++) {
      const c = member.charCodeAt(i);
      a = imul(a ^ c, 0x01000193);
      b = imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    const hi = fmix32(a ^ imul(b, 0x27d4eb2d));
    const lo = fmix32(b ^ hi);
    return (hi >>> 11) * 0x100000000 + lo;
  }
}

/** Whether `id` (scoring `score`) beats the current best: higher score, ties to the smaller id. */
export function outranks(score: number, id: string, bestScore: number, best: string): boolean {
  return score > bestScore || (score === bestScore && id < best);
}

/**
 * The `n` members with the highest score for `key`, best first (fewer when
 * there are fewer members). Ties, which need equal 53-bit scores, go to the
 * smaller id so every node still agrees.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export function rendezvousOwners(
  key: string,
  members: Iterable<string>,
  n = DEFAULT_REPLICAS,
): string[] {
  checkCount(n);
  const top = new TopOwners(key, n);
  for (const id of members) top.offer(id);
  return top.ids();
}

/**
 * The one member that owns `key`, or undefined when there are no members.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export function rendezvousOwner(key: string, members: Iterable<string>): string | undefined {
  const hash = new KeyHash(key);
  let best: string | undefined;
  let bestScore = -1;
  for (const id of members) {
    const score = hash.score(id);
    if (best === undefined || outranks(score, id, bestScore, best)) {
      best = id;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The best `n` members offered so far, kept in a list of at most `n`: memory
 * in proportion to the replicas, not to the members. Duplicates count once.
 */
export class TopOwners {
  private readonly hash: KeyHash;
  private readonly best: Array<{ id: string; score: number }> = [];

  constructor(
    key: string,
    private readonly n: number,
  ) {
    this.hash = new KeyHash(key);
  }

  offer(id: string): void {
    const score = this.hash.score(id);
    const list = this.best;
    if (list.length === this.n) {
      const last = list[list.length - 1];
      if (!outranks(score, id, last.score, last.id)) return;
    }
    let i = list.length;
    while (i > 0 && outranks(score, id, list[i - 1].score, list[i - 1].id)) i--;
    if (i > 0 && list[i - 1].id === id) return; // offered twice
    list.splice(i, 0, { id, score });
    if (list.length > this.n) list.pop();
  }

  /** The ids, best first. */
  ids(): string[] {
    return this.best.map((s) => s.id);
  }
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
    const previous = rendezvousOwners(key, was, n);
    const current = rendezvousOwners(key, now, n);
    if (previous.length !== current.length || previous.some((id, i) => id !== current[i])) {
      changes.push({ key, previous, current });
    }
  }
  return changes;
}

export function checkCount(n: number): void {
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
