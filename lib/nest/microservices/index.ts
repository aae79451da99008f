// Imported as `nestjs-gossip/microservices`: the only entry that loads
// @nestjs/microservices (an optional peer), so users without it pay nothing.
export { GossipClients, GossipTransportError, type OwnerReply } from './gossip-clients';
export {
  GOSSIP_CLIENTS_OPTIONS,
  GOSSIP_CLIENTS_DEFAULTS,
  type GossipClientsOptions,
} from './gossip-clients.options';
export { provideGossipClients } from './provide-gossip-clients';
export type { MemberFilter } from '../../engine';
