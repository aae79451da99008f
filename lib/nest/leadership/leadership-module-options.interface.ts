import type { LeadershipOptions } from '../../engine';

/** Options of `GossipLeadershipModule.forRoot`. */
export interface GossipLeadershipModuleOptions {
  /**
   * The quorum guard for every role this node campaigns for: the number of
   * instances that run them (the replica count). A node that sees fewer
   * than a majority of them live leads nothing, so the minority side of a
   * partition stands down and no two instances run a job at once. Leave it
   * out and each side of a partition elects its own leader.
   */
  expectedSize?: number;
  /** Options for particular roles (a role named here overrides `expectedSize`). */
  roles?: Record<string, LeadershipOptions>;
  /** Make `GossipLeadershipService` injectable everywhere. Default true. */
  isGlobal?: boolean;
}
