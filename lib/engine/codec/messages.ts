/**
 * Wire format: every UDP packet and TCP message is
 *   [message type: u8][protocol version: u8][MessagePack body]
 * and bodies are positional arrays (no field names on the wire). A sealed
 * message has type SEALED and carries nonce | AES-GCM(inner message) | tag.
 * This file holds the message types; encode.ts and decode.ts their bytes.
 */
/**
 * 3: a node sends heartbeats (Beat) to its observers, which ping it only
 * to confirm a silence and, now and then, that it hears them. 2 had every
 * observer ping its subjects each period; the two do not mix.
 * The `heartbeat` counters below are not liveness evidence: each node bumps
 * its own once a round, and peers use it only to tell a dropped node's
 * replayed state (a ghost) from news.
 */
export const PROTOCOL_VERSION = 3;

/** The message type and protocol version bytes before every body. */
export const MESSAGE_PREFIX_BYTES = 2;

export const MessageType = {
  Syn: 1,
  SynAck: 2,
  Ack: 3,
  Ping: 4,
  PingAck: 5,
  Beat: 6,
  Sync: 10,
  SyncReply: 11,
  Push: 12,
  Leave: 13,
  StreamAck: 14,
  StreamError: 15,
  Deliver: 20,
  Delivered: 21,
  Query: 22,
  QueryReply: 23,
  Sealed: 0x7f,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** What a node knows of one node: enough for a peer to tell what it lacks. */
export interface DigestEntry {
  id: string;
  addr: string;
  /** 0 means "I have nothing of this node; send it whole". */
  generation: number;
  heartbeat: number;
  maxVersion: number;
  left: boolean;
}

export interface WireEntry {
  key: string;
  value: string;
  version: number;
  deleted: boolean;
  internal: boolean;
}

/** Entry flag bits on the wire. */
export const FLAG_DELETED = 1;
export const FLAG_INTERNAL = 2;

/**
 * Entries of one node the receiver lacks, in increasing version order.
 * `reset`: replace whatever the receiver holds for this node (new
 * generation, or the receiver fell behind tombstone collection); a reset is
 * always complete. Otherwise it is a prefix of the entries above
 * `fromVersion`, and the receiver holds everything up to `maxVersion` after
 * applying it.
 */
export interface NodeDelta {
  id: string;
  addr: string;
  generation: number;
  heartbeat: number;
  left: boolean;
  reset: boolean;
  fromVersion: number;
  gcVersion: number;
  maxVersion: number;
  entries: WireEntry[];
}

/** Hash of every node's (generation, maxVersion, left) the sender holds. */
export interface Summary {
  hi: number;
  lo: number;
}

export interface Syn {
  type: typeof MessageType.Syn;
  clusterId: string;
  from: string;
  /** The digest omits nodes for lack of room (or is left out): absence means nothing. */
  partial: boolean;
  digest: DigestEntry[];
  /** The sender's ClusterState summary: equal summaries owe each other no entries. */
  summary: Summary;
}
export interface SynAck {
  type: typeof MessageType.SynAck;
  clusterId: string;
  from: string;
  partial: boolean;
  digest: DigestEntry[];
  delta: NodeDelta[];
  /** More was owed than one packet holds: the receiver should sync over TCP. */
  truncated: boolean;
  summary: Summary;
}
export interface Ack {
  type: typeof MessageType.Ack;
  clusterId: string;
  from: string;
  delta: NodeDelta[];
  truncated: boolean;
}
/**
 * Failure detection's probe, as small as a datagram gets: no cluster id
 * (the answer goes back to the source address and matches `seq`).
 * `target` and `from` tag the ids of the node meant and of the sender (16
 * bits of their hash), so a new process on a dead node's address neither
 * answers nor passes for it. `from` also lets a node that does not know the
 * sender yet remember it (an introduction): learned of later, it needs no
 * ping of its own. `summary`, on one ping in a few, lets the pinged node
 * notice our states differ.
 */
export interface Ping {
  type: typeof MessageType.Ping;
  seq: number;
  target: number;
  from: number;
  summary?: Summary;
}
/** The answer to a Ping: its sequence number, back to the address it came from. */
export interface PingAck {
  type: typeof MessageType.PingAck;
  seq: number;
}
/**
 * A heartbeat from a node to each of its observers, sent each probe period
 * (see liveness/prober.ts): half the datagrams of a ping and its ack.
 * `target` and `from` tag the receiver's and the sender's ids (16 bits of
 * their hash), so a new process on an old address neither takes nor passes
 * for the old node. `summary`, on one in a few, as on a Ping.
 */
export interface Beat {
  type: typeof MessageType.Beat;
  target: number;
  from: number;
  summary?: Summary;
}

/**
 * The one way to build a Ping or a Beat, sent or decoded: `summary` always
 * present (undefined when absent), so every probe of a type shares one
 * hidden class and the code reading probes stays polymorphic.
 */
export function pingMessage(seq: number, target: number, from: number, summary?: Summary): Ping {
  return { type: MessageType.Ping, seq, target, from, summary };
}
export function beatMessage(target: number, from: number, summary?: Summary): Beat {
  return { type: MessageType.Beat, target, from, summary };
}
export interface Sync {
  type: typeof MessageType.Sync;
  clusterId: string;
  from: string;
  digest: DigestEntry[];
}
export interface SyncReply {
  type: typeof MessageType.SyncReply;
  clusterId: string;
  from: string;
  digest: DigestEntry[];
  delta: NodeDelta[];
}
export interface Push {
  type: typeof MessageType.Push;
  clusterId: string;
  from: string;
  delta: NodeDelta[];
}
export interface Leave {
  type: typeof MessageType.Leave;
  clusterId: string;
  from: string;
  generation: number;
  heartbeat: number;
  maxVersion: number;
}
export interface StreamAck {
  type: typeof MessageType.StreamAck;
  clusterId: string;
  from: string;
}
export interface StreamError {
  type: typeof MessageType.StreamError;
  code: string;
  message: string;
}
/** Longest topic or query name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 256;

/** One user message inside a Deliver; `payload` is its MessagePack, encoded once by the sender. */
export interface DeliverItem {
  seq: number;
  topic: string;
  payload: Uint8Array;
}
/**
 * Messages from one sender process to one target process (stream request),
 * oldest first. Both generations are named: a receiver of another
 * generation was not the process the messages were meant for.
 */
export interface Deliver {
  type: typeof MessageType.Deliver;
  clusterId: string;
  from: string;
  fromGeneration: number;
  to: string;
  toGeneration: number;
  items: DeliverItem[];
}
/**
 * The answer to a Deliver: every message of the sender up to `upTo` is
 * handled. `generation` is the receiver's: when it is not the one the
 * Deliver named, the messages were dropped (that process is gone).
 */
export interface Delivered {
  type: typeof MessageType.Delivered;
  clusterId: string;
  from: string;
  generation: number;
  upTo: number;
}
/** A question to one member's handler of `name` (stream request); `timeout`: ms the asker still waits. */
export interface Query {
  type: typeof MessageType.Query;
  clusterId: string;
  from: string;
  id: number;
  name: string;
  payload: Uint8Array;
  timeout: number;
}
/** How a member answered a Query. */
export const QueryStatus = { Ok: 0, Error: 1, NoHandler: 2 } as const;
export type QueryStatus = (typeof QueryStatus)[keyof typeof QueryStatus];
/** The answer to a Query: `value` (MessagePack) when ok, `error` text otherwise. */
export interface QueryReply {
  type: typeof MessageType.QueryReply;
  clusterId: string;
  from: string;
  status: QueryStatus;
  value: Uint8Array;
  error: string;
}
/** Messages between users (gossip.messages): their payloads are binary fields. */
export type UserTraffic = Deliver | Delivered | Query | QueryReply;

export type Message =
  | Syn
  | SynAck
  | Ack
  | Ping
  | PingAck
  | Beat
  | Sync
  | SyncReply
  | Push
  | Leave
  | StreamAck
  | StreamError
  | UserTraffic;

/** Datagram-only messages of failure detection, with no cluster id or sender id. */
export type Probe = Ping | PingAck | Beat;

/** Whether a message is one of failure detection's probes. */
export function isProbe(m: { type: MessageType }): m is Probe {
  return (
    m.type === MessageType.Ping || m.type === MessageType.PingAck || m.type === MessageType.Beat
  );
}

/** A piece of MessagePack already encoded, spliced as is by `pack`. */
export class Encoded {
  constructor(readonly bytes: Uint8Array) {}
}

/** A message to encode: digests and deltas may be pieces the builder already encoded; no summary encodes as zero. */
export type Outgoing =
  | (Omit<Syn, 'digest' | 'summary'> & {
      digest: DigestEntry[] | Encoded[];
      summary?: Summary;
    })
  | (Omit<SynAck, 'digest' | 'delta' | 'summary'> & {
      digest: DigestEntry[] | Encoded[];
      delta: NodeDelta[] | Encoded[];
      summary?: Summary;
    })
  | Ping
  | PingAck
  | Beat
  | (Omit<Ack, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | (Omit<Sync, 'digest'> & { digest: DigestEntry[] | Encoded[] })
  | (Omit<SyncReply, 'digest' | 'delta'> & {
      digest: DigestEntry[] | Encoded[];
      delta: NodeDelta[] | Encoded[];
    })
  | (Omit<Push, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | Leave
  | StreamAck
  | StreamError
  | UserTraffic;
