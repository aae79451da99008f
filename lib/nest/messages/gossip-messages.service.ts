import { Inject, Injectable } from '@nestjs/common';
import { Observable, filter } from 'rxjs';
import type { Gossip } from '../../engine';
import { checkName } from '../../engine/messages/prepare';
import type {
  ClusterMessage,
  PublishResult,
  QueryAnswer,
  QueryOptions,
  QueryResult,
} from '../../engine/vocabulary/messages';
import { GOSSIP_ENGINE } from '../constants';
import { ClusterMessageBus } from './cluster-message-bus';
import { ALL_TOPICS } from './messages.constants';

/**
 * Messages between the instances, Nest side: the one home of `publish`,
 * `send` and `query` (the engine's `gossip.messages`). A broadcast reaches
 * every member that was live when it was sent, this node included (its
 * copy has `local: true`); each node hands each message to its handlers
 * exactly once, in send order per sender. See README, "Messages without Redis".
 *
 * Decorators do the receiving side: `@OnClusterMessage(topic)` and
 * `@OnClusterQuery(name)`.
 */
@Injectable()
export class GossipMessagesService {
  /** @internal Nest injects it. */
  constructor(
    @Inject(GOSSIP_ENGINE) private readonly engine: Gossip,
    private readonly bus: ClusterMessageBus,
  ) {}

  /**
   * Sends `payload` (any MessagePack value: JSON-like, `Uint8Array` for
   * bytes) to every live member under `topic`. Resolves once every target
   * acknowledged or dropped out (`{ seq, delivered, missed }`); never
   * rejects. Throws `GossipMessageError` at once when refused (too large, a
   * full backlog, a bad topic, a closed node): nothing was queued then.
   */
  publish(topic: string, payload: unknown): Promise<PublishResult> {
    return this.engine.messages.publish(topic, payload);
  }

  /** Like `publish`, to one live member only; `GossipMessageError` (`unknown-node`) when it is not one. */
  send(nodeId: string, topic: string, payload: unknown): Promise<PublishResult> {
    return this.engine.messages.send(nodeId, topic, payload);
  }

  /**
   * The messages of `topic` (`'*'`: every topic), this node's own
   * broadcasts included (`local: true`). Hot: a subscriber sees what
   * arrives after it subscribed. Completes when the application shuts down.
   */
  messages$(topic: string): Observable<ClusterMessage> {
    if (topic !== ALL_TOPICS) checkName('messages$', 'topic', topic);
    return this.bus.messages$.pipe(filter((m) => topic === ALL_TOPICS || m.topic === topic));
  }

  /**
   * Asks the live members (`options.filter`, default all, this node
   * included) and emits each answer as it comes (`{ node, ok: true, value }`,
   * or `{ node, ok: false, reason: 'error' | 'no-handler', error }`).
   * Completes as soon as every member asked has answered or dropped out,
   * else at `options.timeout` (default 5000 ms): it never hangs. Cold: each
   * subscription asks once; a refusal (`GossipMessageError`) is its error.
   * Unsubscribing stops the emissions, not the query (it ends by its timeout).
   */
  query(name: string, payload: unknown, options?: QueryOptions): Observable<QueryAnswer> {
    return new Observable<QueryAnswer>((subscriber) => {
      this.engine.messages
        .query(name, payload, options, (answer) => subscriber.next(answer))
        .then(
          () => subscriber.complete(),
          (err: unknown) => subscriber.error(err),
        );
    });
  }

  /**
   * The whole result of a query at once: every answer, who dropped out
   * (`gone`) and who was still silent at the timeout (`silent`). What a
   * controller returns; throws `GossipMessageError` at once when refused.
   */
  queryAll(name: string, payload: unknown, options?: QueryOptions): Promise<QueryResult> {
    return this.engine.messages.query(name, payload, options);
  }
}
