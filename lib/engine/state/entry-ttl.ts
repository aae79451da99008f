// Time-to-live for local entries: leases and ephemeral registrations. An
// entry written with `{ ttl }` is deleted (an ordinary tombstone, so every
// node sees `delete-key`) unless it is written again before the TTL passes.
import type { Clock, Timer } from '../vocabulary/clock';

/** Options of `Gossip.upsertLocal`. */
export interface UpsertOptions {
  /**
   * Milliseconds until the entry is deleted, unless written again first.
   * Each write restarts the countdown; a write without `ttl` makes the entry
   * permanent again. Timers run on the engine's clock.
   */
  ttl?: number;
}

/** Longest TTL accepted: Node timers overflow past 2^31-1 ms (about 24.8 days). */
export const MAX_TTL = 0x7fffffff;

/** The TTL in `options`, checked: undefined (none) or a whole number of ms in 1..MAX_TTL. */
export function ttlOf(options: UpsertOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw new TypeError('upsertLocal: options must be an object such as { ttl: 30000 }');
  const ttl = options.ttl;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 1 || ttl > MAX_TTL) {
    throw new RangeError(
      `upsertLocal: ttl must be a number of milliseconds from 1 to ${MAX_TTL} (got ${String(ttl)})`,
    );
  }
  return Math.ceil(ttl);
}

/** One pending timer per local key that has a TTL. */
export class EntryTtls {
  private readonly timers = new Map<string, { timer: Timer; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    /** Deletes the key; called once when its TTL passes. */
    private readonly expire: (key: string) => void,
  ) {}

  /** Restarts the countdown of `key`, or cancels it when `ttl` is undefined. */
  set(key: string, ttl: number | undefined): void {
    this.cancel(key);
    if (ttl === undefined) return;
    const timer = this.clock.setTimer(ttl, () => {
      this.timers.delete(key);
      this.expire(key);
    });
    this.timers.set(key, { timer, expiresAt: this.clock.now() + ttl });
  }

  /** When `key` will be deleted (engine clock ms), if it has a TTL. */
  expiresAt(key: string): number | undefined {
    return this.timers.get(key)?.expiresAt;
  }

  cancel(key: string): void {
    const pending = this.timers.get(key);
    if (!pending) return;
    pending.timer.cancel();
    this.timers.delete(key);
  }

  /** Cancels every countdown (on close). */
  clear(): void {
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}
