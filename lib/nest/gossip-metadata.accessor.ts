import { Injectable, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GOSSIP_EVENT_METADATA } from './constants';
import type { OnGossipEventMetadata } from './on-gossip-event.decorator';

/** Reads what `@OnGossipEvent` recorded on a method. */
@Injectable()
export class GossipMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getEventHandlerMetadata(target: Type<unknown> | object): OnGossipEventMetadata[] | undefined {
    // Reflector.get needs a function or class; methods are functions.
    if (typeof target !== 'function') return undefined;
    const metadata = this.reflector.get<OnGossipEventMetadata[] | undefined>(
      GOSSIP_EVENT_METADATA,
      target as Type<unknown>,
    );
    return metadata && metadata.length > 0 ? metadata : undefined;
  }
}
