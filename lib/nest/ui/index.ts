export { GossipUiController, createGossipUiController } from './gossip-ui.controller';
export { clusterFeed, type FeedNode, type FeedSnapshot } from './cluster-feed';
export {
  ClusterActivity,
  type ActivitySample,
  type ClusterActivityOptions,
} from './cluster-activity';
export type { TrafficTotals } from './cluster-traffic';
