// The Nest layer's public names; lib/index.ts (the `nestjs-gossip` entry)
// lists them with the engine's data types. Everything else in lib/nest is
// reachable only from inside.

// The module and its options.
export { GossipModule } from './gossip.module';
export {
  GOSSIP_MODULE_OPTIONS,
  type GossipModuleAsyncOptions,
  type GossipModuleForRootOptions,
} from './gossip.module-definition';
export type {
  GossipModuleOptions,
  GossipModuleOwnOptions,
  GossipModuleExtras,
  GossipControllerOptions,
  GossipMetricsOptions,
  GossipJoinOnBootstrap,
} from './interfaces';
export { GOSSIP_ENGINE } from './constants';

// Services.
export { GossipService } from './gossip.service';
export { GossipDiscoveryService, type OwnershipOptions } from './gossip-discovery.service';

// Events.
export { OnGossipEvent, type GossipEventHandlerDecorator } from './on-gossip-event.decorator';
export type { GossipEventFilter, GossipSnapshot } from './gossip-event';

// Messages between instances (publish, send, query) and their handlers.
export { GossipMessagesService } from './messages/gossip-messages.service';
export {
  OnClusterMessage,
  type ClusterMessageHandlerDecorator,
} from './messages/on-cluster-message.decorator';
export {
  OnClusterQuery,
  type ClusterQueryHandlerDecorator,
} from './messages/on-cluster-query.decorator';

// HTTP introspection (mounted with the module's `controller` setting).
export { GossipController } from './gossip.controller';

// Leadership and one-instance jobs.
export { GossipLeadershipModule } from './leadership/gossip-leadership.module';
export { GossipLeadershipService } from './leadership/gossip-leadership.service';
export type { GossipLeadershipModuleOptions } from './leadership/leadership-module-options.interface';
export { RunOnLeader, RunOnOwner } from './leadership/run-on-leader.decorator';
export { OnLeadership, type LeadershipTransition } from './leadership/on-leadership.decorator';
