import { GossipConfigError } from '../vocabulary/errors';
import {
  DEFAULT_STREAM_BUDGET,
  MAX_STREAM_BUDGET,
  MIN_STREAM_BUDGET,
  STREAM_BUDGET_HEADROOM,
} from '../vocabulary/tuning';

/** Bytes held for one inbound stream, from its frame header until it is done. */
export interface StreamReservation {
  readonly bytes: number;
  /** The request is complete and being answered: no longer dropped to make room. */
  settle(): void;
  /** Gives the bytes back; idempotent. */
  release(): void;
}

/** Why a reservation was not granted. */
export type BudgetRefusal =
  /** Larger than the whole budget: it can never fit. */
  | 'too-large'
  /** Not now: streams already being answered hold the rest. */
  | 'full';

/**
 * A byte budget for inbound stream requests, shared by every socket
 * transport that uses it, so several nodes in one process are bounded
 * together rather than each by `maxInboundStreams x maxStreamSize`.
 *
 * A stream reserves the length its frame header announces (never more than
 * `maxStreamSize`) before any of its body is kept, and holds it until the
 * stream closes. When a stream does not fit, streams still reading their
 * request make room, the one that has waited longest first: the same rule
 * as for inbound slots, so a sender that announces a large message and then
 * trickles it cannot keep honest requests (which arrive at once) out.
 * Streams already being answered are never dropped; when they alone fill
 * the budget the newcomer is refused.
 */
export class StreamBudget {
  private explicitLimit: number | undefined;
  private largestStream = 0;
  private reserved = 0;
  private highWater = 0;
  /** Reservations whose stream is still reading its request, oldest first, with what drops it. */
  private readonly evictable = new Map<StreamReservation, () => void>();

  constructor(private readonly floor = DEFAULT_STREAM_BUDGET) {}

  /**
   * The bound, in bytes. Unless set, the larger of 128 MiB and twice the
   * largest `maxStreamSize` of any transport that used this budget, so one
   * largest message always fits beside others.
   */
  get limit(): number {
    return this.explicitLimit ?? Math.max(this.floor, STREAM_BUDGET_HEADROOM * this.largestStream);
  }

  /** Sets the bound (`undefined` restores the default). Streams larger than it are refused. */
  setLimit(bytes: number | undefined): void {
    if (
      bytes !== undefined &&
      (typeof bytes !== 'number' ||
        !Number.isInteger(bytes) ||
        bytes < MIN_STREAM_BUDGET ||
        bytes > MAX_STREAM_BUDGET)
    ) {
      throw new GossipConfigError(
        'inboundStreamBudget',
        `must be an integer from ${MIN_STREAM_BUDGET} to ${MAX_STREAM_BUDGET}`,
        bytes,
      );
    }
    this.explicitLimit = bytes;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.reserved;
  }

  /** The most bytes ever reserved at once (since the last `resetPeak`). */
  get peak(): number {
    return this.highWater;
  }

  resetPeak(): void {
    this.highWater = this.reserved;
  }

  /** A transport with this `maxStreamSize` uses the budget: the default limit covers it. */
  registerStreamSize(maxStreamSize: number): void {
    this.largestStream = Math.max(this.largestStream, maxStreamSize);
  }

  /**
   * Reserves `bytes` for a stream that is still reading its request;
   * `drop` closes that stream if room is needed later (it must release).
   */
  reserve(bytes: number, drop: () => void): StreamReservation | BudgetRefusal {
    const limit = this.limit;
    if (bytes > limit) return 'too-large';
    if (this.reserved + bytes > limit) {
      let droppable = 0;
      for (const r of this.evictable.keys()) droppable += r.bytes;
      // Drop nobody unless dropping is enough to let this one in.
      if (this.reserved - droppable + bytes > limit) return 'full';
      for (const [r, dropIt] of this.evictable) {
        if (this.reserved + bytes <= limit) break;
        dropIt();
        r.release();
      }
    }
    const reservation = this.grant(bytes);
    this.evictable.set(reservation, drop);
    return reservation;
  }

  private grant(bytes: number): StreamReservation {
    let released = false;
    this.reserved += bytes;
    this.highWater = Math.max(this.highWater, this.reserved);
    const reservation: StreamReservation = {
      bytes,
      settle: () => this.evictable.delete(reservation),
      release: () => {
        if (released) return;
        released = true;
        this.reserved -= bytes;
        this.evictable.delete(reservation);
      },
    };
    return reservation;
  }
}

/** The budget every socket transport shares unless given its own. */
export const inboundStreamBudget = new StreamBudget();
