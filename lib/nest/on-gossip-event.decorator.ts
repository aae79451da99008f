import { GOSSIP_EVENT_METADATA } from './constants';
import type { GossipEventFilter, GossipEventType } from './gossip-event';

/** What `@OnGossipEvent` records on a method; one per decorator (they stack). */
export interface OnGossipEventMetadata {
  type: GossipEventType;
  filter?: GossipEventFilter;
}

/**
 * Calls the decorated method with every `GossipEvent` of `type` (passing
 * `filter`, when given). Works on any singleton provider or controller; stack
 * it for several types. Handlers may be async; what they throw or reject is
 * logged with the handler's name and affects nothing else.
 *
 * @example
 * @OnGossipEvent('upsert-key', { key: /^http/ })
 * onAddress(event: GossipEventOf<'upsert-key'>) { ... }
 */
export function OnGossipEvent<T extends GossipEventType>(
  type: T,
  filter?: GossipEventFilter<T>,
): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as unknown as object;
    const existing: OnGossipEventMetadata[] =
      Reflect.getMetadata(GOSSIP_EVENT_METADATA, method) ?? [];
    Reflect.defineMetadata(
      GOSSIP_EVENT_METADATA,
      [...existing, { type, filter: filter as GossipEventFilter | undefined }],
      method,
    );
    return descriptor;
  };
}
