import type { NodeMetadata } from './types';

/**
 * Messages between members (`gossip.messages`): broadcasts, messages to one
 * node, and scatter-gather queries. A payload is any value MessagePack
 * carries: JSON-like values, with `Uint8Array` for bytes.
 */

/** A message handed to a subscriber, once per message, in send order per sender. */
export interface ClusterMessage {
  topic: string;
  payload: unknown;
  /** The sender's node id. */
  from: string;
  /** The sender's number for it: grows by one with each message the sender publishes or sends. */
  seq: number;
  /** Sent by this node (a broadcast reaches its sender too). */
  local: boolean;
}

/** Called with each message of the topics subscribed to; it must not block, what it throws is logged. */
export type ClusterMessageListener = (message: ClusterMessage) => void;

/** What became of one `publish` or `send`, once every target acknowledged or dropped out. */
export interface PublishResult {
  /** The sender's `seq` for this message. */
  seq: number;
  /** Members that acknowledged it (this node included for a broadcast). */
  delivered: string[];
  /** Members that left, were found unreachable or restarted before acknowledging it. */
  missed: string[];
}

/** Why `publish`, `send` or `query` refused at once (nothing was queued). */
export type GossipMessageErrorReason =
  /** The encoded message is over `maxMessageSize`. */
  | 'too-large'
  /** Unacknowledged messages already hold `maxPendingMessageBytes` (or the count bound). */
  | 'backlog'
  /** `send` to a node that is not a live member. */
  | 'unknown-node'
  /** The node has left or is closed. */
  | 'closed'
  /** The topic or name is empty or too long, or the payload cannot be encoded. */
  | 'invalid';

/** Options of `query`. */
export interface QueryOptions {
  /** Which live members to ask; default all, this node included. */
  filter?: (node: NodeMetadata) => boolean;
  /** Give up on members that have not answered after this many ms. Default 5000. */
  timeout?: number;
}

/** One member's answer to a query. */
export type QueryAnswer =
  | { node: string; ok: true; value: unknown }
  | {
      node: string;
      ok: false;
      /** `error`: the handler threw (`error` is its message); `no-handler`: the node has none for this name. */
      reason: 'error' | 'no-handler';
      error: string;
    };

/** How a query ended: every asked member answered or dropped out, or the timeout came. */
export interface QueryResult {
  answers: QueryAnswer[];
  /** Members that left or were found unreachable before answering. */
  gone: string[];
  /** Members still silent at the timeout (empty unless `timedOut`). */
  silent: string[];
  timedOut: boolean;
}

/** Answers queries of one name: returns the value (or a Promise of it) sent back to the asker. */
export type QueryHandler = (payload: unknown, from: string) => unknown;
