// `nestjs-gossip`: the Nest module, and the engine's data, event and error
// types that its services hand out. The engine itself is `nestjs-gossip/engine`.
// The surface is reviewed in review/nestjs-gossip.api.md.
export * from './nest';
export type {
  Gossip,
  GossipOptions,
  GossipTestHook,
  UpsertOptions,
  Watcher,
  GossipListener,
  Discovery,
  Leadership,
  GossipMetrics,
  BoundCounter,
  Clock,
  Timer,
  Resolver,
  Transport,
  TransportFactory,
  TransportHandler,
  TransportRejectReason,
  RejectReason,
} from './engine';
export type {
  FromEnvironment,
  NumberLike,
  ListLike,
  BooleanLike,
} from './engine/config/option-rules';
export type {
  Entry,
  NodeMetadata,
  NodeState,
  NodeStatus,
  GossipPhase,
  GossipLogger,
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
  Holder,
  PrefixHolder,
  MemberFilter,
  OwnerChange,
  LeadershipChange,
  LeadershipOptions,
  GossipIdConflict,
  GossipPeerErrorReason,
} from './engine';
export type {
  ClusterMessage,
  ClusterMessageListener,
  PublishResult,
  GossipMessageErrorReason,
  QueryOptions,
  QueryAnswer,
  QueryResult,
  QueryHandler,
} from './engine/vocabulary/messages';
export { GossipMessageError } from './engine/vocabulary/errors';
export {
  GOSSIP_EVENT_TYPES,
  GossipBindError,
  GossipConfigError,
  GossipJoinError,
  GossipPeerError,
} from './engine';
