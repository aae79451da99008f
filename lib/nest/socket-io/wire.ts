// What the adapter puts on the gossip topic of its namespace: socket.io-adapter's
// own ClusterMessage and ClusterResponse objects, as MessagePack values.
import { randomBytes } from 'node:crypto';
import {
  type BroadcastOptions,
  type ClusterMessage,
  type ClusterResponse,
  MessageType,
} from 'socket.io-adapter';

/** The gossip topic, and the presence key, of one namespace of one channel: `socket.io#/chat`. */
export function namespaceTopic(channel: string, nsp: string): string {
  return `${channel}#${nsp}`;
}

/** A request id, as socket.io-adapter makes them. */
export function requestId(): string {
  return randomBytes(8).toString('hex');
}

/** `BroadcastOptions` as the cluster messages carry them (sets become arrays). */
export function encodeOptions(opts: BroadcastOptions): {
  rooms: string[];
  except: string[];
  flags: NonNullable<BroadcastOptions['flags']>;
} {
  return { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags ?? {} };
}

const RESPONSES: ReadonlySet<number> = new Set([
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
  MessageType.BROADCAST_CLIENT_COUNT,
  MessageType.BROADCAST_ACK,
]);

/**
 * Our own answer, not socket.io-adapter's: the server asked could not send
 * its response (too large for `maxMessageSize`, or past the send backlog),
 * so the request fails at once instead of at its timeout.
 */
export const REFUSAL = 'gossip-refusal';

export interface Refusal {
  type: typeof REFUSAL;
  uid: string;
  nsp: string;
  data: { requestId: string; reason: string };
}

/** A received payload: a message to every server, or a response (or refusal) to one of our requests. */
export type Incoming =
  | { kind: 'message'; message: ClusterMessage }
  | { kind: 'response'; response: ClusterResponse }
  | { kind: 'refusal'; refusal: Refusal };

/**
 * Reads a received payload; undefined when it is not a cluster message. The
 * sender is a member of our (possibly encrypted) cluster, so the envelope is
 * checked and the rest is socket.io-adapter's to read, as with its own adapters.
 */
export function readIncoming(payload: unknown): Incoming | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { type, uid, nsp } = payload as Record<string, unknown>;
  if (typeof uid !== 'string' || typeof nsp !== 'string') return undefined;
  if (type === REFUSAL) {
    const data = (payload as { data?: { requestId?: unknown; reason?: unknown } }).data;
    if (typeof data?.requestId !== 'string' || typeof data.reason !== 'string') return undefined;
    return { kind: 'refusal', refusal: payload as Refusal };
  }
  if (typeof type !== 'number') return undefined;
  if (RESPONSES.has(type)) {
    const data = (payload as { data?: { requestId?: unknown } }).data;
    if (typeof data?.requestId !== 'string') return undefined;
    return { kind: 'response', response: payload as ClusterResponse };
  }
  return { kind: 'message', message: payload as ClusterMessage };
}

/**
 * A copy fit for MessagePack that reads back as JSON would: object fields
 * holding `undefined` are left out (MessagePack would turn them into `null`,
 * which socket.io-adapter reads differently, e.g. `requestId !== undefined`),
 * `ArrayBuffer`s become `Uint8Array`s. Bytes and dates are kept as they are.
 */
export function toPayload(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(toPayload);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) out[key] = toPayload(field);
  }
  return out;
}
