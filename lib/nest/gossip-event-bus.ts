import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { Watcher } from '../engine';
import type { GossipEvent } from './gossip-event';

/** Events held before the subscribers are loaded; past this the oldest are dropped. */
const MAX_HELD = 10_000;

/**
 * Turns engine `Watcher` calls into `GossipEvent`s. The engine binds its
 * sockets while the DI graph is built, before `@OnGossipEvent` handlers are
 * bound, so a peer may join us early: events are held until `release()`
 * (called once the handlers are subscribed, before the node joins) and then
 * delivered in order. Delivery is on a microtask, never inside the engine's
 * call stack, so a handler cannot block or re-enter it.
 */
@Injectable()
export class GossipEventBus {
  private readonly logger = new Logger('GossipModule');
  private readonly subject = new Subject<GossipEvent>();
  private readonly queue: GossipEvent[] = [];
  private released = false;
  private completed = false;
  private scheduled = false;
  private dropped = 0;

  readonly events$: Observable<GossipEvent> = this.subject.asObservable();

  /** A `Watcher` feeding this bus, after the user's own `watcher` (if any) is told. */
  watcher(user?: Watcher): Watcher {
    const forward =
      <K extends keyof Watcher>(name: K, toEvent: (...args: string[]) => GossipEvent) =>
      (...args: string[]): void => {
        const fn = user?.[name] as ((...a: string[]) => void) | undefined;
        if (fn) {
          try {
            fn.apply(user, args);
          } catch (err) {
            this.logger.error(`watcher.${name} threw: ${(err as Error).stack ?? err}`);
          }
        }
        this.push(toEvent(...args));
      };
    return {
      onJoin: forward('onJoin', (nodeId) => ({ type: 'join', nodeId })),
      onLeave: forward('onLeave', (nodeId) => ({ type: 'leave', nodeId })),
      onReachable: forward('onReachable', (nodeId) => ({ type: 'reachable', nodeId })),
      onUnreachable: forward('onUnreachable', (nodeId) => ({ type: 'unreachable', nodeId })),
      onUpsertKey: forward('onUpsertKey', (nodeId, key, value) => ({
        type: 'upsert-key',
        nodeId,
        key,
        value,
      })),
      onDeleteKey: forward('onDeleteKey', (nodeId, key) => ({ type: 'delete-key', nodeId, key })),
      onExpired: forward('onExpired', (nodeId) => ({ type: 'expired', nodeId })),
    };
  }

  push(event: GossipEvent): void {
    if (this.completed) return;
    this.queue.push(event);
    if (!this.released && this.queue.length > MAX_HELD) {
      this.queue.shift();
      if (this.dropped++ === 0)
        this.logger.warn(`more than ${MAX_HELD} events before start-up; dropping the oldest`);
    }
    this.schedule();
  }

  /** Starts delivering, the held events first. */
  release(): void {
    this.released = true;
    this.schedule();
  }

  /** Delivers what is queued, then completes `events$`. */
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
      const event = this.queue.shift() as GossipEvent;
      try {
        this.subject.next(event);
      } catch (err) {
        // Subscribers guard themselves; this only catches a careless raw subscriber.
        this.logger.error(`an events$ subscriber threw: ${(err as Error).stack ?? err}`);
      }
    }
  }
}
