export { GossipLeadershipModule } from './gossip-leadership.module';
export { GossipLeadershipService } from './gossip-leadership.service';
export type { GossipLeadershipModuleOptions } from './leadership-module-options.interface';
export { RunOnLeader, RunOnOwner, type RunOnLeaderMetadata } from './run-on-leader.decorator';
export {
  OnLeadership,
  type LeadershipTransition,
  type OnLeadershipMetadata,
} from './on-leadership.decorator';
export { GOSSIP_LEADERSHIP_OPTIONS } from './leadership.constants';
