/** Metadata key that `@RunOnLeader` / `@RunOnOwner` write on the wrapped method: the role it guards. */
export const RUN_ON_LEADER_METADATA = 'nestjs-gossip:run-on-leader';
/** Metadata key that `@OnLeadership` writes on a method. */
export const ON_LEADERSHIP_METADATA = 'nestjs-gossip:on-leadership';
/** Injection token of the `GossipLeadershipModule` options. */
export const GOSSIP_LEADERSHIP_OPTIONS = Symbol('GOSSIP_LEADERSHIP_OPTIONS');
