/**
 * Why a message was refused: one union for the codec, the engine and the
 * transports; each reason has its own `rejected_total` counter.
 */
export type RejectReason =
  /** Shorter than the two header bytes. */
  | 'empty'
  /** Another protocol version. */
  | 'version'
  /** An unknown message type, or one that does not belong on this channel. */
  | 'type'
  /** Malformed MessagePack or fields. */
  | 'decode'
  /** Sealed, but no key of ours opens it. */
  | 'auth'
  /** Plain, to a node with secret keys. */
  | 'unsealed'
  /** Sealed, to a node without secret keys. */
  | 'sealed'
  /** Another cluster id. */
  | 'cluster'
  /** Over a size, node or entry limit. */
  | 'limit'
  /** Larger than maxPacketSize or maxStreamSize (transport). */
  | 'oversize'
  /** More inbound streams than maxInboundStreams (transport). */
  | 'streams'
  /** A stream that did not deliver its message in time (transport). */
  | 'timeout'
  /** A message in our own name. */
  | 'self'
  /** A ping or heartbeat meant for another node id, or one from the address of a node with another id. */
  | 'target';

/**
 * The reasons a transport refuses traffic before the engine sees it.
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export type TransportRejectReason = Extract<RejectReason, 'oversize' | 'streams' | 'timeout'>;

/** Every reason, for tests and dashboards. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'empty',
  'version',
  'type',
  'decode',
  'auth',
  'unsealed',
  'sealed',
  'cluster',
  'limit',
  'oversize',
  'streams',
  'timeout',
  'self',
  'target',
];
