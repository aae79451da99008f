/** Injection token of the framework-free engine (`Gossip`) behind `GossipService`. */
export const GOSSIP_ENGINE = Symbol('GOSSIP_ENGINE');
/** Injection token of the resolved module extras (`controller`, `metrics`, `isGlobal`). */
export const GOSSIP_MODULE_EXTRAS = Symbol('GOSSIP_MODULE_EXTRAS');
/** Metadata key that `@OnGossipEvent` writes on a method. */
export const GOSSIP_EVENT_METADATA = 'nestjs-gossip:on-event';
/** Where `GossipController` is mounted when `controller: true`. */
export const DEFAULT_CONTROLLER_PATH = 'gossip';

/** Injection token of the validated (and transformed) module options. */
export const GOSSIP_RESOLVED_OPTIONS = Symbol('GOSSIP_RESOLVED_OPTIONS');
