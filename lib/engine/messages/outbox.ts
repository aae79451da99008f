import type { Member } from './message-host';
import type { Publication } from './publication';

/** One message waiting for one target's acknowledgement. */
export interface QueuedMessage {
  seq: number;
  topic: string;
  /** MessagePack of the payload, shared by every target's outbox. */
  payload: Uint8Array;
  /** Bytes it takes in a Deliver (payload, topic, overhead). */
  cost: number;
  publication: Publication;
}

/**
 * The messages one target process has not acknowledged yet, in send order.
 * A request always carries a prefix of it and an acknowledgement names the
 * highest seq handled, so the receiver sees each message in order and a
 * resend only repeats what it may already have (dropped as a duplicate).
 */
export class Outbox {
  private readonly queue: QueuedMessage[] = [];
  /** A request is in flight or a retry is waiting: at most one at a time per target. */
  busy = false;
  /** Failed requests in a row (the backoff grows with it). */
  failures = 0;

  constructor(readonly target: Member) {}

  get size(): number {
    return this.queue.length;
  }

  /** When the oldest waiting message was published (clock ms), or undefined when none waits. */
  get oldestSince(): number | undefined {
    return this.queue[0]?.publication.startedAt;
  }

  push(message: QueuedMessage): void {
    this.queue.push(message);
  }

  /** The oldest messages up to `maxCount` and `maxBytes` (always at least one when any wait). */
  batch(maxCount: number, maxBytes: number): QueuedMessage[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < maxCount) {
      bytes += this.queue[n].cost;
      if (n > 0 && bytes > maxBytes) break;
      n++;
    }
    return this.queue.slice(0, n);
  }

  /** Removes and returns the messages up to `seq` (acknowledged). */
  ack(seq: number): QueuedMessage[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n].seq <= seq) n++;
    return this.queue.splice(0, n);
  }

  /** Removes and returns every message (the target is gone). */
  clear(): QueuedMessage[] {
    return this.queue.splice(0);
  }
}
