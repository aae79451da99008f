import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject, filter, map } from 'rxjs';
import type { GossipEvent } from '../engine';

/** Events held before the subscribers are loaded; past this the oldest are dropped. */
const MAX_HELD = 10_000;

/** An event with its place in the order the engine reported events. */
export interface SequencedEvent {
  seq: number;
  event: GossipEvent;
}

/**
 * Carries the engine's `GossipEvent`s (subscribed with `Gossip.subscribe`
 * right after it is created: this node's own writes included, marked
 * `local`) to the Nest side. The engine binds its
 * sockets while the DI graph is built, before `@OnGossipEvent` handlers are
 * bound, so a peer may join us early: events are held until `release()`
 * (called once the handlers are subscribed, before the node joins) and then
 * delivered in order. Delivery is on a microtask, never inside the engine's
 * call stack, so a handler cannot block or re-enter it.
 *
 * Each event is numbered when the engine reports it, at the same instant
 * the engine's state changes: `lastSeq` read together with the engine's
 * state tells which queued events that state already includes.
 */
@Injectable()
export class GossipEventBus {
  private readonly logger = new Logger('GossipModule');
  private readonly subject = new Subject<SequencedEvent>();
  private readonly queue: SequencedEvent[] = [];
  private released = false;
  private completed = false;
  private scheduled = false;
  private dropped = 0;
  private seq = 0;

  /** Events with their sequence numbers. */
  readonly sequenced$: Observable<SequencedEvent> = this.subject.asObservable();
  /**
   * Every event, this node's own writes included: what internal views
   * (discovery, the cluster page) recompute from. Users get `remote$`.
   */
  readonly events$: Observable<GossipEvent> = this.sequenced$.pipe(map((s) => s.event));
  /** Events about other nodes only: `GossipService.events$` and `@OnGossipEvent`. */
  readonly remote$: Observable<GossipEvent> = this.events$.pipe(filter((e) => !isLocal(e)));

  /** Number of the last event the engine reported (delivered or not). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Remote events numbered after `seq`, as they are delivered. */
  remoteAfter(seq: number): Observable<GossipEvent> {
    return this.sequenced$.pipe(
      filter((s) => s.seq > seq && !isLocal(s.event)),
      map((s) => s.event),
    );
  }

  push(event: GossipEvent): void {
    if (this.completed) return;
    this.queue.push({ seq: ++this.seq, event });
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
      const next = this.queue.shift() as SequencedEvent;
      try {
        this.subject.next(next);
      } catch (err) {
        // Subscribers guard themselves; this only catches a careless raw subscriber.
        this.logger.error(`an events$ subscriber threw: ${(err as Error).stack ?? err}`);
      }
    }
  }
}

/** This node's own write echoed by the engine (`local: true`). */
export function isLocal(event: GossipEvent): boolean {
  return 'local' in event && event.local === true;
}
