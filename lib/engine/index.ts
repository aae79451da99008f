// `nestjs-gossip/engine`: the engine alone, without Nest. Each name here is
// a promise to users (see review/nestjs-gossip-engine.api.md and
// CHANGELOG.md); everything else in lib/engine is reachable only from inside.

// The engine and its options.
export { Gossip } from './gossip';
export type { GossipOptions, GossipTestHook } from './config/options';
export { DEFAULTS as GOSSIP_DEFAULTS } from './config/options';
export type { UpsertOptions } from './state/entry-ttl';
export { MAX_TTL } from './state/entry-ttl';

// What it returns.
export type {
  Entry,
  NodeMetadata,
  NodeState,
  NodeStatus,
  GossipPhase,
  Watcher,
  GossipLogger,
} from './vocabulary/types';

// Events.
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

// Errors.
export {
  GossipBindError,
  GossipConfigError,
  GossipJoinError,
  GossipMessageError,
  GossipPeerError,
} from './vocabulary/errors';
export type { GossipPeerErrorReason } from './vocabulary/errors';
export type { GossipIdConflict } from './core/identity';

// Discovery, ownership and leadership (`gossip.discovery`, `gossip.leadership`).
export type { Discovery, Holder, MemberFilter, PrefixHolder } from './discovery/discovery';
export type { OwnerChange } from './discovery/ownership';
export { rendezvousOwner, rendezvousOwners } from './discovery/ownership';
export type { Leadership, LeadershipChange } from './discovery/leadership';
export type { LeadershipOptions } from './discovery/leader-rule';

// Messages between members (`gossip.messages`).
export type { ClusterMessages } from './messages/cluster-messages';
export type {
  ClusterMessage,
  ClusterMessageListener,
  PublishResult,
  GossipMessageErrorReason,
  QueryOptions,
  QueryAnswer,
  QueryResult,
  QueryHandler,
} from './vocabulary/messages';

// Metrics (`gossip.metrics`) and the reasons refusals are counted under.
export { GossipMetrics } from './io/metrics';
export type { BoundCounter } from './io/metrics';
export type { RejectReason } from './vocabulary/reject-reason';
export { REJECT_REASONS } from './vocabulary/reject-reason';

// Advanced: what the options' hooks accept (the simulator's clock and network, a custom DNS).
export type { Clock, Timer } from './vocabulary/clock';
export { systemClock } from './io/system-clock';
export type { Transport, TransportFactory, TransportHandler } from './vocabulary/transport';
export type { TransportRejectReason } from './vocabulary/reject-reason';
export { socketTransport } from './io/socket-transport';
export type { SocketTransportLimits } from './io/socket-transport';
export type { Resolver } from './io/resolver';
export { systemResolver } from './io/resolver';
