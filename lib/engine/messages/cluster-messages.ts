import {
  type Deliver,
  type Delivered,
  MessageType,
  type Query,
  type QueryReply,
} from '../codec/messages';
import { decodePayload } from '../codec/payload';
import type { Clock } from '../vocabulary/clock';
import { GossipMessageError } from '../vocabulary/errors';
import { type Prepared, checkName, prepare } from './prepare';
import type {
  ClusterMessageListener,
  PublishResult,
  QueryAnswer,
  QueryHandler,
  QueryOptions,
  QueryResult,
} from '../vocabulary/messages';
import type { GossipLogger } from '../vocabulary/types';
import { Deliveries, type DeliveriesConfig } from './deliveries';
import { Inbox } from './inbox';
import type { Member, MemberView, MessageCarrier, MessageCounters } from './message-host';
import type { Outbox } from './outbox';
import { type Asked, PendingQuery } from './pending-query';
import { QueryHandlers, toAnswer } from './query-handlers';
import { ANY_TOPIC, TopicListeners } from './topic-listeners';

/** Default `timeout` of `query`, ms. */
export const DEFAULT_QUERY_TIMEOUT = 5000;
/** The longest query timeout a timer takes (2^31 - 1 ms, about 24 days). */
const MAX_QUERY_TIMEOUT = 2 ** 31 - 1;

export interface ClusterMessagesConfig extends DeliveriesConfig {
  maxMessageSize: number;
  /** Senders whose duplicate marks are kept (maxNodes). */
  maxSenders: number;
  /** Longest error text sent back to an asker. */
  maxErrorText: number;
  /** Longest a handler may take to answer a remote query (the stream closes after it). */
  maxHandlerTime: number;
}

export interface ClusterMessagesDeps {
  config: ClusterMessagesConfig;
  view: MemberView;
  counters: MessageCounters;
  clock: Clock;
  logger: GossipLogger;
  /** Builds the I/O side, which reads what to send from the Deliveries it is given. */
  carrier(deliveries: Deliveries): MessageCarrier;
}

/**
 * Messages between members (`gossip.messages`): broadcasts and messages to
 * one node, delivered at least once on the wire and exactly once, in send
 * order per sender, to subscribers; and scatter-gather queries that complete
 * as soon as every asked member answered or dropped out. See
 * docs/protocol.md, "Messages".
 */
export class ClusterMessages {
  private readonly deliveries: Deliveries;
  private readonly carrier: MessageCarrier;
  private readonly inbox: Inbox;
  private readonly listeners: TopicListeners;
  private readonly handlers: QueryHandlers;
  private readonly queries = new Set<PendingQuery>();
  private readonly view: MemberView;
  private readonly config: ClusterMessagesConfig;
  private seq = 0;
  private queryIds = 0;

  /** @internal Built by the engine: read it as `gossip.messages`. */
  constructor(private readonly deps: ClusterMessagesDeps) {
    this.view = deps.view;
    this.config = deps.config;
    this.deliveries = new Deliveries(
      deps.config,
      deps.view,
      deps.counters,
      () => deps.clock.now(),
      (outbox: Outbox) => this.carrier.wake(outbox),
    );
    this.carrier = deps.carrier(this.deliveries);
    this.inbox = new Inbox(deps.config.maxSenders);
    this.listeners = new TopicListeners(deps.logger);
    this.handlers = new QueryHandlers(
      deps.view.selfId,
      deps.clock,
      deps.config.maxMessageSize,
      deps.config.maxErrorText,
    );
  }

  /**
   * Sends `payload` under `topic` to every live member, this node included
   * (its subscribers get it with `local: true`, without the network). Throws
   * GossipMessageError at once when refused (nothing is queued); the
   * promise never rejects: it resolves once every member acknowledged it or
   * dropped out (left, found unreachable, restarted), naming each.
   */
  publish(topic: string, payload: unknown): Promise<PublishResult> {
    const prepared = prepare(this.view, this.config.maxMessageSize, 'publish', topic, payload);
    const targets = this.view.livePeers();
    this.admit('publish', prepared, targets);
    const seq = ++this.seq;
    this.deliverHere(seq, prepared);
    return this.deliveries.enqueue({ seq, ...prepared }, targets, this.view.selfId);
  }

  /**
   * Sends `payload` under `topic` to the one member `nodeId` (this node
   * included), on the same ordered channel as `publish`. Throws
   * GossipMessageError `unknown-node` when it is not a live member.
   */
  send(nodeId: string, topic: string, payload: unknown): Promise<PublishResult> {
    const prepared = prepare(this.view, this.config.maxMessageSize, 'send', topic, payload);
    if (nodeId === this.view.selfId) {
      const seq = ++this.seq;
      this.deps.counters.sent();
      this.deliverHere(seq, prepared);
      return Promise.resolve({ seq, delivered: [nodeId], missed: [] });
    }
    const target = this.view.member(nodeId);
    if (!target || target.status !== 'alive')
      throw new GossipMessageError(
        'unknown-node',
        `send: ${JSON.stringify(nodeId)} is not a live member (${target ? target.status : 'unknown'}); read gossip.discovery.members() for the live ones`,
      );
    this.admit('send', prepared, [target]);
    const seq = ++this.seq;
    return this.deliveries.enqueue({ seq, ...prepared }, [target], undefined);
  }

  /**
   * Calls `listener` with each message of `topic` (`*`: every topic) until
   * the returned function is called: once per message, in send order per
   * sender. It must not block; what it throws is logged.
   */
  subscribe(topic: string, listener: ClusterMessageListener): () => void {
    if (topic !== ANY_TOPIC) checkName('subscribe', 'topic', topic);
    if (typeof listener !== 'function')
      throw new TypeError('subscribe: listener must be a function');
    return this.listeners.subscribe(topic, listener);
  }

  /**
   * Answers queries named `name` with what `handler` returns (or resolves
   * to); one handler per name on a node (a second one throws). A handler
   * that throws sends an error answer. Returns the function that removes it.
   */
  handle(name: string, handler: QueryHandler): () => void {
    checkName('handle', 'name', name);
    if (typeof handler !== 'function') throw new TypeError('handle: handler must be a function');
    return this.handlers.add(name, handler);
  }

  /**
   * Asks every live member the filter keeps (default all, this node
   * included) and calls `onAnswer` with each answer as it comes. Resolves as
   * soon as every asked member answered or left or was found unreachable,
   * and never later than `timeout` (then `timedOut`, and `silent` names who
   * did not answer). A member whose stream failed is waited for until the
   * failure detector decides (or the timeout). Throws GossipMessageError at
   * once when refused; the promise never rejects.
   */
  query(
    name: string,
    payload: unknown,
    options: QueryOptions = {},
    onAnswer?: (answer: QueryAnswer) => void,
  ): Promise<QueryResult> {
    const prepared = prepare(this.view, this.config.maxMessageSize, 'query', name, payload);
    const timeout = options.timeout ?? DEFAULT_QUERY_TIMEOUT;
    if (typeof timeout !== 'number' || !(timeout > 0) || timeout > MAX_QUERY_TIMEOUT)
      throw new GossipMessageError(
        'invalid',
        `query: timeout must be a number of ms from 1 to ${MAX_QUERY_TIMEOUT} (got ${String(timeout)})`,
      );
    const keep = options.filter ?? (() => true);
    const self = this.view.selfId;
    const selfMeta = this.view.describe(self);
    const askSelf = selfMeta !== undefined && keep(selfMeta);
    const peers = this.view.livePeers().filter((m) => {
      const meta = this.view.describe(m.id);
      return meta !== undefined && keep(meta);
    });
    const asked: Asked[] = peers.map((m) => ({ id: m.id, generation: m.generation }));
    if (askSelf) asked.push({ id: self, generation: this.view.selfGeneration });
    const clock = this.deps.clock;
    const deadline = clock.now() + timeout;
    return new Promise<QueryResult>((resolve) => {
      const pending = new PendingQuery(
        asked,
        (answer) => {
          this.deps.counters.queryAnswered();
          if (!onAnswer) return;
          try {
            onAnswer(answer);
          } catch (err) {
            this.deps.logger.error(
              `onAnswer of query ${JSON.stringify(name)} threw: ${(err as Error).stack ?? err}`,
            );
          }
        },
        (result) => {
          this.queries.delete(pending);
          resolve(result);
        },
      );
      this.queries.add(pending);
      this.deps.counters.querySent(asked.length);
      pending.timer = clock.setTimer(timeout, () => {
        if (pending.finished) return;
        this.deps.counters.queryTimedOut();
        pending.expire();
      });
      const value = decodePayload(prepared.payload);
      if (askSelf)
        void this.handlers
          .answer(name, value, self, timeout)
          .then((reply) => pending.answer(toAnswer(self, reply)));
      for (const peer of peers) this.ask(pending, peer, name, prepared.payload, deadline);
      pending.finishIfAnswered();
    });
  }

  private ask(
    pending: PendingQuery,
    peer: Member,
    name: string,
    payload: Uint8Array,
    deadline: number,
  ): void {
    const remaining = Math.max(1, Math.ceil(deadline - this.deps.clock.now()));
    const message: Query = {
      type: MessageType.Query,
      clusterId: this.config.clusterId,
      from: this.view.selfId,
      id: ++this.queryIds,
      name,
      payload,
      timeout: remaining,
    };
    this.carrier.ask(peer.addr, message, remaining).then(
      // Another process answering at the member's address means the member is gone.
      (reply) =>
        reply.from === peer.id ? pending.answer(toAnswer(peer.id, reply)) : pending.lose(peer.id),
      // No answer yet: the failure detector (review) or the timeout settles this member.
      () => undefined,
    );
  }

  // ------------------------------------------------------------ inbound

  /** @internal A Deliver: hands new messages to subscribers in order; the reply acknowledges them all. */
  receiveDeliver(m: Deliver): Delivered {
    const upTo = m.items.length > 0 ? m.items[m.items.length - 1].seq : 0;
    const ack: Delivered = {
      type: MessageType.Delivered,
      clusterId: this.config.clusterId,
      from: this.view.selfId,
      generation: this.view.selfGeneration,
      upTo,
    };
    if (m.to !== this.view.selfId || m.toGeneration !== this.view.selfGeneration) {
      // Meant for another process with our id (before a restart): that one never got it.
      if (m.items.length > 0) this.deps.counters.dropped('stale', m.items.length);
      return ack;
    }
    const mark = this.inbox.mark(m.from, m.fromGeneration);
    if (mark === undefined) {
      if (m.items.length > 0) this.deps.counters.dropped('stale', m.items.length);
      return ack;
    }
    const fresh = m.items.filter((item) => item.seq > mark);
    // Decoded first: a malformed payload refuses the whole request (DecodeError), nothing handed on.
    const payloads = fresh.map((item) => decodePayload(item.payload));
    const duplicates = m.items.length - fresh.length;
    if (duplicates > 0) this.deps.counters.duplicates(duplicates);
    if (fresh.length === 0) return ack;
    this.inbox.advance(m.from, m.fromGeneration, upTo);
    this.deps.counters.received(fresh.length);
    fresh.forEach((item, i) =>
      this.listeners.deliver({
        topic: item.topic,
        payload: payloads[i],
        from: m.from,
        seq: item.seq,
        local: false,
      }),
    );
    return ack;
  }

  /** @internal A Query from another member: its handler's answer (or why there is none). */
  async receiveQuery(m: Query): Promise<QueryReply> {
    // Decoded before anything runs: a malformed payload refuses the request (DecodeError).
    const payload = decodePayload(m.payload);
    const timeout = Math.min(m.timeout, this.config.maxHandlerTime);
    const reply = await this.handlers.answer(m.name, payload, m.from, timeout);
    return {
      type: MessageType.QueryReply,
      clusterId: this.config.clusterId,
      from: this.view.selfId,
      ...reply,
    };
  }

  // --------------------------------------------------------- membership

  /** @internal After a membership change: targets and asked members that dropped out are settled. */
  review(): void {
    this.deliveries.review();
    for (const pending of [...this.queries])
      for (const asked of pending.outstanding) {
        if (asked.id === this.view.selfId) continue;
        const now = this.view.member(asked.id);
        if (!now || now.status !== 'alive' || now.generation !== asked.generation)
          pending.lose(asked.id);
      }
  }

  /** @internal This node closed: pending messages are missed, pending queries end now. */
  close(): void {
    this.deliveries.close();
    for (const pending of [...this.queries]) pending.expire();
  }

  // ------------------------------------------------------------ helpers

  /** Refuses with `backlog` when remote targets would take the backlog past its bounds. */
  private admit(operation: string, prepared: Prepared, targets: Member[]): void {
    if (targets.length === 0 || this.deliveries.fits(prepared.cost)) {
      this.deps.counters.sent();
      return;
    }
    const { bytes, messages } = this.deliveries.backlog;
    const c = this.config;
    throw new GossipMessageError(
      'backlog',
      `${operation}: ${messages} messages (${bytes} bytes) already wait for acknowledgements; the bounds are maxPendingMessages ${c.maxPendingMessages} and maxPendingMessageBytes ${c.maxPendingMessageBytes}. Wait for earlier publish()/send() promises before sending more, or raise those options`,
    );
  }

  /** This node's own copy: decoded like a remote one (no shared object), handed on after the caller's turn. */
  private deliverHere(seq: number, prepared: Prepared): void {
    const payload = decodePayload(prepared.payload);
    const message = { topic: prepared.topic, payload, from: this.view.selfId, seq, local: true };
    void Promise.resolve().then(() => {
      this.deps.counters.received(1);
      this.listeners.deliver(message);
    });
  }
}
