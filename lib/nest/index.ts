export * from './interfaces';
export * from './gossip-event';
export { GossipModule } from './gossip.module';
export {
  GOSSIP_MODULE_OPTIONS,
  type GossipModuleAsyncOptions,
  type GossipModuleForRootOptions,
} from './gossip.module-definition';
export { GossipService } from './gossip.service';
export { GossipDiscoveryService, type OwnershipOptions } from './gossip-discovery.service';
export { GossipController, createGossipController } from './gossip.controller';
export * from './ui';
export {
  OnGossipEvent,
  type OnGossipEventMetadata,
  type GossipEventHandlerDecorator,
} from './on-gossip-event.decorator';
export { GossipOptionsDto, validateGossipOptions } from './gossip-options.dto';
export { MODULE_OPTION_RULES } from './module-option-rules';
export { GOSSIP_ENGINE, DEFAULT_CONTROLLER_PATH } from './constants';
export * from './leadership';
