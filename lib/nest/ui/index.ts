export { GossipUiController, createGossipUiController } from './gossip-ui.controller';
export {
  clusterFeed,
  type ClusterFeedOptions,
  type FeedNode,
  type FeedNodeStatus,
  type FeedSnapshot,
  type FeedStats,
} from './cluster-feed';
export type { TrafficTotals } from './cluster-traffic';
