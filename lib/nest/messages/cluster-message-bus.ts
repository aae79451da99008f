import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { ClusterMessage } from '../../engine/vocabulary/messages';

/** Messages held before the handlers are loaded; past this the oldest are dropped. */
const MAX_HELD = 10_000;

/**
 * Carries the engine's messages (one `subscribe('*')`, made right after the
 * engine is created) to `messages$` and the `@OnClusterMessage` handlers.
 * The engine binds its sockets while the DI graph is built: a peer that
 * already counts this node as live may send before the handlers are bound,
 * so messages are held until `release()` (at bootstrap, once they are bound)
 * and then delivered in the engine's order. Delivery is on a microtask,
 * never inside the engine's call stack, so a handler cannot block or
 * re-enter it. The same shape as `GossipEventBus`.
 */
@Injectable()
export class ClusterMessageBus {
  private readonly logger = new Logger('GossipModule');
  private readonly subject = new Subject<ClusterMessage>();
  private readonly queue: ClusterMessage[] = [];
  private released = false;
  private completed = false;
  private scheduled = false;
  private dropped = 0;

  /** Every message of every topic, once, in the engine's order; completes at shutdown. */
  readonly messages$: Observable<ClusterMessage> = this.subject.asObservable();

  push(message: ClusterMessage): void {
    if (this.completed) return;
    this.queue.push(message);
    if (!this.released && this.queue.length > MAX_HELD) {
      this.queue.shift();
      if (this.dropped++ === 0)
        this.logger.warn(
          `more than ${MAX_HELD} cluster messages before start-up; dropping the oldest`,
        );
    }
    this.schedule();
  }

  /** Starts delivering, the held messages first. */
  release(): void {
    this.released = true;
    this.schedule();
  }

  /** Delivers what is queued, then completes `messages$`. */
  complete(): void {
    if (this.completed) return;
    if (this.released) this.drain();
    this.completed = true;
    this.queue.length = 0;
    this.subject.complete();
  }

  private schedule(): void {
    if (!this.released || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.completed) {
      const next = this.queue.shift() as ClusterMessage;
      try {
        this.subject.next(next);
      } catch (err) {
        // Subscribers guard themselves; this only catches a careless raw subscriber.
        this.logger.error(`a messages$ subscriber threw: ${(err as Error).stack ?? err}`);
      }
    }
  }
}
