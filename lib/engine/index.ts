export { Gossip } from './gossip';
export type { GossipIdConflict } from './core/identity';
export type { GossipOptions } from './config/options';
export { DEFAULTS as GOSSIP_DEFAULTS, resolveOptions } from './config/options';
export type {
  Entry,
  NodeMetadata,
  NodeState,
  NodeStatus,
  GossipPhase,
  Watcher,
  GossipLogger,
} from './vocabulary/types';
export { GossipConfigError, GossipJoinError, GossipPeerError } from './vocabulary/errors';
export type { GossipPeerErrorReason } from './vocabulary/errors';
export type { RejectReason } from './vocabulary/reject-reason';
export { REJECT_REASONS } from './vocabulary/reject-reason';
export { GossipMetrics, LOCAL_LABEL } from './io/metrics';
export type { Clock, Timer } from './vocabulary/clock';
export { systemClock } from './io/system-clock';
export type { Transport, TransportFactory, TransportHandler } from './vocabulary/transport';
export { socketTransport } from './io/socket-transport';
export type { Resolver } from './io/resolver';
export { systemResolver } from './io/resolver';
export type { UpsertOptions } from './state/entry-ttl';
export { MAX_TTL } from './state/entry-ttl';
export type { Discovery, Holder, MemberFilter, PrefixHolder } from './discovery/discovery';
export type { OwnerChange } from './discovery/ownership';
export {
  ownerChanges,
  rendezvousOwner,
  rendezvousOwners,
  rendezvousScore,
} from './discovery/ownership';
export { StreamBudget, inboundStreamBudget } from './io/stream-budget';
export type { StreamReservation, BudgetRefusal } from './io/stream-budget';
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
  GossipListener,
} from './vocabulary/events';
export { GOSSIP_EVENT_TYPES } from './vocabulary/events';
export type { GossipTestHook } from './config/options';
export { GOSSIP_OPTION_RULES, checkOption } from './config/options';
export type {
  FromEnvironment,
  NumberLike,
  ListLike,
  BooleanLike,
  OptionRule,
  OptionProblem,
} from './config/option-rules';
export { GossipBindError, bindError, explainJoinError, joinHint } from './vocabulary/errors';
export { Leadership, leadershipTiming } from './discovery/leadership';
export type { LeadershipChange, LeadershipHost, LeadershipTiming } from './discovery/leadership';
export type { LeadershipOptions, LeaderView, Standing } from './discovery/leader-rule';
export { candidatesOf, leaderOf, quorumOf } from './discovery/leader-rule';
export type { SeenClaim } from './discovery/leader-rule';
export { LEADER_KEY_PREFIX, leaderKey, parseClaim } from './discovery/leader-claim';
export type { LeaderClaim } from './discovery/leader-claim';
