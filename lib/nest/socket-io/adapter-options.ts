import { GossipConfigError } from '../../engine';

/** Options of `createGossipAdapter` and `GossipIoAdapter`. */
export interface GossipAdapterOptions {
  /**
   * The name the servers of one Socket.IO cluster share: servers on the same
   * gossip cluster with another channel do not see each other's rooms,
   * emits or sockets. Default `socket.io`.
   */
  channel?: string;
  /**
   * How long, in ms, `fetchSockets()` and `serverSideEmit` with an
   * acknowledgement wait for a live server that does not answer. Servers
   * the cluster knows are gone (left, unreachable, restarted) are not waited
   * for. `fetchSockets` takes `io.timeout(ms)` over this. Default 5000.
   */
  requestsTimeout?: number;
}

/** The channel when none is given. */
export const DEFAULT_CHANNEL = 'socket.io';
const DEFAULT_REQUESTS_TIMEOUT = 5000;

/** Checks the options and fills in the defaults; throws `GossipConfigError` naming a bad one. */
export function resolveAdapterOptions(
  options: GossipAdapterOptions = {},
): Required<GossipAdapterOptions> {
  const { channel = DEFAULT_CHANNEL, requestsTimeout = DEFAULT_REQUESTS_TIMEOUT } = options;
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > 100)
    throw new GossipConfigError('channel', 'must be a string of 1 to 100 characters', channel);
  if (!Number.isInteger(requestsTimeout) || requestsTimeout < 1 || requestsTimeout > 3_600_000)
    throw new GossipConfigError(
      'requestsTimeout',
      'must be an integer from 1 to 3600000 (ms)',
      requestsTimeout,
    );
  return { channel, requestsTimeout };
}
