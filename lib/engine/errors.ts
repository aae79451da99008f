/** An invalid option: the message names the field, the rule and the value. */
export class GossipConfigError extends Error {
  constructor(
    readonly field: string,
    rule: string,
    value: unknown,
  ) {
    super(`${field} ${rule} (got ${describe(value)})`);
    this.name = 'GossipConfigError';
  }
}

/** A join that reached no node; `causes` holds one error per address tried. */
export class GossipJoinError extends Error {
  constructor(
    message: string,
    readonly causes: Error[],
  ) {
    super(message);
    this.name = 'GossipJoinError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return String(value);
}

/** Why a peer could not be used, so callers and tests need not match message text. */
export type PeerErrorReason =
  /** Keys differ: the peer could not open our message, or we could not open its reply. */
  | 'auth'
  /** The peer is in another cluster. */
  | 'cluster'
  /** The peer speaks another protocol version. */
  | 'version'
  /** The peer answered with a refusal of another kind. */
  | 'refused'
  /** No reply within streamTimeout. */
  | 'timeout'
  /** A message or reply over maxStreamSize. */
  | 'too-large'
  /** Could not connect, or the stream broke before a reply. */
  | 'unreachable'
  /** A reply that makes no sense here (wrong type, malformed). */
  | 'protocol';

/** A stream exchange with a peer failed; `reason` says why, `peer` is its address. */
export class PeerError extends Error {
  constructor(
    readonly reason: PeerErrorReason,
    readonly peer: string,
    message: string,
  ) {
    super(message);
    this.name = 'PeerError';
  }
}
