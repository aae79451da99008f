/**
 * Wire format: every UDP packet and TCP message is
 *   [message type: u8][protocol version: u8][MessagePack body]
 * and bodies are positional arrays (no field names on the wire). A sealed
 * message has type SEALED and carries nonce | AES-GCM(inner message) | tag.
 * This file holds the message types; encode.ts and decode.ts their bytes.
 */
export const PROTOCOL_VERSION = 1;

export const MessageType = {
  Syn: 1,
  SynAck: 2,
  Ack: 3,
  Sync: 10,
  SyncReply: 11,
  Push: 12,
  Leave: 13,
  StreamAck: 14,
  StreamError: 15,
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
  /** Compact heartbeats: 12 bytes each (key hi, key lo, heartbeat), see heartbeats.ts. */
  heartbeats: Uint8Array;
  /** Heartbeat vector, usable by a receiver with the same membership: see heartbeats.ts. */
  vector: Uint8Array;
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
  heartbeats: Uint8Array;
  vector: Uint8Array;
}
export interface Ack {
  type: typeof MessageType.Ack;
  clusterId: string;
  from: string;
  delta: NodeDelta[];
  truncated: boolean;
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
export type Message =
  Syn | SynAck | Ack | Sync | SyncReply | Push | Leave | StreamAck | StreamError;

/** A piece of MessagePack already encoded, spliced as is by `pack`. */
export class Encoded {
  constructor(readonly bytes: Uint8Array) {}
}

/** Liveness fields of Syn and SynAck; encoding defaults them to no summary and no heartbeats. */
export interface Liveness {
  summary: Summary;
  heartbeats: Uint8Array;
  vector: Uint8Array;
}

/** A message to encode: digests and deltas may be pieces the builder already encoded. */
export type Outgoing =
  | (Omit<Syn, 'digest' | keyof Liveness> & {
      digest: DigestEntry[] | Encoded[];
    } & Partial<Liveness>)
  | (Omit<SynAck, 'digest' | 'delta' | keyof Liveness> &
      Partial<Liveness> & {
        digest: DigestEntry[] | Encoded[];
        delta: NodeDelta[] | Encoded[];
      })
  | (Omit<Ack, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | (Omit<Sync, 'digest'> & { digest: DigestEntry[] | Encoded[] })
  | (Omit<SyncReply, 'digest' | 'delta'> & {
      digest: DigestEntry[] | Encoded[];
      delta: NodeDelta[] | Encoded[];
    })
  | (Omit<Push, 'delta'> & { delta: NodeDelta[] | Encoded[] })
  | Leave
  | StreamAck
  | StreamError;
