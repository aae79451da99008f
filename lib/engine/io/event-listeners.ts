import type { GossipEvent, GossipListener } from '../vocabulary/events';
import type { GossipLogger } from '../vocabulary/types';

/**
 * The engine's event listeners (`Gossip.subscribe`, and the `watcher`
 * option through its adapter). The one place user code is called for an
 * event: a listener that throws is logged, never propagated, and the
 * others still run.
 */
export class EventListeners {
  private listeners: GossipListener[] = [];

  constructor(private readonly logger: GossipLogger) {}

  /** Adds `listener`; the returned function removes it (safe to call twice). */
  subscribe(listener: GossipListener): () => void {
    if (typeof listener !== 'function')
      throw new TypeError('subscribe: listener must be a function');
    // Copy on write: a listener may subscribe or unsubscribe while an event is delivered.
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Hands `event` to every listener, in subscription order. */
  deliver(event: GossipEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error(`a listener threw on '${event.type}': ${(err as Error).stack ?? err}`);
      }
    }
  }
}
