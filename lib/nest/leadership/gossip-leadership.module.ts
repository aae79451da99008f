import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { GossipLeadershipService } from './gossip-leadership.service';
import { GOSSIP_LEADERSHIP_OPTIONS } from './leadership.constants';
import { LeadershipMetadataAccessor } from './leadership-metadata.accessor';
import type { GossipLeadershipModuleOptions } from './leadership-module-options.interface';
import { LeadershipSubscribersLoader } from './leadership-subscribers.loader';

/**
 * Leadership on top of `GossipModule`: `GossipLeadershipService`,
 * `@RunOnLeader`, `@RunOnOwner` and `@OnLeadership`. Import it next to
 * `GossipModule` (and `ScheduleModule` for scheduled jobs):
 *
 * ```ts
 * imports: [
 *   GossipModule.forRoot({ bindAddr: '0.0.0.0:7946', join: ['seeds.internal'] }),
 *   GossipLeadershipModule.forRoot({ expectedSize: 3 }),
 *   ScheduleModule.forRoot(),
 * ]
 * ```
 *
 * It loads nothing of `@nestjs/schedule`: the decorators only wrap methods.
 */
@Module({})
export class GossipLeadershipModule {
  static forRoot(options: GossipLeadershipModuleOptions = {}): DynamicModule {
    const size = options.expectedSize;
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
      throw new RangeError(
        `GossipLeadershipModule: expectedSize must be an integer of at least 1 (got ${String(size)})`,
      );
    }
    return {
      module: GossipLeadershipModule,
      global: options.isGlobal ?? true,
      imports: [DiscoveryModule],
      providers: [
        { provide: GOSSIP_LEADERSHIP_OPTIONS, useValue: options },
        GossipLeadershipService,
        LeadershipMetadataAccessor,
        LeadershipSubscribersLoader,
      ],
      exports: [GossipLeadershipService],
    };
  }
}
