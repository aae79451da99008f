/**
 * One Nest app with a one-instance job, for the real-process leadership test:
 *   node -r ts-node/register/transpile-only leader-node.ts <id> <seed|-> <expectedSize>
 * Prints JSON lines: `ready` (its gossip address), then `run` for every run
 * of its `@Interval(200)` job (node, fencing token, wall time). SIGTERM
 * shuts it down through `enableShutdownHooks` (leave, then close).
 */
import 'reflect-metadata';
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
    say({ run: { node: this.gossip.nodeId, token: this.leadership.token('job'), at: Date.now() } });
  }
}

@Module({
  imports: [
    GossipModule.forRoot({
      bindAddr: '127.0.0.1:0',
      nodeId: id,
      join: seed === '-' ? [] : [seed],
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
  say({ ready: app.get(GossipService).localNode().addr });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
