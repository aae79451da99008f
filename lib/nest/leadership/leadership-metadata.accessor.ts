import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ON_LEADERSHIP_METADATA, RUN_ON_LEADER_METADATA } from './leadership.constants';
import type { OnLeadershipMetadata } from './on-leadership.decorator';
import type { RunOnLeaderMetadata } from './run-on-leader.decorator';

/** Reads what `@RunOnLeader`, `@RunOnOwner` and `@OnLeadership` recorded on a method. */
@Injectable()
export class LeadershipMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  guardedRole(method: unknown): string | undefined {
    if (typeof method !== 'function') return undefined;
    return this.reflector.get<RunOnLeaderMetadata | undefined>(
      RUN_ON_LEADER_METADATA,
      method as Type<unknown>,
    )?.role;
  }

  handlers(method: unknown): OnLeadershipMetadata[] {
    if (typeof method !== 'function') return [];
    return (
      this.reflector.get<OnLeadershipMetadata[] | undefined>(
        ON_LEADERSHIP_METADATA,
        method as Type<unknown>,
      ) ?? []
    );
  }
}
