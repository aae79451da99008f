export { Gossip, type GossipNodeStatus } from './gossip';
export type { GossipOptions } from './options';
export { DEFAULTS as GOSSIP_DEFAULTS, resolveOptions } from './options';
export type { Entry, NodeMetadata, NodeState, Watcher, GossipLogger } from './types';
export { GossipConfigError, GossipJoinError } from './errors';
export { GossipMetrics, LOCAL_LABEL } from './metrics';
export type { Clock, Timer } from './clock';
export { systemClock } from './clock';
export type { Transport, TransportFactory, TransportHandler } from './transport';
export { socketTransport } from './socket-transport';
export type { Resolver } from './resolver';
export { systemResolver } from './resolver';
export type {
  GossipEvent,
  GossipEventType,
  GossipEventOf,
  GossipJoinEvent,
  GossipLeaveEvent,
  GossipReachableEvent,
  GossipUnreachableEvent,
  GossipUpsertKeyEvent,
  GossipDeleteKeyEvent,
  GossipExpiredEvent,
} from './events';
export { GOSSIP_EVENT_TYPES, eventWatcher, notifyWatcher } from './events';
export type { GossipTestHook } from './options';
export { GOSSIP_OPTION_RULES, checkOption } from './options';
export type {
  FromEnvironment,
  NumberLike,
  ListLike,
  BooleanLike,
  OptionRule,
  OptionProblem,
} from './option-rules';
export { GossipBindError, bindError, explainJoinError, joinHint } from './errors';
