import { MAX_NAME_BYTES } from '../codec/messages';
import { encodePayload } from '../codec/payload';
import { GossipMessageError } from '../vocabulary/errors';
import { MESSAGE_ENVELOPE_BYTES, MESSAGE_ITEM_OVERHEAD } from '../vocabulary/tuning';
import type { MemberView } from './message-host';
import { ANY_TOPIC } from './topic-listeners';

/** A message checked and encoded, before it gets its seq. */
export interface Prepared {
  topic: string;
  payload: Uint8Array;
  /** Bytes it takes in a Deliver and in the backlog. */
  cost: number;
}

/**
 * Checks and encodes a message before it gets its seq: throws
 * GossipMessageError (`closed`, `invalid`, `too-large`) when refused.
 */
export function prepare(
  view: MemberView,
  maxMessageSize: number,
  operation: string,
  topic: string,
  payload: unknown,
): Prepared {
  if (!view.writable())
    throw new GossipMessageError(
      'closed',
      `${operation}: this node has left the cluster or is closed`,
    );
  checkName(operation, operation === 'query' ? 'name' : 'topic', topic);
  if (topic === ANY_TOPIC && operation !== 'query')
    throw new GossipMessageError(
      'invalid',
      `${operation}: "*" is for subscribing to every topic, not a topic to send on`,
    );
  let bytes: Uint8Array;
  try {
    bytes = encodePayload(payload);
  } catch (err) {
    throw new GossipMessageError(
      'invalid',
      `${operation}: the payload cannot be encoded as MessagePack: ${(err as Error).message}`,
    );
  }
  const size = bytes.length + Buffer.byteLength(topic);
  const max = maxMessageSize;
  if (size > max)
    throw new GossipMessageError(
      'too-large',
      `${operation}: the message is ${size} bytes (payload and ${operation === 'query' ? 'name' : 'topic'}), over maxMessageSize ${max}; send a reference to the data (a key, a URL) instead, or raise maxMessageSize (at most maxStreamSize - ${MESSAGE_ENVELOPE_BYTES})`,
    );
  return { topic, payload: bytes, cost: size + MESSAGE_ITEM_OVERHEAD };
}

/** Refuses a topic or query name that is not 1 to MAX_NAME_BYTES bytes of string. */
export function checkName(operation: string, what: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_NAME_BYTES)
    throw new GossipMessageError(
      'invalid',
      `${operation}: the ${what} must be a non-empty string of at most ${MAX_NAME_BYTES} bytes (got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value})`,
    );
}
