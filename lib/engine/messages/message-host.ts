// What the messages floor is given by the engine: membership to read, a
// carrier that does the stream I/O, counters to bump. Interfaces only, so
// this floor stays pure (no sockets, timers or metrics of its own).
import type { Query, QueryReply } from '../codec';
import type { Outbox } from './outbox';
import type { NodeMetadata, NodeStatus } from '../vocabulary/types';

/** One member as a target: where it is and which process (generation) it is. */
export interface Member {
  id: string;
  addr: string;
  generation: number;
  status: NodeStatus;
}

/** Membership as this node sees it now. */
export interface MemberView {
  readonly selfId: string;
  readonly selfGeneration: number;
  /** Remote members that are alive (neither pending, unreachable nor left). */
  livePeers(): Member[];
  /** The node `id` as held now (any status), or undefined once dropped. */
  member(id: string): Member | undefined;
  /** What users see of node `id` (for query filters). */
  describe(id: string): NodeMetadata | undefined;
  /** Messages may be sent: not closed, not left. */
  writable(): boolean;
}

/** Why messages were dropped (the `reason` label of `messages_dropped_total`). */
export type MessageDropReason =
  /** The target left, was found unreachable or expired before acknowledging. */
  | 'gone'
  /** The target restarted (a new generation) before acknowledging. */
  | 'restarted'
  /** This node closed or left with messages unacknowledged. */
  | 'closed'
  /** The target stayed a live member but refused or failed every request for `messageGiveUp`. */
  | 'refused'
  /** Received by a process of another generation than the one it was sent to. */
  | 'stale';

/** Counters the engine keeps for messages (io/metrics.ts implements them). */
export interface MessageCounters {
  sent(): void;
  received(count: number): void;
  duplicates(count: number): void;
  dropped(reason: MessageDropReason, count: number): void;
  /** Seconds from `publish` until every target acknowledged it. */
  spread(seconds: number): void;
  querySent(targets: number): void;
  queryAnswered(): void;
  queryTimedOut(): void;
}

/** The stream I/O of messages (io/message-courier.ts). */
export interface MessageCarrier {
  /** `outbox` has messages: send them (one request in flight per target, retried with backoff). */
  wake(outbox: Outbox): void;
  /** Sends one Query, waiting at most `timeout` ms; rejects on any failure. */
  ask(addr: string, message: Query, timeout: number): Promise<QueryReply>;
}

/** Counted and logged by the engine: a remote message refused while handling it. */
export interface MessageRejection {
  reason: 'decode' | 'self' | 'cluster';
  from: string;
  detail: string;
}
