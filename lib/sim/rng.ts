// Bound once: under Jest (a vm context) each global `Math` lookup is slow.
const { imul } = Math;

/**
 * Seeded pseudo-random numbers (mulberry32): small, fast, and the same
 * sequence for the same seed on every platform. Not for cryptography.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. Draws nothing when p is 0, so a fault-free run stays cheap. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** An independent stream, seeded from this one (one per node, one for the network). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }

  /** The `() => number` the engine's `random` option takes. */
  get fn(): () => number {
    return () => this.next();
  }

  /** `k` distinct items of `items`, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + this.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  }
}
