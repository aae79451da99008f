// `nestjs-gossip/socket.io`: Socket.IO across instances on gossip. Loads
// socket.io-adapter and @nestjs/platform-socket.io (optional peers), which
// no other entry point does. Reviewed in review/nestjs-gossip-socket-io.api.md.
export { GossipIoAdapter } from './gossip-io.adapter';
export { createGossipAdapter } from './create-gossip-adapter';
export { GossipAdapter, type AdapterNamespace } from './gossip-adapter';
export type { GossipAdapterOptions } from './adapter-options';
