import { type Deliver, MessageType } from '../codec/messages';
import type { PublishResult } from '../vocabulary/messages';
import type { Member, MemberView, MessageCounters, MessageDropReason } from './message-host';
import { Outbox, type QueuedMessage } from './outbox';
import { Publication } from './publication';

export interface DeliveriesConfig {
  clusterId: string;
  maxPendingMessageBytes: number;
  maxPendingMessages: number;
  /** Bytes of user messages one Deliver may carry. */
  batchBytes: number;
  /** Items one Deliver may carry (the receiver's array bound). */
  batchCount: number;
}

/** How much is waiting for acknowledgements, against the bounds. */
export interface Backlog {
  bytes: number;
  messages: number;
}

/**
 * The sending side of messages: one ordered outbox per target process, the
 * publications waiting on them, and the backlog bounds. It decides what a
 * Deliver carries and what an acknowledgement or a departure settles; the
 * courier (io) does the requests and the retries.
 */
export class Deliveries {
  private readonly outboxes = new Map<string, Outbox>();
  readonly backlog: Backlog = { bytes: 0, messages: 0 };

  constructor(
    private readonly config: DeliveriesConfig,
    private readonly view: MemberView,
    private readonly counters: MessageCounters,
    private readonly now: () => number,
    private readonly wake: (outbox: Outbox) => void,
  ) {}

  /** Whether a message of `cost` bytes fits the backlog now (one always fits an empty one). */
  fits(cost: number): boolean {
    const b = this.backlog;
    if (b.messages === 0) return true;
    return (
      b.messages < this.config.maxPendingMessages &&
      b.bytes + cost <= this.config.maxPendingMessageBytes
    );
  }

  /** Queues one message for `targets` (remote members); `here` got it already. */
  enqueue(
    message: { seq: number; topic: string; payload: Uint8Array; cost: number },
    targets: Member[],
    here: string | undefined,
  ): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve) => {
      const publication = new Publication(
        message.seq,
        message.cost,
        targets.length,
        this.now(),
        (p, result) => {
          if (targets.length > 0) {
            this.backlog.bytes -= p.cost;
            this.backlog.messages--;
            if (result.missed.length === 0) this.counters.spread((this.now() - p.startedAt) / 1000);
          }
          resolve(result);
        },
      );
      if (here !== undefined) publication.deliveredHere(here);
      if (targets.length > 0) {
        this.backlog.bytes += message.cost;
        this.backlog.messages++;
      }
      for (const target of targets) {
        const outbox = this.outboxFor(target);
        outbox.push({ ...message, publication });
      }
      publication.finishIfIdle();
      for (const target of targets) {
        const outbox = this.outboxes.get(target.id);
        if (outbox) this.wake(outbox);
      }
    });
  }

  /** The outbox of `target`'s process, a new one when it restarted (the old one is dropped). */
  private outboxFor(target: Member): Outbox {
    const current = this.outboxes.get(target.id);
    if (current && current.target.generation === target.generation) return current;
    if (current) this.drop(current, 'restarted');
    const outbox = new Outbox(target);
    this.outboxes.set(target.id, outbox);
    return outbox;
  }

  /** Whether `outbox` is still the one in use for its target (not dropped meanwhile). */
  current(outbox: Outbox): boolean {
    return this.outboxes.get(outbox.target.id) === outbox;
  }

  /** The next Deliver for `outbox`, or undefined when nothing waits (or it was dropped). */
  nextRequest(outbox: Outbox): Deliver | undefined {
    if (!this.current(outbox) || outbox.size === 0) return undefined;
    const items = outbox.batch(this.config.batchCount, this.config.batchBytes);
    return {
      type: MessageType.Deliver,
      clusterId: this.config.clusterId,
      from: this.view.selfId,
      fromGeneration: this.view.selfGeneration,
      to: outbox.target.id,
      toGeneration: outbox.target.generation,
      items: items.map(({ seq, topic, payload }) => ({ seq, topic, payload })),
    };
  }

  /** The target acknowledged every message up to `upTo`. */
  acked(outbox: Outbox, upTo: number): void {
    outbox.failures = 0;
    if (!this.current(outbox)) return;
    for (const m of outbox.ack(upTo)) m.publication.settle(outbox.target.id, true);
    if (outbox.size === 0) this.outboxes.delete(outbox.target.id);
  }

  /**
   * The target is live but has not acknowledged its oldest message for
   * `giveUp` ms (it keeps refusing: other keys, limits or version): its
   * messages are dropped rather than kept forever. Returns whether it did.
   */
  giveUpIfStuck(outbox: Outbox, giveUp: number): boolean {
    const since = outbox.oldestSince;
    if (!this.current(outbox) || since === undefined || this.now() - since < giveUp) return false;
    this.drop(outbox, 'refused');
    return true;
  }

  /** Another process of the target's id answered: the one these were for is gone. */
  restarted(outbox: Outbox): void {
    if (this.current(outbox)) this.drop(outbox, 'restarted');
  }

  /**
   * After a membership change: drops the outboxes of targets that are no
   * longer the live process they were (left, unreachable, expired, restarted).
   */
  review(): void {
    for (const outbox of [...this.outboxes.values()]) {
      const now = this.view.member(outbox.target.id);
      if (now && now.generation === outbox.target.generation && now.status === 'alive') continue;
      this.drop(outbox, now && now.generation !== outbox.target.generation ? 'restarted' : 'gone');
    }
  }

  /** Drops every outbox (this node closed or left). */
  close(): void {
    for (const outbox of [...this.outboxes.values()]) this.drop(outbox, 'closed');
  }

  private drop(outbox: Outbox, reason: MessageDropReason): void {
    this.outboxes.delete(outbox.target.id);
    const dropped: QueuedMessage[] = outbox.clear();
    if (dropped.length > 0) this.counters.dropped(reason, dropped.length);
    for (const m of dropped) m.publication.settle(outbox.target.id, false);
  }
}
