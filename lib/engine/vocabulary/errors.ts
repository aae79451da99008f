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
  /** A live node at another address already uses our node id (the message names it). */
  | 'id-conflict'
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

/**
 * `Gossip.create` could not bind `bindAddr`: the message names the option,
 * the value, what went wrong and the likely fix; `cause` is the socket error.
 */
export class GossipBindError extends Error {
  readonly option = 'bindAddr';
  constructor(
    readonly value: string,
    override readonly cause: Error,
  ) {
    super(`bindAddr ${JSON.stringify(value)}: ${bindAdvice(value, cause)} (${cause.message})`);
    this.name = 'GossipBindError';
  }
}

/** A bind failure in words that point at the fix. */
function bindAdvice(value: string, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const port = /:(\d+)$/.exec(value)?.[1] ?? '<port>';
  const allInterfaces = `or ":${port}" for every interface`;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `the host does not resolve; use an IP address of this machine, ${allInterfaces}`;
    case 'EADDRNOTAVAIL':
      return `that IP is not an address of this machine; use one of its addresses, ${allInterfaces}`;
    case 'EADDRINUSE':
      return `port ${port} is already in use (gossip needs it for both UDP and TCP): another node, or the app's HTTP port? Pick another port, or port 0 for any free one`;
    case 'EACCES':
    case 'EPERM':
      return `binding port ${port} needs privileges; use a port above 1023`;
    default:
      return 'cannot bind';
  }
}

/** Wraps what binding `bindAddr` threw into a `GossipBindError` (config errors pass unchanged). */
export function bindError(bindAddr: unknown, err: unknown): Error {
  if (err instanceof GossipConfigError || err instanceof GossipBindError) return err;
  // Not `instanceof Error`: socket errors may come from another realm (jest, vm).
  const cause = isErrorLike(err) ? (err as Error) : new Error(String(err));
  return new GossipBindError(String(bindAddr), cause);
}

/** The likely cause of a failed join target, by `PeerError` reason; phrased to follow its address. */
const NOT_GOSSIP =
  "answered, but not as a gossip node: is that the HTTP port? A seed is a peer's gossip port (its bindAddr)";
const JOIN_HINTS: Partial<Record<PeerErrorReason, string>> = {
  // An HTTP server's reply reads as a frame length of gigabytes.
  'too-large': NOT_GOSSIP,
  protocol: NOT_GOSSIP,
  timeout: 'did not answer in time: a wrong host, or a firewall dropping TCP?',
  cluster: 'belongs to another cluster: set the same clusterId on every node',
  auth: 'does not share our secret keys: check secretKeys on both sides',
  version: 'speaks another protocol version: run the same gossip release on every node',
  'id-conflict': 'refused us: another live node already uses our nodeId; give every node its own',
};

/**
 * What `unreachable` (and errors that are not a PeerError: the seed list,
 * DNS) say only in their text: the socket's error code.
 */
const TEXT_HINTS: Array<[RegExp, string]> = [
  [
    /ECONNREFUSED/,
    'refused the connection: is the peer up, and is that its gossip port (its bindAddr)?',
  ],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME|cannot resolve/, 'does not resolve: check the name and the DNS'],
  [/ETIMEDOUT/, 'did not answer in time: a wrong host, or a firewall dropping TCP?'],
  [/EHOSTUNREACH|ENETUNREACH/, 'is unreachable: check the address and the network'],
  [/not host\[:port\]/, 'is not host[:port]'],
];

/**
 * The likely cause of one failed join target (`answered, but not as a
 * gossip node: is that the HTTP port? ...`): from a `PeerError`'s reason,
 * else from the error's text; undefined when nothing better than the error
 * itself can be said.
 */
export function joinHint(cause: unknown): string | undefined {
  if (cause instanceof PeerError) {
    const hint = JOIN_HINTS[cause.reason];
    if (hint) return hint;
  }
  const message = messageOf(cause);
  return TEXT_HINTS.find(([pattern]) => pattern.test(message))?.[1];
}

/**
 * One line per address a join tried: `127.0.0.1:3000 answered, but not as a
 * gossip node: is that the HTTP port? ... (reply from 127.0.0.1:3000 exceeds
 * 67108864 bytes)`; errors without a known cause are kept as they are.
 */
export function explainJoinError(err: unknown): string {
  const causes = err instanceof GossipJoinError && err.causes.length > 0 ? err.causes : [err];
  return causes
    .map((cause) => {
      const message = messageOf(cause);
      const hint = joinHint(cause);
      if (!hint) return message;
      const target = cause instanceof PeerError ? cause.peer : targetOf(message);
      const detail =
        target && message.startsWith(`${target}: `) ? message.slice(target.length + 2) : message;
      return `${target ?? 'the seed'} ${hint} (${detail})`;
    })
    .join('; ');
}

/** `host:port: what went wrong` (the seed list's errors): the address before the first ": ". */
function targetOf(message: string): string | undefined {
  const split = message.indexOf(': ');
  return split > 0 ? message.slice(0, split) : undefined;
}

function messageOf(value: unknown): string {
  return isErrorLike(value) ? (value as Error).message : String(value);
}

function isErrorLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
