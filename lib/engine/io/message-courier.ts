import { type Message, MessageType, type Query, type QueryReply } from '../codec/messages';
import { GossipPeerError } from '../vocabulary/errors';
import type { Clock } from '../vocabulary/clock';
import type { Tuning } from '../vocabulary/tuning';
import type { Deliveries } from '../messages/deliveries';
import type { MessageCarrier } from '../messages/message-host';
import type { Outbox } from '../messages/outbox';
import type { Messenger } from './messenger';

/**
 * The stream I/O of messages: for each target one Deliver in flight at a
 * time, carrying what its outbox holds (Deliveries decides); a failed one
 * is sent again after a backoff, for as long as the outbox is in use (the
 * target stays a live member of the same generation). Queries are one
 * request each, bounded by the asker's remaining time.
 */
export class MessageCourier implements MessageCarrier {
  constructor(
    private readonly deliveries: Deliveries,
    private readonly io: Messenger,
    private readonly clock: Clock,
    private readonly tuning: Pick<Tuning, 'messageRetryMin' | 'messageRetryMax' | 'messageGiveUp'>,
    private readonly isClosed: () => boolean,
  ) {}

  wake(outbox: Outbox): void {
    if (outbox.busy || this.isClosed()) return;
    const request = this.deliveries.nextRequest(outbox);
    if (!request) return;
    outbox.busy = true;
    this.io.request(outbox.target.addr, request).then(
      (reply) => {
        outbox.busy = false;
        if (reply.type === MessageType.Delivered) {
          // Another process answered at the target's address: it dropped them, the target is gone.
          const same =
            reply.from === outbox.target.id && reply.generation === outbox.target.generation;
          if (same) this.deliveries.acked(outbox, reply.upTo);
          else this.deliveries.restarted(outbox);
          this.wake(outbox);
        } else this.retry(outbox, `answered a Deliver with message type ${reply.type}`);
      },
      (err: Error) => {
        outbox.busy = false;
        this.retry(outbox, err.message);
      },
    );
  }

  /** Waits, doubling from messageRetryMin up to messageRetryMax, then sends what is still unacknowledged. */
  private retry(outbox: Outbox, why: string): void {
    if (!this.deliveries.current(outbox) || this.isClosed()) return;
    if (this.deliveries.giveUpIfStuck(outbox, this.tuning.messageGiveUp)) {
      this.io.error(
        `messages to ${outbox.target.id} dropped: it stayed a live member but failed every request for ${this.tuning.messageGiveUp} ms (${why}); check that its secretKeys, clusterId, maxStreamSize and maxMessageSize match this node's`,
        `messages-refused:${outbox.target.id}`,
      );
      return;
    }
    const { messageRetryMin, messageRetryMax } = this.tuning;
    const delay = Math.min(messageRetryMax, messageRetryMin * 2 ** Math.min(outbox.failures, 20));
    outbox.failures++;
    if (outbox.failures === 1 || outbox.failures % 10 === 0)
      this.io.debug(`messages to ${outbox.target.id} failed (${why}); retrying in ${delay} ms`);
    outbox.busy = true;
    this.clock.setTimer(delay, () => {
      outbox.busy = false;
      this.wake(outbox);
    });
  }

  async ask(addr: string, message: Query, timeout: number): Promise<QueryReply> {
    const reply: Message = await this.io.request(addr, message, timeout);
    if (reply.type !== MessageType.QueryReply)
      throw new GossipPeerError(
        'protocol',
        addr,
        `${addr} answered a Query with message type ${reply.type}`,
      );
    return reply;
  }
}
