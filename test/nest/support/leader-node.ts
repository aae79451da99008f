/**
 * One Nest app with a one-instance job, for the real-process leadership test:
 *   node -r test/support/ts-register.js leader-node.ts <id> <seed|-> <expectedSize>
 * Prints JSON lines: `ready` (its gossip address), then `run` for every run
 * of its `@Interval(200)` job (node, fencing token, wall time, the longest
 * event-loop stall since its previous run), and
 * `joined` and `unreachable` when it sees a peer join or holds it unreachable
 * (by, node, wall time). SIGTERM
 * shuts it down through `enableShutdownHooks` (leave, then close).
 */
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import {
  GossipLeadershipModule,
  GossipLeadershipService,
  GossipModule,
  GossipService,
  RunOnLeader,
} from '../../../lib';

const [id, seed, expectedSize] = process.argv.slice(2);
const loopDelay = monitorEventLoopDelay({ resolution: 10 }); // STALL_RESOLUTION in the spec
loopDelay.enable();
const say = (message: object) => process.stdout.write(JSON.stringify(message) + '\n');

@Injectable()
class OneInstanceJob {
  constructor(
    private readonly gossip: GossipService,
    private readonly leadership: GossipLeadershipService,
  ) {}

  @Interval(200)
  @RunOnLeader('job')
  run(): void {
    const at = Date.now();
    // The longest this process's event loop was blocked since its last run.
    const stall = Math.round(loopDelay.max / 1e6);
    loopDelay.reset();
    say({ run: { node: this.gossip.nodeId, token: this.leadership.token('job'), at, stall } });
  }
}

@Module({
  imports: [
    GossipModule.forRoot({
      bindAddr: '127.0.0.1:0',
      nodeId: id,
      join: seed === '-' ? [] : [seed],
      interval: 100, // the spec's failover windows are computed from it
      joinBackoff: 100,
      leaveTimeout: 2000,
      metrics: false,
    }),
    GossipLeadershipModule.forRoot({ expectedSize: Number(expectedSize) }),
    ScheduleModule.forRoot(),
  ],
  providers: [OneInstanceJob],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  app.enableShutdownHooks();
  const gossip = app.get(GossipService);
  app
    .get(GossipLeadershipService)
    .changes$('job')
    .subscribe((c) =>
      say({ change: { by: id, leader: c.leader, leading: c.leading, at: Date.now() } }),
    );
  gossip.on('join').subscribe((e) => say({ joined: { by: id, node: e.nodeId, at: Date.now() } }));
  gossip
    .on('unreachable')
    .subscribe((e) => say({ unreachable: { by: id, node: e.nodeId, at: Date.now() } }));
  say({ ready: gossip.localNode().addr });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
