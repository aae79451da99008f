/** One probe from an address we knew no node at. */
interface Introduction {
  tag: number;
  at: number;
}

/**
 * Probes from addresses no node we know lives at: a node that just joined
 * pings every node it learned of, and most learn of it only later, second
 * hand. Remembered for a while, such a ping is the proof of life that node
 * would otherwise need a ping of ours to show (it came from the address,
 * naming the id's tag, moments ago), so a join costs one ping and one ack
 * per member instead of two of each. Bounded: a flood of probes from
 * strangers displaces the oldest, it does not grow memory.
 */
export class Introductions {
  /** By address, oldest first (a newer probe from an address moves it to the end). */
  private readonly byAddr = new Map<string, Introduction>();

  constructor(
    /** How long a probe counts, in ms. */
    private readonly memory: number,
    private readonly capacity: number,
  ) {}

  /** A probe from `addr`, sent by a node whose id has tag `tag`. */
  note(addr: string, tag: number, now: number): void {
    this.byAddr.delete(addr);
    this.byAddr.set(addr, { tag, at: now });
    if (this.byAddr.size > this.capacity) {
      const oldest = this.byAddr.keys().next().value as string;
      this.byAddr.delete(oldest);
    }
  }

  /** Whether the node with tag `tag` at `addr` introduced itself lately; used up when asked. */
  take(addr: string, tag: number, now: number): boolean {
    const seen = this.byAddr.get(addr);
    if (!seen) return false;
    this.byAddr.delete(addr);
    return seen.tag === tag && now - seen.at <= this.memory;
  }

  /** Forgets introductions past their time. */
  sweep(now: number): void {
    for (const [addr, seen] of this.byAddr) {
      if (now - seen.at <= this.memory) break; // oldest first: the rest are newer
      this.byAddr.delete(addr);
    }
  }

  get size(): number {
    return this.byAddr.size;
  }
}
