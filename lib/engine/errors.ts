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

/** What a join error's text says about the target, phrased to follow the target's address. */
const JOIN_HINTS: Array<[RegExp, string]> = [
  [
    /exceeds \d+ bytes|sent a reply we refuse \((decode|type)\)|answered a \w+ with message type/,
    "answered, but not as a gossip node: is that the HTTP port? A seed is a peer's gossip port (its bindAddr)",
  ],
  [
    /ECONNREFUSED/,
    'refused the connection: is the peer up, and is that its gossip port (its bindAddr)?',
  ],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME|cannot resolve/, 'does not resolve: check the name and the DNS'],
  [
    /no reply from .* within|ETIMEDOUT/,
    'did not answer in time: a wrong host, or a firewall dropping TCP?',
  ],
  [/EHOSTUNREACH|ENETUNREACH/, 'is unreachable: check the address and the network'],
  [/is in cluster/, 'belongs to another cluster: set the same clusterId on every node'],
  [
    /\((auth|sealed|unsealed|version)\)/,
    'does not share our secret keys or protocol version: check secretKeys on both sides',
  ],
  [/not host\[:port\]/, 'is not host[:port]'],
];

/**
 * The likely cause of one failed join target, from the engine's error text
 * (`answered, but not as a gossip node: is that the HTTP port? ...`), or
 * undefined when nothing better than the error itself can be said.
 */
export function joinHint(message: string): string | undefined {
  return JOIN_HINTS.find(([pattern]) => pattern.test(message))?.[1];
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
      const message = isErrorLike(cause) ? (cause as Error).message : String(cause);
      const hint = joinHint(message);
      if (!hint) return message;
      const split = message.indexOf(': ');
      const target = split > 0 ? message.slice(0, split) : 'the seed';
      const detail = split > 0 ? message.slice(split + 2) : message;
      return `${target} ${hint} (${detail})`;
    })
    .join('; ');
}

function isErrorLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
