import type { Server } from 'node:net';
import { isUnspecified, parseHostPort, type HostPort } from '../engine/vocabulary/address';

/** Where a `server.listen(...)` call binds, when it names a TCP port (not a pipe or a handle). */
function listenTarget(args: unknown[]): { port: number; host: string } | undefined {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const options = first as { port?: unknown; host?: unknown };
    const port = portOf(options.port);
    return port === undefined
      ? undefined
      : { port, host: typeof options.host === 'string' ? options.host : '' };
  }
  const port = portOf(first);
  return port === undefined ? undefined : { port, host: typeof second === 'string' ? second : '' };
}

function portOf(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Whether two TCP binds on one port take the same socket: a wildcard takes every address. */
function sameSocket(a: string, b: string): boolean {
  const loopback = (host: string) =>
    host === 'localhost' || host === '::1' || host.startsWith('127.');
  return isUnspecified(a) || isUnspecified(b) || a === b || (loopback(a) && loopback(b));
}

/**
 * Watches the next `listen` of the app's HTTP server. When it asks for the
 * TCP port gossip holds (`app.listen(7946)` beside `bindAddr: ':7946'`), the
 * bind is not tried: `onClash` runs first (the node leaves, so peers need
 * not wait `nodeExpiry` for it), then the server emits `error()`, which
 * `app.listen` rejects with in place of a bare EADDRINUSE.
 */
export function guardHttpPort(
  server: Server,
  gossip: HostPort,
  error: (port: number) => Error,
  onClash: () => Promise<void>,
): void {
  server.listen = function listen(this: Server, ...args: unknown[]): Server {
    Reflect.deleteProperty(server, 'listen'); // back to the prototype's: watch one call only
    const target = listenTarget(args);
    if (!target || target.port !== gossip.port || !sameSocket(target.host, gossip.host))
      return (server.listen as (...a: unknown[]) => Server).apply(server, args);
    void onClash().finally(() => server.emit('error', error(target.port)));
    return server;
  } as Server['listen'];
}

/** The host and port gossip bound, from `bindAddr` and the port the engine reports. */
export function gossipSocket(
  bindAddr: string,
  boundPort: number | undefined,
): HostPort | undefined {
  const bind = parseHostPort(bindAddr);
  if (!bind) return undefined;
  const port = bind.port || boundPort;
  return port ? { host: bind.host, port } : undefined;
}
