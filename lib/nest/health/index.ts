export { GossipHealthIndicator, type GossipHealthOptions } from './gossip.health-indicator';
