import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { GossipLeadershipService, GossipService, RunOnLeader } from '../lib';

/**
 * A job that must run on one instance only: every instance has the timer,
 * only the leader of `report` runs the body. Each run writes the entry
 * `report` (time and fencing token), so the cluster page shows which node
 * runs it, next to the `leader:report` entries of the candidates.
 */
@Injectable()
export class ReportJob {
  runs = 0;

  constructor(
    private readonly gossip: GossipService,
    private readonly leadership: GossipLeadershipService,
  ) {}

  @Interval(1000)
  @RunOnLeader('report')
  report(): void {
    this.runs++;
    const token = this.leadership.token('report');
    this.gossip.upsertLocal('report', `ran at ${new Date().toISOString()}, token ${token}`);
  }
}
