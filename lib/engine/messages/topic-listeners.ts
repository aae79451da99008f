import type { ClusterMessage, ClusterMessageListener } from '../vocabulary/messages';
import type { GossipLogger } from '../vocabulary/types';

/** Subscribing to this topic receives every topic. */
export const ANY_TOPIC = '*';

/**
 * Subscribers by topic. Each message goes to its topic's listeners, then to
 * those of `*`, synchronously and in arrival order; what a listener throws
 * is logged and never reaches the engine or the other listeners.
 */
export class TopicListeners {
  private readonly byTopic = new Map<string, Set<ClusterMessageListener>>();

  constructor(private readonly logger: GossipLogger) {}

  subscribe(topic: string, listener: ClusterMessageListener): () => void {
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    // A wrapper, so subscribing one function twice gives two independent subscriptions.
    const entry: ClusterMessageListener = (message) => listener(message);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.byTopic.get(topic) === set) this.byTopic.delete(topic);
    };
  }

  deliver(message: ClusterMessage): void {
    for (const topic of [message.topic, ANY_TOPIC]) {
      const set = this.byTopic.get(topic);
      if (!set || (topic === ANY_TOPIC && message.topic === ANY_TOPIC)) continue;
      for (const listener of [...set]) {
        try {
          listener(message);
        } catch (err) {
          this.logger.error(
            `listener of topic ${JSON.stringify(message.topic)} threw: ${(err as Error).stack ?? err}`,
          );
        }
      }
    }
  }
}
