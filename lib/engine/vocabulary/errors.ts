import type { GossipMessageErrorReason } from './messages';

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

/**
 * A join that reached no node; `causes` holds one error per address tried.
 * The message explains each cause the way `explainJoinError` does
 * (`join failed: 127.0.0.1:3000 answered, but not as a gossip node ...`).
 */
export class GossipJoinError extends Error {
  constructor(readonly causes: Error[]) {
    super(`join failed: ${explainCauses(causes)}`);
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
export type GossipPeerErrorReason =
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
export class GossipPeerError extends Error {
  constructor(
    readonly reason: GossipPeerErrorReason,
    readonly peer: string,
    message: string,
  ) {
    super(message);
    this.name = 'GossipPeerError';
  }
}

/** `publish`, `send` or `query` refused at once; nothing was queued. The message says why and what to change. */
export class GossipMessageError extends Error {
  constructor(
    readonly reason: GossipMessageErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'GossipMessageError';
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

/** The likely cause of a failed join target, by `GossipPeerError` reason; phrased to follow its address. */
const JOIN_HINTS: Partial<Record<GossipPeerErrorReason, string>> = {
  timeout: 'did not answer in time: a wrong host, or a firewall dropping TCP?',
  cluster: 'belongs to another cluster: set the same clusterId on every node',
  auth: 'does not share our secret keys: check secretKeys on both sides',
  version: 'speaks another protocol version: run the same gossip release on every node',
  'id-conflict': 'refused us: another live node already uses our nodeId; give every node its own',
};

/**
 * Reasons that mean something answered that does not speak gossip (an HTTP
 * server's reply reads as a frame length of gigabytes): the advice comes
 * after the detail, since it is what to act on.
 */
const NOT_GOSSIP: ReadonlySet<GossipPeerErrorReason> = new Set(['too-large', 'protocol']);
const NOT_GOSSIP_ADVICE =
  "it looks like a non-gossip service (an HTTP server?) at that address. A seed is a peer's gossip port (its bindAddr), not its HTTP port";

/**
 * What `unreachable` (and errors that are not a GossipPeerError: the seed list,
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
 * The likely cause of one failed join target (`belongs to another cluster:
 * set the same clusterId on every node`): from a `GossipPeerError`'s reason, else
 * from the error's text; undefined when nothing better than the error
 * itself can be said.
 */
export function joinHint(cause: unknown): string | undefined {
  if (cause instanceof GossipPeerError) {
    if (NOT_GOSSIP.has(cause.reason))
      return `answered, but not as a gossip node: ${NOT_GOSSIP_ADVICE}`;
    const hint = JOIN_HINTS[cause.reason];
    if (hint) return hint;
  }
  const message = messageOf(cause);
  return TEXT_HINTS.find(([pattern]) => pattern.test(message))?.[1];
}

/**
 * Why a join failed, one clause per address tried (`127.0.0.1:3000
 * answered, but not as a gossip node (reply from 127.0.0.1:3000 exceeds
 * 67108864 bytes): it looks like a non-gossip service (an HTTP server?) at
 * that address. ...`); errors without a known cause are kept as they are.
 * The words of `GossipJoinError`'s message, and of the Nest module's log.
 */
export function explainJoinError(err: unknown): string {
  return explainCauses(
    err instanceof GossipJoinError && err.causes.length > 0 ? err.causes : [err],
  );
}

function explainCauses(causes: unknown[]): string {
  return causes.map(explainCause).join('; ');
}

function explainCause(cause: unknown): string {
  const message = messageOf(cause);
  const hint = joinHint(cause);
  if (!hint) return message;
  const target = (cause instanceof GossipPeerError ? cause.peer : targetOf(message)) ?? 'the seed';
  const detail = message.startsWith(`${target}: `) ? message.slice(target.length + 2) : message;
  if (cause instanceof GossipPeerError && NOT_GOSSIP.has(cause.reason))
    return `${target} answered, but not as a gossip node (${detail}): ${NOT_GOSSIP_ADVICE}`;
  return `${target} ${hint} (${detail})`;
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

/** Refuses an operation on a closed node. */
export function assertOpen(closed: boolean, operation: string): void {
  if (closed) throw new Error(`${operation}: gossip is closed`);
}

/** Refuses a local write on a closed node, or one that left. */
export function assertWritable(closed: boolean, left: boolean, operation: string): void {
  assertOpen(closed, operation);
  if (left)
    throw new Error(
      `${operation}: this node has left the cluster; local state can no longer change`,
    );
}
