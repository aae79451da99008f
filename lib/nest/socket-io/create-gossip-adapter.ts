import { type GossipAdapterOptions, resolveAdapterOptions } from './adapter-options';
import { type AdapterNamespace, GossipAdapter } from './gossip-adapter';
import type { Gossip } from '../../engine';

/**
 * The Socket.IO adapter on gossip, for any `socket.io` server:
 *
 * ```ts
 * const gossip = await Gossip.create({ bindAddr: ':7946', join: ['10.0.0.1'] });
 * const io = new Server(httpServer, { adapter: createGossipAdapter(gossip) });
 * ```
 *
 * Every server of the cluster with the same `channel` then shares rooms,
 * emits, `fetchSockets()` and `serverSideEmit` (see `GossipAdapter`). In a
 * Nest app, use `GossipIoAdapter`. Throws `GossipConfigError` for a bad option.
 */
export function createGossipAdapter(
  gossip: Gossip,
  options?: GossipAdapterOptions,
): (nsp: AdapterNamespace) => GossipAdapter {
  const resolved = resolveAdapterOptions(options);
  // A function, not an arrow: socket.io calls it with `new`, which then returns the adapter.
  return function gossipAdapter(nsp: AdapterNamespace) {
    return new GossipAdapter(nsp, gossip, resolved);
  };
}
