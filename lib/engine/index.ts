export { Gossip } from './gossip';
export type { GossipNodeStatus } from './gossip';
export type { GossipOptions } from './options';
export { DEFAULTS as GOSSIP_DEFAULTS, resolveOptions } from './options';
export type { Entry, NodeMetadata, NodeState, Watcher, GossipLogger } from './types';
export { GossipConfigError, GossipJoinError, PeerError } from './errors';
export type { PeerErrorReason } from './errors';
export type { RejectReason } from './reject-reason';
export { REJECT_REASONS } from './reject-reason';
export { GossipMetrics, LOCAL_LABEL } from './metrics';
export type { Clock, Timer } from './clock';
export { systemClock } from './clock';
export type { Transport, TransportFactory, TransportHandler } from './transport';
export { socketTransport } from './socket-transport';
export type { Resolver } from './resolver';
export { systemResolver } from './resolver';
export type { UpsertOptions } from './entry-ttl';
export { MAX_TTL } from './entry-ttl';
export type { ClusterView, MemberFilter, HolderMap, PrefixHolderMap } from './discovery';
export {
  holdersOf,
  holdersOfPrefix,
  isLive,
  liveMembers,
  ownerOf,
  ownersOf,
  sameHolders,
} from './discovery';
export type { OwnerChange } from './ownership';
export { owner, owners, ownerChanges, rendezvousScore } from './ownership';
export { StreamBudget, inboundStreamBudget } from './stream-budget';
export type { StreamReservation, BudgetRefusal } from './stream-budget';
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
